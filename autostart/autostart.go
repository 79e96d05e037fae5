// Package autostart turns "start VimAbl at login" on and off, the way each
// OS expects: a LaunchAgent on macOS, the HKCU Run key on Windows, an XDG
// autostart entry on Linux. The tray's "Start at Login" item uses it.
package autostart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Label is the LaunchAgent label and the name of the Run value.
const Label = "app.vimabl.VimAbl"

// Manager configures start-at-login for one user and one executable.
type Manager struct {
	OS   string // "darwin", "windows", "linux"
	Home string // the user's home folder
	Exe  string // the program to start (inside VimAbl.app on macOS)
	// run is the Windows Run key (registry in production, a map in tests).
	run runKey
}

// runKey is the part of the Windows registry the manager needs.
type runKey interface {
	get(name string) (string, bool, error)
	set(name, value string) error
	del(name string) error
}

// New returns a manager for this machine and this executable.
func New() (*Manager, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding VimAbl's executable: %w", err)
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("finding the home folder: %w", err)
	}
	return &Manager{OS: runtime.GOOS, Home: home, Exe: exe, run: systemRunKey()}, nil
}

// Path is the file that turns autostart on (macOS, Linux), "" on Windows.
func (m *Manager) Path() string {
	switch m.OS {
	case "darwin":
		return filepath.Join(m.Home, "Library", "LaunchAgents", Label+".plist")
	case "windows":
		return ""
	}
	return filepath.Join(m.Home, ".config", "autostart", "vimabl.desktop")
}

// Enabled reports whether VimAbl starts at login.
func (m *Manager) Enabled() (bool, error) {
	if m.OS == "windows" {
		if m.run == nil {
			return false, errors.New("the Windows registry is not available")
		}
		_, ok, err := m.run.get("VimAbl")
		return ok, err
	}
	_, err := os.Stat(m.Path())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Enable makes VimAbl start at login.
func (m *Manager) Enable() error {
	switch m.OS {
	case "windows":
		if m.run == nil {
			return errors.New("the Windows registry is not available")
		}
		return m.run.set("VimAbl", WindowsRunValue(m.Exe))
	case "darwin":
		return writeFile(m.Path(), LaunchAgent(m.Exe))
	}
	return writeFile(m.Path(), DesktopEntry(m.Exe))
}

// Disable stops VimAbl starting at login (no error if it did not).
func (m *Manager) Disable() error {
	if m.OS == "windows" {
		if m.run == nil {
			return errors.New("the Windows registry is not available")
		}
		return m.run.del("VimAbl")
	}
	err := os.Remove(m.Path())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("turning off start at login: %w", err)
	}
	return nil
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("turning on start at login: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("turning on start at login: %w", err)
	}
	return nil
}

// LaunchAgent is the macOS LaunchAgent plist starting exe at login.
func LaunchAgent(exe string) []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>%s</string>
	<key>ProgramArguments</key>
	<array>
		<string>%s</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
</dict>
</plist>
`, Label, esc(exe))
	return b.Bytes()
}

// DesktopEntry is the XDG autostart entry starting exe at login.
func DesktopEntry(exe string) []byte {
	return []byte("[Desktop Entry]\nType=Application\nName=VimAbl\nComment=Ableton Live state for keyboard users\n" +
		"Exec=" + desktopQuote(exe) + "\nIcon=vimabl\nTerminal=false\nX-GNOME-Autostart-enabled=true\n")
}

// desktopQuote quotes an Exec argument per the Desktop Entry spec.
func desktopQuote(s string) string {
	if !strings.ContainsAny(s, " \t\"\\`$") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", "$", `\$`)
	return `"` + r.Replace(s) + `"`
}

// WindowsRunValue is the Run key's command line: the path quoted, because
// "C:\Program Files\…" has spaces and Windows would otherwise split it.
func WindowsRunValue(exe string) string {
	return `"` + strings.ReplaceAll(exe, `"`, "") + `"`
}
