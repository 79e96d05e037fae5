#!/usr/bin/env bash
# Installs what building and testing VimAbl needs on Debian/Ubuntu.
#
# As root it installs the missing packages itself; otherwise it prints the
# exact command and fails, so `make test` on a fresh machine either works or
# says precisely what to run. It checks with dpkg first, so on a machine that
# already has everything it costs a few milliseconds and never touches apt.
set -euo pipefail

# Each package and why we need it.
packages=(
  gcc pkg-config           # cgo for fyne
  libgl1-mesa-dev xorg-dev # fyne's OpenGL/X11 build
  xvfb xauth x11-utils     # a real window in tests and screenshots (xdpyinfo waits for Xvfb)
  imagemagick              # `import` takes screenshots; `montage` for icon sheets
  dbus-x11                 # a D-Bus session so the tray can be exercised under Xvfb
  python3                  # the Remote Script's tests and the fake Live
  python3-websockets       # a Python WebSocket client in the bridge's tests
  python3-jsonpatch        # RFC 6902 in Python: the bridge's patch mode is checked against it, and docs/protocol.md's client uses it
  liblo-tools              # oscdump/oscsend: a real OSC peer on port 9002
  netcat-openbsd           # `nc`, exactly what Hammerspoon configs use on port 9001
  lua5.4                   # luac5.4 checks the Hammerspoon fragment in docs/hammerspoon.md
  iproute2                 # `ss`: the end-to-end tests check every listener is on loopback
  gcc-mingw-w64-x86-64     # cross-building and checking the Windows .exe
  wine wine64              # running that .exe (Wine 8 on Debian 12): packaging/wine's tests
  chromium                 # a real browser for the Set Viewer's tests and benchmark (e2e/viewer, through chromedp)
  xdotool                  # clicking the Windows build's tray icon and menu under Xvfb
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "install-deps: Go is not installed; install Go 1.25 or newer from your distribution or go.dev" >&2
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing packages (${missing[*]}) and this is not a Debian/Ubuntu system; install their equivalents" >&2
  exit 1
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run this, then try again:" >&2
  echo "  sudo sh -c '$cmd'" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
sh -c "$cmd" >&2
