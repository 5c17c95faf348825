#!/usr/bin/env bash
# Regenerates the PNGs in this directory: ballast's terminal UI on the ML
# sample image, rendered by a real terminal emulator (xterm under Xvfb) and
# driven through tmux, which sends the keys. Never edit the PNGs by hand.
#
#   screenshots/make.sh                 # uses target/release/ballast (builds it)
#   BALLAST=/path/to/ballast screenshots/make.sh
#   ML_PIP_IMAGE=/path/ml-pip.docker.tar screenshots/make.sh
#
# One shot is of a large real image: the Debian + pip sample (~300 MB,
# built by sample-images/ml-pip/build.sh into $BALLAST_SAMPLES_DIR, default
# /var/tmp/ballast-samples, never committed), or ML_PIP_IMAGE; without it
# that shot is skipped with a message.
#
# Needs: Xvfb, xterm, tmux, xdotool, xwd (x11-apps), netpbm, fonts-dejavu-core
#   apt-get install xvfb xterm tmux xdotool x11-apps netpbm fonts-dejavu-core
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
image="$repo/sample-images/ml-mistakes.docker.tar"
target="${CARGO_TARGET_DIR:-$repo/target}"
ballast="${BALLAST:-$target/release/ballast}"
if [ -z "${BALLAST:-}" ]; then
  (cd "$repo" && cargo build --release --quiet)
fi
for tool in Xvfb xterm tmux xdotool xwd xwdtopnm pnmtopng; do
  command -v "$tool" >/dev/null || { echo "make.sh: $tool is not installed" >&2; exit 1; }
done

display=":${SCREENSHOT_DISPLAY:-97}"
socket=""
Xvfb "$display" -screen 0 2200x1400x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
cleanup() {
  [ -n "$socket" ] && tmux -L "$socket" kill-server >/dev/null 2>&1 || true
  kill "$xvfb" >/dev/null 2>&1 || true
}
trap cleanup EXIT
sleep 1

# A common dark terminal palette (xterm's own bright black is too dark to
# read on a dark background); the UI uses the 16 ANSI colors only.
palette=(-bg '#1d1f21' -fg '#d0d0d0' -cr '#1d1f21'
  -xrm 'XTerm*color0: #1d1f21' -xrm 'XTerm*color8: #7c7f7c'
  -xrm 'XTerm*color1: #cc6666' -xrm 'XTerm*color9: #ff7b7b'
  -xrm 'XTerm*color2: #8fbf5f' -xrm 'XTerm*color10: #a8d57a'
  -xrm 'XTerm*color3: #e0b050' -xrm 'XTerm*color11: #f0c674'
  -xrm 'XTerm*color4: #4f7fbf' -xrm 'XTerm*color12: #81a2be'
  -xrm 'XTerm*color5: #b294bb' -xrm 'XTerm*color13: #c5a5d0'
  -xrm 'XTerm*color6: #5fafaf' -xrm 'XTerm*color14: #8abeb7'
  -xrm 'XTerm*color7: #c5c8c6' -xrm 'XTerm*color15: #ffffff')

# wait_for TEXT: until the pane shows TEXT (the UI has drawn).
wait_for() {
  for _ in $(seq 1 100); do
    if tmux -L "$socket" capture-pane -p -t shot | grep -qF -- "$1"; then
      return 0
    fi
    sleep 0.1
  done
  echo "make.sh: timed out waiting for '$1'" >&2
  tmux -L "$socket" capture-pane -p -t shot >&2
  return 1
}

# shot NAME COLS ROWS WAIT_TEXT [KEYS...]: one screenshot, from a fresh start.
# shot_args (ballast's arguments, quoted for the shell; default the image)
# and shot_opened (what the first screen shows) change what is started.
shot() {
  local name="$1" cols="$2" rows="$3" ready="$4"
  shift 4
  local args="${shot_args:-"'${shot_image:-$image}'"}"
  # A tmux server of its own per shot: never a user's, never a stale one.
  socket="ballast-shots-$$-$name"
  tmux -L "$socket" -f /dev/null new-session -d -s shot -x "$cols" -y "$rows" \
    "TERM=xterm-256color '$ballast' $args; sleep 60"
  tmux -L "$socket" set-option -g status off
  tmux -L "$socket" set-option -s escape-time 0
  tmux -L "$socket" set-option -g default-terminal xterm-256color
  DISPLAY="$display" xterm -title "ballast-$name" -geometry "${cols}x${rows}+0+0" \
    -tn xterm-256color -fa 'DejaVu Sans Mono' -fs 11 -b 8 +sb "${palette[@]}" \
    -e tmux -L "$socket" attach -t shot &
  local xterm_pid=$!
  wait_for "${shot_opened:-Files · step}"
  local key
  for key in "$@"; do
    if [[ "$key" == type:* ]]; then
      tmux -L "$socket" send-keys -t shot -l "${key#type:}"
    else
      tmux -L "$socket" send-keys -t shot "$key"
    fi
    sleep 0.15
  done
  wait_for "$ready"
  sleep 0.5
  local wid
  wid="$(DISPLAY="$display" xdotool search --sync --name "ballast-$name" | head -1)"
  DISPLAY="$display" xwd -silent -id "$wid" | xwdtopnm 2>/dev/null | pnmtopng > "$here/$name.png"
  echo "wrote screenshots/$name.png"
  tmux -L "$socket" kill-server >/dev/null 2>&1 || true
  kill "$xterm_pid" >/dev/null 2>&1 || true
  wait "$xterm_pid" 2>/dev/null || true
}

# The final image: steps with sizes, the tree by size, waste grouped by step.
shot overview 150 42 "Waste & fixes"
# Step 5 (pip install), only what it changed: pip's cache, flagged.
shot step-changes 150 42 "changes only" \
  Up Up Up Up Up Up Up Up Up Enter a Down Down Down Down Down Down Down Down Down
# From a finding to its path: the deleted-later dataset, with its details.
shot waste-jump 150 42 "deleted-later" \
  Tab Tab Down Down Down Down Down Down Down Down Down Down Down Down Down Down Down Down Down Enter
# Filter by path: where the model weights are, twice.
shot filter 150 42 "/safetensors/" / type:safetensors Enter Down Down
# The help overlay, built from the key table.
shot help 150 42 "any other key closes" "?"
# Which package costs how much, and its files in the tree (the CUDA sample:
# dpkg, pip and conda packages).
shot_image="$repo/sample-images/ml-cuda.oci.tar" shot packages 150 42 "Esc back" \
  Tab Tab Tab Enter
# A classic 80x24 terminal.
shot small-80x24 80 24 "Waste & fixes" Tab Down Down Down Space
# A file's text, read from the archive on demand (v).
shot view-file 150 42 "any other key closes" / type:main.py$ Enter End v
# `ballast diff OLD NEW`: the diff lens on NEW (one more pip package),
# the changed paths with their bytes, the pip step marked.
diff_dir="$repo/sample-images/diff"
shot_args="diff '$diff_dir/old.oci.tar' '$diff_dir/pip-added.oci.tar'" \
  shot_opened="changed vs OLD" shot diff-lens 150 42 "core.py" Up
# A large real image: Debian + pip (numpy), filtered; directory sizes are
# the matching files' bytes.
ml_pip="${ML_PIP_IMAGE:-${BALLAST_SAMPLES_DIR:-/var/tmp/ballast-samples}/ml-pip.docker.tar}"
if [ -f "$ml_pip" ]; then
  shot_image="$ml_pip" shot large-ml-pip 150 42 "/numpy/" Tab / type:numpy Enter Home
else
  echo "make.sh: $ml_pip not found: large-ml-pip.png not regenerated (build it with sample-images/ml-pip/build.sh)" >&2
fi
