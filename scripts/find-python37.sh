#!/usr/bin/env sh
# Prints the path of a working Python 3.7 (Live 11's), or nothing.
# pyenv's shims answer to python3.7 even when 3.7 is not selected, so every
# candidate is asked for its version rather than trusted by name.
for p in "$HOME"/.pyenv/versions/3.7*/bin/python3.7 $(command -v python3.7 2>/dev/null); do
  [ -x "$p" ] || continue
  if "$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 7))' >/dev/null 2>&1; then
    echo "$p"
    exit 0
  fi
done
