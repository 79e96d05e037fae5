#!/usr/bin/env bash
# Idle CPU and memory of the app with its window closed (only the tray
# running), under Xvfb with a private D-Bus session and tools/traywatch as the
# StatusNotifier host. Usage: scripts/measure-tray-idle.sh [bin/vimabl] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-bin/vimabl}"
secs="${2:-30}"
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  exec dbus-run-session -- "$0" "$@"
fi
go build -o /tmp/vimabl-traywatch ./tools/traywatch
display=":$(( 120 + RANDOM % 50 ))"
Xvfb "$display" -screen 0 900x640x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$!
/tmp/vimabl-traywatch >/tmp/vimabl-traywatch.log 2>&1 & watch=$!
trap 'kill $xvfb $watch 2>/dev/null || true' EXIT
sleep 1
DISPLAY="$display" "$bin" --events-port 0 --ws-port 0 --command-port 1 --live-log /dev/null 2>/tmp/vimabl-tray.log & app=$!
sleep 6
grep -q "item registered" /tmp/vimabl-traywatch.log || { echo "the app did not register a tray item" >&2; kill $app; exit 1; }
cpu() { awk '{print $14+$15}' "/proc/$app/stat"; }
c0=$(cpu); sleep "$secs"; c1=$(cpu)
echo "tray only, window closed, ${secs} s: CPU $(echo "scale=2; ($c1-$c0)/$secs" | bc) % of one core; $(grep VmRSS /proc/$app/status | tr -s ' \t' ' ')"
kill -INT $app; wait $app 2>/dev/null || true
