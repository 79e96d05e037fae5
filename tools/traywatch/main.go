// Command traywatch is a minimal StatusNotifierWatcher: it owns
// org.kde.StatusNotifierWatcher on the D-Bus session bus and accepts tray
// items, so VimAbl's tray path (window closed, only the tray running) can be
// exercised and measured under Xvfb, where no desktop provides a tray host.
//
//	dbus-run-session -- sh -c 'go run ./tools/traywatch & vimabl'
package main

import (
	"fmt"
	"os"
	"os/signal"

	"github.com/godbus/dbus/v5"
)

type watcher struct{ items []string }

// RegisterStatusNotifierItem is what fyne.io/systray calls for its icon.
func (w *watcher) RegisterStatusNotifierItem(service string, sender dbus.Sender) *dbus.Error {
	w.items = append(w.items, string(sender)+service)
	fmt.Println("traywatch: item registered:", string(sender), service)
	return nil
}

// RegisterStatusNotifierHost accepts a host (none needed here).
func (w *watcher) RegisterStatusNotifierHost(service string) *dbus.Error { return nil }

func main() {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		fmt.Fprintln(os.Stderr, "traywatch:", err)
		os.Exit(1)
	}
	w := &watcher{}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		fmt.Fprintln(os.Stderr, "traywatch:", err)
		os.Exit(1)
	}
	reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		fmt.Fprintln(os.Stderr, "traywatch: could not own org.kde.StatusNotifierWatcher:", err, reply)
		os.Exit(1)
	}
	fmt.Println("traywatch: ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}
