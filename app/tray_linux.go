//go:build linux

package app

import (
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"
)

// trayAvailable reports whether a tray icon can be shown.
//
// Why: on Linux fyne's tray (fyne.io/systray) talks to a StatusNotifier host
// over the D-Bus session bus. Without a session bus it logs "failed to
// connect to DBus" and later panics in Quit; without a StatusNotifier host
// the icon simply never appears. In both cases the app opens its window
// instead and quits when it is closed.
func trayAvailable() bool {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		rt := os.Getenv("XDG_RUNTIME_DIR")
		if rt == "" {
			return false
		}
		if _, err := os.Stat(filepath.Join(rt, "bus")); err != nil {
			return false
		}
	}
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return false
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false
	}
	if err := conn.Hello(); err != nil {
		return false
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}
