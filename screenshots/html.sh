#!/usr/bin/env bash
# Regenerates screenshots/html-*.png: the page `ballast --html` writes for
# the ML sample image, rendered by headless chromium (Debian's `chromium`).
# Each view is chosen through the page's URL fragment (colour, zoom, search),
# the same state a reader can link to. Never edit the PNGs by hand.
#
#   screenshots/html.sh                 # uses target/release/ballast (builds it)
#   BALLAST=/path/to/ballast screenshots/html.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
image="$repo/sample-images/ml-mistakes.docker.tar"
target="${CARGO_TARGET_DIR:-$repo/target}"
ballast="${BALLAST:-$target/release/ballast}"
chromium=/usr/bin/chromium
if [ -z "${BALLAST:-}" ]; then
  (cd "$repo" && cargo build --release --quiet)
fi
[ -x "$chromium" ] || { echo "html.sh: $chromium is not installed (apt-get install chromium)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$ballast" "$image" --no-progress --html "$tmp/page.html" >/dev/null

# shot NAME FRAGMENT WIDTH,HEIGHT
shot() {
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile" --hide-scrollbars --window-size="$3" \
    --virtual-time-budget=3000 --screenshot="$here/html-$1.png" \
    "file://$tmp/page.html#$2" >/dev/null 2>&1
  echo "screenshots/html-$1.png"
}
shot treemap 'color=step&zoom=%2F' 1400,1000
shot waste 'color=category&zoom=%2F' 1400,1000
shot zoom-app 'color=step&zoom=%2Fapp' 1400,1000
shot search 'color=step&zoom=%2F&q=cache' 1400,1000
shot full 'color=category&zoom=%2F' 1400,3400
