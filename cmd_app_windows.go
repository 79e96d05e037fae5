//go:build windows

package main

import "golang.org/x/sys/windows"

// idCancel is what MessageBox returns for the Cancel button (winuser.h's
// IDCANCEL, which golang.org/x/sys/windows does not name).
const idCancel = 2

// askKeepRunning shows msg in a message box — the GUI build has no console,
// so stderr reaches no one — and reports whether the user chose OK (keep the
// bridge running). If no box can be shown (no desktop at all), the bridge
// keeps running: that is what `vimabl` promises where it has no window.
func askKeepRunning(msg string) bool {
	text, err := windows.UTF16PtrFromString(msg)
	if err != nil {
		return true
	}
	title, _ := windows.UTF16PtrFromString("VimAbl")
	ret, _ := windows.MessageBox(0, text, title, windows.MB_OKCANCEL|windows.MB_ICONWARNING|windows.MB_SETFOREGROUND)
	return ret != idCancel
}

// tell shows msg in a message box with an OK button: the GUI build's only
// way to say something when it has no window of its own.
func tell(msg string) {
	text, err := windows.UTF16PtrFromString(msg)
	if err != nil {
		return
	}
	title, _ := windows.UTF16PtrFromString("VimAbl")
	windows.MessageBox(0, text, title, windows.MB_OK|windows.MB_ICONINFORMATION|windows.MB_SETFOREGROUND)
}
