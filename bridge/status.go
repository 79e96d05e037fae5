package bridge

import "time"

// ConnState is what the tray icon shows: how far the chain from VimAbl to
// Live's Remote Script works right now.
type ConnState int

const (
	// StateNotInstalled: the Remote Script is not in any User Library.
	StateNotInstalled ConnState = iota
	// StateWaiting: installed, but Live is not running or the script is not loaded.
	StateWaiting
	// StateReachable: the command port answers PING but no events arrive yet.
	StateReachable
	// StateStreaming: a hello or heartbeat arrived within the last 3 s.
	StateStreaming
	// StateDegraded: streaming, but with recent gaps or a failing resync.
	StateDegraded
	// StatePortConflict: a port the bridge needs is used by another program.
	StatePortConflict
	// StateTwoScripts: the confirmed session streams, and so does a second
	// VimAbl script the command port does not answer for (VimAbl selected in
	// two Control Surface slots, or a second Live). The bridge follows the
	// confirmed one and drops the other's events.
	StateTwoScripts
	// StatePortError: a port the bridge needs cannot be bound for another
	// reason than a program holding it (no permission, an address that is not
	// on this machine, a socket option the system refuses — as Wine does for
	// every UDP socket). Kept apart from StatePortConflict so nobody is sent
	// looking for a program to quit.
	StatePortError
)

// String returns a short lower-case name, stable for JSON and tests.
func (s ConnState) String() string {
	switch s {
	case StateNotInstalled:
		return "not-installed"
	case StateWaiting:
		return "waiting"
	case StateReachable:
		return "reachable"
	case StateStreaming:
		return "streaming"
	case StateDegraded:
		return "degraded"
	case StatePortConflict:
		return "port-conflict"
	case StateTwoScripts:
		return "two-scripts"
	case StatePortError:
		return "port-error"
	}
	return "unknown"
}

// PortStatus says whether one of the bridge's own listeners is bound.
type PortStatus struct {
	Name string // "events" (UDP) or "websocket"
	Addr string // e.g. "127.0.0.1:9002"
	OK   bool
	Err  string // the clear sentence when not OK, e.g. "port 9002 is used by another program"
	// Conflict: Err is "another program holds the port" (rather than any
	// other bind error).
	Conflict bool
	// Fix: what to do about Err, naming the program that holds the port
	// where the OS tells ("" when Err is "").
	Fix string
}

// Status is the engine's view of the world, as the UI and `vimabl status` show it.
type Status struct {
	State   ConnState
	Summary string // one line, e.g. "Live connected · 12 tracks · 120 BPM", or what is wrong
	Fix     string // one-line fix when something is wrong, "" otherwise

	Installed     bool
	SessionID     string
	ScriptVersion string
	LiveVersion   string

	CommandAddr   string
	CommandPortOK bool      // the last PING was answered
	LastPing      time.Time // when the last PING was answered

	LastEvent    time.Time
	EventsPerSec float64

	Tracks  int
	Scenes  int
	Tempo   float64
	Playing bool

	WSClients int
	Ports     []PortStatus

	LiveLogPath  string
	LiveLogFound bool

	// ForeignEvents counts events dropped because they belong to a session
	// the command port does not confirm (a second script, a spoofer).
	ForeignEvents uint64
}
