// Package portowner names the process that holds a local TCP or UDP port,
// so that a port conflict can say "held by python3 (pid 4242): VimAbl's old
// Python server" instead of "used by another program".
//
// How each OS is asked (one file per OS):
//   - Linux: /proc/net/{tcp,tcp6,udp,udp6} give the socket's inode, a scan
//     of /proc/<pid>/fd finds the process, /proc/<pid>/{comm,cmdline,exe}
//     describe it.
//   - macOS: lsof (field output) gives the pid and command name, ps the
//     command line.
//   - Windows: GetExtendedTcpTable / GetExtendedUdpTable give the owning
//     pid, QueryFullProcessImageNameW its executable. The command line stays
//     empty there (reading it means reading another process's memory).
//   - elsewhere: ErrCannotTell.
//
// Not knowing is normal: another user's process on macOS without root, a
// sandbox, a process that exited in between. Lookup then returns an error
// that wraps ErrCannotTell or ErrNotFound and callers keep their generic
// sentence.
package portowner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// lookupBudget bounds one Lookup on top of the caller's context: it runs
// inside a status refresh and a doctor report, where a slow answer is worse
// than none.
const lookupBudget = 2 * time.Second

// ErrNotFound: the OS lists no socket bound to that port (for TCP: no
// listener). On macOS this also covers a socket of another user's process,
// which lsof cannot see without root.
var ErrNotFound = errors.New("no process found holding the port")

// ErrCannotTell: the OS would not say who holds the port (no permission, no
// lookup on this OS, the lookup timed out).
var ErrCannotTell = errors.New("cannot tell which process holds the port")

// Owner is the process that holds a port.
type Owner struct {
	PID int
	// Name is the executable's base name, e.g. "python3", "vimabl.exe";
	// empty when the OS names only the pid (Windows, for protected
	// processes other than System).
	Name string
	// Exe is the executable's full path where the OS tells it, else "".
	Exe string
	// CommandLine is the arguments joined by spaces; empty where the OS
	// hides it (always on Windows).
	CommandLine string

	// VimAblPython: the process is VimAbl's original Python server (see
	// IsVimAblPythonCommand for the heuristic).
	VimAblPython bool
	// VimAbl: the process is VimAbl itself: this very process, a program
	// named like our binary (see isVimAblName) or the same executable file
	// as os.Executable().
	VimAbl bool
}

// Lookup names the process that holds a local port, on any local address:
// for network "tcp" the listener, for "udp" any socket bound to it. It gives up after
// lookupBudget or when ctx is done. The error wraps ErrNotFound when the OS
// lists no such socket and ErrCannotTell when it would not say; either way
// the caller should fall back to its generic sentence.
func Lookup(ctx context.Context, network string, port int) (Owner, error) {
	if network != "tcp" && network != "udp" {
		return Owner{}, fmt.Errorf("portowner: network %q: want \"tcp\" or \"udp\"", network)
	}
	if port < 1 || port > 65535 {
		return Owner{}, fmt.Errorf("portowner: port %d out of range", port)
	}
	ctx, cancel := context.WithTimeout(ctx, lookupBudget)
	defer cancel()
	o, err := lookup(ctx, network, port)
	if err != nil {
		return Owner{}, fmt.Errorf("%s port %d: %w", strings.ToUpper(network), port, err)
	}
	self, _ := os.Executable()
	return classify(o, os.Getpid(), self), nil
}

// classify fills the two verdicts from what the OS told about the process.
// selfExe is os.Executable() ("" if unknown).
func classify(o Owner, selfPID int, selfExe string) Owner {
	o.VimAblPython = IsVimAblPythonCommand(o.CommandLine)
	o.VimAbl = o.PID == selfPID || isVimAblName(o.Name) || sameExecutable(o.Exe, selfExe)
	return o
}

// IsVimAblPythonCommand reports whether a command line is that of VimAbl's
// original Python server. Its Hammerspoon module websocket_manager.lua
// starts it as
//
//	uv run python -u -m src.main <xml path> --mode=websocket --ws-port=8765 --no-signals
//
// so the heuristic is: the command line contains "src.main" (the module)
// and either "--mode=websocket" or "--ws-port" (its WebSocket mode, the one
// that binds TCP 8765 and UDP 9002). The interpreter's name is not checked:
// it is "python3", "Python", "python3.11" or a venv's path depending on the
// install. An empty command line (Windows, hidden) never matches.
func IsVimAblPythonCommand(cmdline string) bool {
	return strings.Contains(cmdline, "src.main") &&
		(strings.Contains(cmdline, "--mode=websocket") || strings.Contains(cmdline, "--ws-port"))
}

// isVimAblName reports whether an executable's base name is ours: "vimabl"
// (macOS bundle, Linux), "vimabl.exe" (installed on Windows) or a release
// download run in place, "vimabl-<version>-<os>-<arch>[.exe]".
func isVimAblName(name string) bool {
	n := strings.ToLower(name)
	return n == "vimabl" || n == "vimabl.exe" || strings.HasPrefix(n, "vimabl-")
}

// sameExecutable reports whether two executable paths name the same file:
// equal paths (ignoring case where the file system usually does), or the
// same file by os.SameFile (symlinks, hard links).
func sameExecutable(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	a, b = filepath.Clean(a), filepath.Clean(b)
	if a == b || (runtime.GOOS != "linux" && strings.EqualFold(a, b)) {
		return true
	}
	ia, err := os.Stat(a)
	if err != nil {
		return false
	}
	ib, err := os.Stat(b)
	return err == nil && os.SameFile(ia, ib)
}
