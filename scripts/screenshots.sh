#!/usr/bin/env bash
# Runs the real app under Xvfb in demo mode (the fake Live playing a
# scenario) and saves a PNG of each tab into docs/screenshots/.
#
# Usage: scripts/screenshots.sh [path/to/vimabl]   (make screenshots builds it first)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-bin/vimabl}"
out="${SCREENSHOT_DIR:-docs/screenshots}"
[ -x "$bin" ] || { echo "screenshots: $bin is not an executable (make screenshots builds it)" >&2; exit 1; }
mkdir -p "$out"
for tool in Xvfb import python3; do
  command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing (run make deps)" >&2; exit 1; }
done

display=":$(( 90 + RANDOM % 100 ))"
Xvfb "$display" -screen 0 900x640x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  xdpyinfo -display "$display" >/dev/null 2>&1 && break || sleep 0.1
done

for tab in status log metrics setup; do
  # No D-Bus session here: the app opens its window instead of a tray.
  env -u DBUS_SESSION_BUS_ADDRESS DISPLAY="$display" LANG=en_US.UTF-8 \
    "$bin" demo --tab "$tab" --size 900x640 2>"/tmp/vimabl-screenshot-$tab.log" &
  app=$!
  # Let the scenario run: charts fill, the log scrolls, the state turns green.
  sleep "${SCREENSHOT_WAIT:-12}"
  # A black picture of an empty display is not a screenshot of the app.
  if ! kill -0 "$app" 2>/dev/null; then
    echo "screenshots: the app exited before its $tab tab could be taken:" >&2
    cat "/tmp/vimabl-screenshot-$tab.log" >&2
    exit 1
  fi
  import -display "$display" -window root "$out/$tab.png"
  kill -INT "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  echo "screenshots: $out/$tab.png"
done
