//go:build !linux

package app

// trayAvailable: macOS's menu bar and Windows' notification area are always there.
func trayAvailable() bool { return true }
