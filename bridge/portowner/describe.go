package portowner

import (
	"fmt"
	"runtime"
	"strings"
)

// Describe turns a port the bridge could not bind (network "tcp" for the
// WebSocket port, "udp" for the events port) and the Owner that Lookup found
// into the sentence the UI and `vimabl doctor` show and the one-line fix
// under it, e.g.
//
//	UDP port 9002 is held by python3 (pid 4242): VimAbl's old Python server.
//	Turn off websocket_manager (and project_watcher) in your Hammerspoon config … then quit that process: `kill 4242`
//
// The fix names this OS's way to end a process. When Lookup failed, do not
// call Describe: keep the generic sentence.
func Describe(network string, port int, o Owner) (summary, fix string) {
	return describe(runtime.GOOS, network, port, o)
}

// describe is Describe for a given GOOS, so one table test covers every OS.
func describe(goos, network string, port int, o Owner) (summary, fix string) {
	proto := strings.ToUpper(network)
	holder := "a program with pid " + fmt.Sprint(o.PID)
	if o.PID <= 0 {
		holder = "an unknown program"
	} else if o.Name != "" {
		holder = fmt.Sprintf("%s (pid %d)", o.Name, o.PID)
	}
	head := fmt.Sprintf("%s port %d is held by %s", proto, port, holder)
	kill := fmt.Sprintf("`kill %d`", o.PID)
	if goos == "windows" {
		kill = fmt.Sprintf("`taskkill /PID %d`", o.PID)
	}
	move := "start VimAbl on another port (--ws-port)"
	if network == "udp" {
		move = "move VimAbl's events to another port (--events-port, and `vimabl install --events-port` so the script sends there)"
	}

	switch {
	case o.VimAbl:
		// Checked first: a second copy of the app (the tray app and a
		// `vimabl bridge` in a terminal) is the likeliest conflict of all.
		return head + ": VimAbl is already running.",
			"Use the VimAbl that is running (its menu-bar icon, or `vimabl status`), or quit it first: " + kill
	case o.VimAblPython:
		// Killing it alone is not enough: Hammerspoon starts it again at the
		// next save of a Set (docs/migrating.md step 3).
		return head + ": VimAbl's old Python server.",
			"Turn off websocket_manager (and project_watcher) in your Hammerspoon config and reload it, or it starts again at every save (docs/migrating.md step 3); then quit that process: " + kill
	case goos == "windows" && o.PID == 4:
		// Pid 4 is the kernel's System process; it holds ports that
		// services registered with HTTP.sys listen on. There is no program
		// to quit.
		return head + ", on behalf of a Windows service.",
			"Stop the service that uses this port, or " + move + "."
	case o.Name != "":
		return head + ".", "Quit " + o.Name + ", or " + move + "."
	case o.PID > 0:
		return head + ".", fmt.Sprintf("Quit the program with pid %d, or %s.", o.PID, move)
	}
	return head + ".", "Quit the program using it, or " + move + "."
}
