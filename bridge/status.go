package bridge

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/vimabl/vimabl/bridge/metrics"
	"github.com/vimabl/vimabl/bridge/portbind"
)

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
	// StateLiveBusy: the confirmed script stopped sending heartbeats, but
	// its command port still answers PING and says Live's main thread has
	// not run for a while (a modal dialog or menu in Live 12, a Set
	// loading): Live is busy, not gone, and the mirror is kept.
	StateLiveBusy
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
	case StateLiveBusy:
		return "live-busy"
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

func portStatus(name string, s portbind.State) PortStatus {
	return PortStatus{Name: name, Addr: s.Addr, OK: s.OK, Err: s.Err, Conflict: s.Conflict, Fix: s.Fix}
}

// statusInput is everything the connection state is decided from. The
// engine gathers it under its lock; connState decides with no clock, no
// lock and no I/O, so every state the tray shows is tested as a table.
type statusInput struct {
	ports [2]PortStatus // the events port, then the WebSocket port

	// From the link, at the time of the status:
	alive          bool // the confirmed session sent a hello or heartbeat within aliveWindow, and no bye since
	twoScripts     bool // and an unconfirmed session streams beside it
	otherStreaming bool // some unconfirmed session sent a heartbeat within aliveWindow
	unconfirmed    bool // events were held or dropped within aliveWindow
	bye            bool // the confirmed session said bye

	gapRecent bool   // a gap in the confirmed session's events within degradedWindow
	resyncErr string // why the last SNAPSHOT failed; "" if it did not
	pingOK    bool   // the command port answered the last PING
	// stalled: how long Live's main thread has not run, per the last PING
	// of the confirmed session (0: running, or not known).
	stalled   time.Duration
	installed bool // the Remote Script is in a User Library

	tracks int     // the mirror's, for the streaming summary
	tempo  float64 // the mirror's

	commandAddr, eventsAddr string // named in the sentences
}

// statusInput is what connState decides from, as st says at now (the
// mirror's figures and the addresses are the caller's to add). It reads
// no clock and does no I/O: the tests drive a liveState through a
// session's life and read the tray's state through it, as Engine.Status
// does.
func (st *liveState) statusInput(now time.Time) statusInput {
	return statusInput{
		ports:          [2]PortStatus{portStatus("events", st.eventsPort), portStatus("websocket", st.wsPort)},
		alive:          st.link.alive(now),
		twoScripts:     st.link.twoScripts(now),
		otherStreaming: st.link.otherStreaming(now),
		unconfirmed:    !st.link.heldAt.IsZero() && now.Sub(st.link.heldAt) <= aliveWindow,
		bye:            st.link.bye,
		gapRecent:      !st.lastGap.IsZero() && now.Sub(st.lastGap) <= degradedWindow,
		resyncErr:      st.resyncErr,
		pingOK:         st.pingOK,
		stalled:        stalled(st.tickAge),
		installed:      st.installed,
	}
}

// connState decides what the tray shows. The order is the precedence: a
// port the bridge cannot bind hides everything else (nothing works without
// it); a script that streams is shown streaming (or what is wrong with its
// stream) whatever the installer says, since it runs from somewhere.
func connState(in statusInput) (state ConnState, summary, fix string) {
	switch {
	case in.ports[0].Err != "" || in.ports[1].Err != "":
		p := in.ports[0]
		if p.Err == "" {
			p = in.ports[1]
		}
		if p.Conflict {
			return StatePortConflict, p.Err, p.Fix
		}
		return StatePortError, p.Err, p.Fix
	case in.twoScripts:
		return StateTwoScripts,
			"Two VimAbl scripts are sending events; following the one that answers on " + in.commandAddr,
			"Two VimAbl scripts are sending — is VimAbl selected in two Control Surface slots?"
	case in.alive && in.resyncErr != "":
		return StateDegraded, "Live connected · resync failing", "The Remote Script does not answer SNAPSHOT: " + in.resyncErr
	case in.alive && in.gapRecent:
		return StateDegraded, "Live connected · events were lost, resynchronising",
			"Events are arriving faster than they are read; the view recovers by itself."
	case in.alive:
		return StateStreaming, fmt.Sprintf("Live connected · %d tracks · %s BPM", in.tracks, formatTempo(in.tempo)), ""
	case in.pingOK && in.stalled > 0 && !in.bye:
		// Heartbeats come from Live's timer: when it stops but PING (answered
		// off Live's main thread) still answers, Live is busy, not gone.
		return StateLiveBusy,
			fmt.Sprintf("Live is busy: its main thread has not run for %.0f s", in.stalled.Seconds()),
			"Nothing to do: VimAbl carries on when Live does (a dialog or menu open in Live, or a Set loading, stops Live's timer)."
	case in.pingOK && in.otherStreaming:
		// The instance answering commands is not the one streaming (an old
		// instance still holds the command port, or a second Live streams).
		return StateReachable,
			"Remote Script answers on " + in.commandAddr + ", but the events come from another VimAbl session",
			"Reload the script (Control Surface None, then VimAbl), or restart Live if that does not help; close any second Live that runs VimAbl."
	case in.pingOK:
		// A script that answers is loaded in Live, wherever it was installed
		// from (a developer's checkout, a User Library we did not find).
		return StateReachable,
			"Remote Script answers on " + in.commandAddr + " but sends no events",
			"Check that the script sends to " + in.eventsAddr + " (config.json beside the script) and reload it: Control Surface None, then VimAbl."
	case in.unconfirmed:
		// Events arrive, but nothing on the command port vouches for them,
		// so none reaches the mirror or the clients.
		return StateWaiting,
			"Events arrive, but no Remote Script answers on " + in.commandAddr,
			"VimAbl follows only a script that answers on its command port: check that no other program holds that port (Native Instruments software uses 9001) and reload the script (Control Surface None, then VimAbl)."
	case !in.installed:
		return StateNotInstalled, "Remote Script not installed", "Click Install Remote Script (or run `vimabl install`), then restart Live."
	}
	summary = "Waiting for Live"
	if in.bye {
		summary = "The Remote Script was unloaded"
	}
	return StateWaiting, summary, "Start Live and choose VimAbl as Control Surface (Preferences › Link, Tempo & MIDI), Input and Output None."
}

func formatTempo(t float64) string {
	if t == float64(int64(t)) {
		return strconv.FormatInt(int64(t), 10)
	}
	return strconv.FormatFloat(t, 'f', 2, 64)
}

// StatusReport is the JSON shape of GET /status.
type StatusReport struct {
	// PID is the bridge's process: a second VimAbl names the running one by
	// it (the OS's port tables do not always tell, e.g. under Wine).
	PID           int               `json:"pid"`
	State         string            `json:"state"`
	Summary       string            `json:"summary"`
	Fix           string            `json:"fix,omitempty"`
	Installed     bool              `json:"installed"`
	SessionID     string            `json:"session_id,omitempty"`
	ScriptVersion string            `json:"script_version,omitempty"`
	LiveVersion   string            `json:"live_version,omitempty"`
	CommandAddr   string            `json:"command_addr"`
	CommandPortOK bool              `json:"command_port_ok"`
	LastEvent     *time.Time        `json:"last_event,omitempty"`
	EventsPerSec  float64           `json:"events_per_sec"`
	Tracks        int               `json:"tracks"`
	Scenes        int               `json:"scenes"`
	Tempo         float64           `json:"tempo"`
	Playing       bool              `json:"playing"`
	WSClients     int               `json:"ws_clients"`
	Ports         []PortReport      `json:"ports"`
	LiveLog       string            `json:"live_log,omitempty"`
	LiveLogFound  bool              `json:"live_log_found"`
	Metrics       *metrics.Snapshot `json:"metrics,omitempty"`
}

// PortReport is one listener in StatusReport.
type PortReport struct {
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Conflict: another program holds the port (only then is it "in use").
	Conflict bool   `json:"conflict,omitempty"`
	Fix      string `json:"fix,omitempty"`
}

func statusJSON(s Status, m *metrics.Snapshot) StatusReport {
	r := StatusReport{
		PID:   os.Getpid(),
		State: s.State.String(), Summary: s.Summary, Fix: s.Fix, Installed: s.Installed, SessionID: s.SessionID,
		ScriptVersion: s.ScriptVersion, LiveVersion: s.LiveVersion, CommandAddr: s.CommandAddr,
		CommandPortOK: s.CommandPortOK, EventsPerSec: s.EventsPerSec, Tracks: s.Tracks, Scenes: s.Scenes,
		Tempo: s.Tempo, Playing: s.Playing, WSClients: s.WSClients, LiveLog: s.LiveLogPath,
		LiveLogFound: s.LiveLogFound,
	}
	if m != nil {
		r.Metrics = m
	}
	if !s.LastEvent.IsZero() {
		t := s.LastEvent
		r.LastEvent = &t
	}
	for _, p := range s.Ports {
		r.Ports = append(r.Ports, PortReport{Name: p.Name, Addr: p.Addr, OK: p.OK, Error: p.Err, Conflict: p.Conflict, Fix: p.Fix})
	}
	return r
}
