package app

import (
	"fyne.io/fyne/v2"
)

// trayActions are what the tray menu's items do; the app wires them.
type trayActions struct {
	open, openViewer, install, openScripts, showLog, howToReload, copyDiagnostics, toggleAutoStart, quit func()
}

// buildTrayMenu is the tray menu as a pure function of the view: the whole
// menu is rebuilt from state, never patched item by item.
func buildTrayMenu(v View, a trayActions) *fyne.Menu {
	status := fyne.NewMenuItem(summaryLine(v), nil)
	status.Disabled = true
	inst := fyne.NewMenuItem(installLabel(v.Install), a.install)
	inst.Disabled = !installAction(v.Install)
	auto := fyne.NewMenuItem("Start at Login", a.toggleAutoStart)
	auto.Checked = v.AutoStart
	viewerItem := fyne.NewMenuItem("Open Set Viewer", a.openViewer)
	viewerItem.Disabled = viewerURL(v) == ""
	quit := fyne.NewMenuItem("Quit VimAbl", a.quit)
	quit.IsQuit = true
	return fyne.NewMenu("VimAbl",
		status,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Open VimAbl…", a.open),
		viewerItem,
		inst,
		fyne.NewMenuItem("Open Remote Scripts Folder", a.openScripts),
		fyne.NewMenuItem("Show Live Log", a.showLog),
		fyne.NewMenuItem("How to Reload the Script", a.howToReload),
		fyne.NewMenuItem("Copy Diagnostics", a.copyDiagnostics),
		fyne.NewMenuItemSeparator(),
		auto,
		fyne.NewMenuItemSeparator(),
		quit,
	)
}

// viewerURL is the Set Viewer's address on the bridge's HTTP port, "" while
// that port is not bound (the menu item and the button are then disabled).
func viewerURL(v View) string {
	for _, p := range v.Status.Ports {
		if p.Name == "websocket" && p.OK && p.Addr != "" {
			return "http://" + p.Addr + "/"
		}
	}
	return ""
}
