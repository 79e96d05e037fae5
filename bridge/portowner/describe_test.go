package portowner

import "testing"

// issue 11: the port-conflict sentence names the holder and, for VimAbl's
// old Python server, says how to stop it for good (the Hammerspoon modules
// first, docs/migrating.md step 3), with this OS's way to end a process.
func TestDescribe(t *testing.T) {
	python := Owner{PID: 4242, Name: "python3", CommandLine: "python3 -u -m src.main /x.xml --mode=websocket --ws-port=8765 --no-signals", VimAblPython: true}
	for _, c := range []struct {
		name, goos, network string
		port                int
		o                   Owner
		summary, fix        string
	}{
		{"VimAbl's Python server holds the events port", "darwin", "udp", 9002, python,
			"UDP port 9002 is held by python3 (pid 4242): VimAbl's old Python server.",
			"Turn off websocket_manager (and project_watcher) in your Hammerspoon config and reload it, or it starts again at every save (docs/migrating.md step 3); then quit that process: `kill 4242`"},
		{"VimAbl's Python server holds the WebSocket port", "darwin", "tcp", 8765, python,
			"TCP port 8765 is held by python3 (pid 4242): VimAbl's old Python server.",
			"Turn off websocket_manager (and project_watcher) in your Hammerspoon config and reload it, or it starts again at every save (docs/migrating.md step 3); then quit that process: `kill 4242`"},
		{"another program on the WebSocket port", "darwin", "tcp", 8765, Owner{PID: 12, Name: "Foo"},
			"TCP port 8765 is held by Foo (pid 12).",
			"Quit Foo, or start VimAbl on another port (--ws-port)."},
		{"another program on the events port", "linux", "udp", 9002, Owner{PID: 77, Name: "TouchOSC"},
			"UDP port 9002 is held by TouchOSC (pid 77).",
			"Quit TouchOSC, or move VimAbl's events to another port (--events-port, and `vimabl install --events-port` so the script sends there)."},
		{"a second VimAbl, on Windows", "windows", "tcp", 8765, Owner{PID: 3100, Name: "vimabl.exe", VimAbl: true},
			"TCP port 8765 is held by vimabl.exe (pid 3100): VimAbl is already running.",
			"Use the VimAbl that is running (its menu-bar icon, or `vimabl status`), or quit it first: `taskkill /PID 3100`"},
		{"a second VimAbl wins over the Python verdict", "darwin", "udp", 9002, Owner{PID: 5, Name: "vimabl", VimAbl: true, VimAblPython: true},
			"UDP port 9002 is held by vimabl (pid 5): VimAbl is already running.",
			"Use the VimAbl that is running (its menu-bar icon, or `vimabl status`), or quit it first: `kill 5`"},
		{"Windows hides the name", "windows", "tcp", 8765, Owner{PID: 900},
			"TCP port 8765 is held by a program with pid 900.",
			"Quit the program with pid 900, or start VimAbl on another port (--ws-port)."},
		{"Windows' System process (HTTP.sys)", "windows", "tcp", 8765, Owner{PID: 4, Name: "System"},
			"TCP port 8765 is held by System (pid 4), on behalf of a Windows service.",
			"Stop the service that uses this port, or start VimAbl on another port (--ws-port)."},
		{"no pid at all", "linux", "tcp", 8765, Owner{},
			"TCP port 8765 is held by an unknown program.",
			"Quit the program using it, or start VimAbl on another port (--ws-port)."},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, f := describe(c.goos, c.network, c.port, c.o)
			if s != c.summary {
				t.Errorf("summary\n got %q\nwant %q", s, c.summary)
			}
			if f != c.fix {
				t.Errorf("fix\n got %q\nwant %q", f, c.fix)
			}
		})
	}
}
