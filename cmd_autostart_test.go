//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// issue 12: `vimabl autostart on|off` is the tray's "Start at Login" from
// the command line (the Wine test reads the Windows Run value it writes);
// here the XDG entry, and a wrong argument is a usage error.
func TestAutostartCommand(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	entry := filepath.Join(home, ".config", "autostart", "vimabl.desktop")
	var out, errs bytes.Buffer
	if code := autostartMain([]string{"on"}, &out, &errs); code != 0 || out.String() != "Start at login: on ("+entry+")\n" {
		t.Fatalf("on: exit %d, %q %q", code, out.String(), errs.String())
	}
	if data, err := os.ReadFile(entry); err != nil || !strings.Contains(string(data), "Exec=") {
		t.Fatalf("the autostart entry: %v\n%s", err, data)
	}
	out.Reset()
	if code := autostartMain(nil, &out, &errs); code != 0 || !strings.HasPrefix(out.String(), "Start at login: on") {
		t.Fatalf("state: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := autostartMain([]string{"off"}, &out, &errs); code != 0 || out.String() != "Start at login: off\n" {
		t.Fatalf("off: exit %d, %q", code, out.String())
	}
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Fatalf("the entry is still there: %v", err)
	}
	errs.Reset()
	if code := autostartMain([]string{"yes"}, &out, &errs); code != 2 || !strings.Contains(errs.String(), "Usage: vimabl autostart [on|off]") {
		t.Fatalf("a wrong argument: exit %d, %q", code, errs.String())
	}
}
