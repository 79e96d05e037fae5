package oscin

import (
	"net/netip"
	"time"

	"github.com/vimabl/vimabl/bridge/metrics"
)

// Kind is what an event means to the bridge. The catalog of
// docs/protocol.md is read here and nowhere else: the consumer gets the
// session a marker names, a hello's versions, a heartbeat's figures and a
// log line's parts as fields, never by position in Args.
type Kind uint8

const (
	// KindChange: anything that is not one of the below; a change of the
	// Set for the mirror (which decides whether it knows the path).
	KindChange Kind = iota
	// KindHello: /live/hello <session> <script_version> <live_version>,
	// the first event of a script instance.
	KindHello
	// KindHeartbeat: /live/heartbeat <session> <uptime> <figures...>, once
	// a second.
	KindHeartbeat
	// KindBye: /live/bye <session>, the script is being unloaded.
	KindBye
	// KindLog: /live/log <level> <component> <message>.
	KindLog
	// KindResync: /live/resync; the script asks the bridge for a SNAPSHOT.
	KindResync
)

// Marker reports whether the kind names its session (hello, heartbeat, bye).
func (k Kind) Marker() bool { return k == KindHello || k == KindHeartbeat || k == KindBye }

// Event is one decoded event.
type Event struct {
	Seq       int64     // the script's sequence number; 0 for an unwrapped message
	Timestamp time.Time // the script's clock when it captured the change; zero if unwrapped
	Received  time.Time // when the datagram was read from the socket
	// From is the sender's socket (IPv4 addresses unmapped). A Remote
	// Script instance sends everything from one socket, so this is what
	// ties an ordinary event to the instance whose hello came from there.
	From netip.AddrPort
	Path string // e.g. "/live/track/renamed"
	// Args holds int32, int64, float64 (float32 arguments are widened),
	// bool, string, []byte and nil values, in order.
	Args []any

	Kind    Kind
	Session string // hello, heartbeat, bye: the session it names ("" if it names none)
	// ScriptVersion and LiveVersion are a hello's.
	ScriptVersion, LiveVersion string
	// Stats are a heartbeat's figures (nil for every other kind).
	Stats *metrics.ScriptStats
	// Level, Component and Message are a log line's.
	Level, Component, Message string

	// Order is where the event stands in its sender's numbering (set by
	// Serve, which tracks every sender socket apart; Decode leaves InOrder).
	Order Verdict
	// Lost is how many events of its sender were lost just before it
	// (Order Gap).
	Lost int64
}

// classify fills the typed fields of the catalog's special paths.
func (ev *Event) classify() {
	a := ev.Args
	switch ev.Path {
	case "/live/hello":
		ev.Kind, ev.Session = KindHello, argString(a, 0)
		ev.ScriptVersion, ev.LiveVersion = argString(a, 1), argString(a, 2)
	case "/live/heartbeat":
		ev.Kind, ev.Session = KindHeartbeat, argString(a, 0)
		ev.Stats = scriptStats(a, ev.Received)
	case "/live/bye":
		ev.Kind, ev.Session = KindBye, argString(a, 0)
	case "/live/log":
		ev.Kind = KindLog
		ev.Level, ev.Component, ev.Message = argString(a, 0), argString(a, 1), argString(a, 2)
	case "/live/resync":
		ev.Kind = KindResync
	}
}

// argString is argument i if it is a string, else "".
func argString(args []any, i int) string {
	if i < len(args) {
		if s, ok := args[i].(string); ok {
			return s
		}
	}
	return ""
}

// argInt is argument i if it is a number, else 0.
func argInt(args []any, i int) int64 {
	if i < len(args) {
		switch v := args[i].(type) {
		case int32:
			return int64(v)
		case int64:
			return v
		case float64:
			return int64(v)
		}
	}
	return 0
}

// scriptStats reads a heartbeat received at at: session uptime qsize qmax
// enqueued drained dropped peak observers_enabled tracks scenes devices
// listeners (docs/protocol.md, the heartbeat's row).
func scriptStats(a []any, at time.Time) *metrics.ScriptStats {
	s := &metrics.ScriptStats{
		At:            at,
		QueueSize:     argInt(a, 2),
		QueueMax:      argInt(a, 3),
		Enqueued:      argInt(a, 4),
		Drained:       argInt(a, 5),
		Dropped:       argInt(a, 6),
		PeakQueueSize: argInt(a, 7),
		Tracks:        int(argInt(a, 9)),
		Scenes:        int(argInt(a, 10)),
		Devices:       int(argInt(a, 11)),
		Listeners:     int(argInt(a, 12)),
	}
	if len(a) > 8 {
		s.ObserversEnabled, _ = a[8].(bool)
	}
	if s.QueueMax > 0 {
		s.Utilization = float64(s.QueueSize) / float64(s.QueueMax)
	}
	if n := s.Enqueued + s.Dropped; n > 0 {
		s.DropRate = float64(s.Dropped) / float64(n)
	}
	return s
}
