package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/vimabl/vimabl/autostart"
)

// windowsRunKey is where package autostart writes the "VimAbl" value on
// Windows (under HKEY_CURRENT_USER), named here for the user.
const windowsRunKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// runAutostart is `vimabl autostart [on|off]`: the tray's "Start at Login"
// item from the command line (for scripts and set-ups without a tray, and
// for checking what it wrote), then the resulting state.
func runAutostart(args []string) int { return autostartMain(args, os.Stdout, os.Stderr) }

func autostartMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vimabl autostart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: vimabl autostart [on|off]\n\nTurns starting VimAbl at login on or off for this executable, then says which it is "+
			"(macOS: a LaunchAgent, Windows: HKCU\\"+windowsRunKey+", Linux: an XDG autostart entry).")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 || fs.NArg() == 1 && fs.Arg(0) != "on" && fs.Arg(0) != "off" {
		fs.Usage()
		return 2
	}
	m, err := autostart.New()
	if err != nil {
		fmt.Fprintln(stderr, "vimabl autostart:", err)
		return 1
	}
	switch fs.Arg(0) {
	case "on":
		err = m.Enable()
	case "off":
		err = m.Disable()
	}
	if err != nil {
		fmt.Fprintln(stderr, "vimabl autostart:", err)
		return 1
	}
	on, err := m.Enabled()
	if err != nil {
		fmt.Fprintln(stderr, "vimabl autostart:", err)
		return 1
	}
	where := m.Path()
	if m.OS == "windows" {
		where = `HKCU\` + windowsRunKey + `\VimAbl = ` + autostart.WindowsRunValue(m.Exe)
	}
	if on {
		fmt.Fprintf(stdout, "Start at login: on (%s)\n", where)
	} else {
		fmt.Fprintln(stdout, "Start at login: off")
	}
	return 0
}
