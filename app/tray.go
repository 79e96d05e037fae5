package app

import (
	"fyne.io/fyne/v2"
)

// trayActions are what the tray menu's items do; the app wires them.
type trayActions struct {
	open, install, openScripts, showLog, howToReload, copyDiagnostics, toggleAutoStart, quit func()
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
	quit := fyne.NewMenuItem("Quit VimAbl", a.quit)
	quit.IsQuit = true
	return fyne.NewMenu("VimAbl",
		status,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Open VimAbl…", a.open),
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
