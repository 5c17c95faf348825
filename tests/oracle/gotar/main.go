// Command gotar prints what Go's archive/tar (the reader Docker and
// containerd unpack layers with) reads from a tar stream: one line per entry,
// then "END" or "ERR <message>". It is an oracle for ballast's tests and uses
// the standard library only.
//
// Line format: E <typeflag decimal> <hex of cleaned name> <bytes read> <hex of linkname>
// The name (and a hard link's target) is cleaned as a runtime joins it under
// the root: path.Clean("/"+name) without the leading slash.
package main

import (
	"archive/tar"
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	tr := tar.NewReader(bufio.NewReader(os.Stdin))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			fmt.Fprintln(out, "END")
			return
		}
		if err != nil {
			fmt.Fprintf(out, "ERR %v\n", err)
			return
		}
		n, err := io.Copy(io.Discard, tr)
		if err != nil {
			fmt.Fprintf(out, "ERR %v\n", err)
			return
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // runtimes skip these
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		link := hdr.Linkname
		if hdr.Typeflag == tar.TypeLink {
			link = strings.TrimPrefix(path.Clean("/"+link), "/")
		}
		fmt.Fprintf(out, "E %d %s %d %s\n", hdr.Typeflag, hex.EncodeToString([]byte(name)), n,
			hex.EncodeToString([]byte(link)))
	}
}
