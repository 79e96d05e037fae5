//go:build !windows

package autostart

// systemRunKey: only Windows has a registry.
func systemRunKey() runKey { return nil }
