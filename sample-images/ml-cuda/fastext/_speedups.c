/* The C extension of the sample package "fastext" (ml-cuda sample image).
 * gen_context.py compiles it with `gcc -g3 -O0 -shared -fPIC` and does not
 * strip it: the unstripped-binaries finding must see its .debug* sections.
 * The many headers only make the debug info (macro tables) realistic in size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <locale.h>
#include <wchar.h>
#include <ctype.h>
#include <complex.h>
#include <inttypes.h>
struct vec { double x, y, z; };
static double dot(const struct vec *a, const struct vec *b) { return a->x*b->x + a->y*b->y + a->z*b->z; }
double fastext_norm(const struct vec *a) { return sqrt(dot(a, a)); }
size_t fastext_escape(const char *in, char *out, size_t cap) {
    size_t n = 0;
    for (; *in && n + 6 < cap; in++) {
        switch (*in) {
        case '<': memcpy(out + n, "&lt;", 4); n += 4; break;
        case '>': memcpy(out + n, "&gt;", 4); n += 4; break;
        case '&': memcpy(out + n, "&amp;", 5); n += 5; break;
        default: out[n++] = *in;
        }
    }
    out[n] = 0;
    return n;
}
