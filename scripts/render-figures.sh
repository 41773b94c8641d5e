#!/usr/bin/env bash
# Renders every SVG figure of one or more sweep folders to PNG, to look at them as a person
# does (legends, overlaps, ticks). Not part of CI: it needs a renderer. Headless Chromium when
# there is one (what a browser shows), else rsvg-convert (Debian: apt-get install librsvg2-bin).
#
#   scripts/render-figures.sh docs/results/grid [more folders] [--out /tmp/lmsweep-figures]
set -euo pipefail
out="${TMPDIR:-/tmp}/lmsweep-figures"
folders=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    *) folders+=("$1"); shift ;;
  esac
done
[ ${#folders[@]} -gt 0 ] || { echo "usage: $0 FOLDER... [--out DIR]" >&2; exit 2; }
chromium="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$chromium" ] && ! command -v rsvg-convert > /dev/null; then
  echo "$0: neither chromium nor rsvg-convert found (apt-get install chromium, or librsvg2-bin)" >&2
  exit 1
fi
mkdir -p "$out"
count=0
for folder in "${folders[@]}"; do
  [ -d "$folder" ] || { echo "$0: $folder is not a folder" >&2; exit 2; }
  for svg in "$folder"/*.svg; do
    [ -e "$svg" ] || continue
    png="$out/$(basename "$folder")-$(basename "${svg%.svg}").png"
    if [ -n "$chromium" ]; then
      # The figure's own size, from its root element.
      width=$(sed -n 's/^<svg[^>]* width="\([0-9.]*\)".*/\1/p' "$svg" | head -1); width=${width%.*}
      height=$(sed -n 's/^<svg[^>]* height="\([0-9.]*\)".*/\1/p' "$svg" | head -1); height=${height%.*}
      "$chromium" --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size="${width:-1200},${height:-800}" \
        --screenshot="$png" "file://$(cd "$(dirname "$svg")" && pwd)/$(basename "$svg")" > /dev/null 2>&1
    else
      rsvg-convert "$svg" -o "$png"
    fi
    echo "$png"
    count=$((count + 1))
  done
done
echo "$count figures rendered into $out" >&2
