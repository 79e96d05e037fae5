// Package metrics counts what the bridge does and reports it as a Snapshot
// (for the UI and `vimabl status`) and in Prometheus text format.
package metrics

import "time"

// Snapshot is a consistent copy of every counter at one moment. Its JSON
// (the "metrics" object of GET /status) uses snake_case; durations are in
// nanoseconds, hence the _ns suffixes.
type Snapshot struct {
	Time time.Time `json:"time"`

	EventsReceived uint64 `json:"events_received"` // datagrams read from the socket
	Decoded        uint64 `json:"decoded"`         // events decoded successfully
	Malformed      uint64 `json:"malformed"`       // datagrams dropped because they did not decode
	Duplicates     uint64 `json:"duplicates"`
	Gaps           uint64 `json:"gaps"`        // number of gaps seen
	LostEvents     uint64 `json:"lost_events"` // events missing in those gaps
	OutOfOrder     uint64 `json:"out_of_order"`
	OverflowDrops  uint64 `json:"overflow_drops"` // events dropped because the hand-off queue was full
	ForeignEvents  uint64 `json:"foreign_events"` // events of a session the command port does not confirm

	EventsPerSec1s  float64 `json:"events_per_sec_1s"`
	EventsPerSec10s float64 `json:"events_per_sec_10s"`

	LatencyP50 time.Duration `json:"latency_p50_ns"` // script timestamp → bridge receive
	LatencyP99 time.Duration `json:"latency_p99_ns"`

	// UDP datagram read → its WebSocket frame written to the client's socket
	// (measured on the oldest frame of each batch a client writer sends).
	WSOutP50 time.Duration `json:"ws_out_p50_ns"`
	WSOutP99 time.Duration `json:"ws_out_p99_ns"`

	WSClients  int    `json:"ws_clients"`
	FramesSent uint64 `json:"frames_sent"`
	// ClientsDropped is every WebSocket client the bridge lost or closed
	// (the sum of ClientsDroppedBy); ClientsDroppedBy holds every reason
	// of DropReasons by its name, zeros included.
	ClientsDropped   uint64            `json:"clients_dropped"`
	ClientsDroppedBy map[string]uint64 `json:"clients_dropped_by_reason"`

	Resyncs        uint64 `json:"resyncs"`
	ResyncFailures uint64 `json:"resync_failures"`

	Script ScriptStats `json:"script"`
}

// ScriptStats are the Remote Script's own figures, from its last heartbeat.
type ScriptStats struct {
	At               time.Time `json:"at"` // zero when no heartbeat arrived yet
	QueueSize        int64     `json:"queue_size"`
	QueueMax         int64     `json:"queue_max"`
	Enqueued         int64     `json:"enqueued"`
	Drained          int64     `json:"drained"`
	Dropped          int64     `json:"dropped"`
	PeakQueueSize    int64     `json:"peak_queue_size"`
	Utilization      float64   `json:"utilization"` // QueueSize / QueueMax
	DropRate         float64   `json:"drop_rate"`   // Dropped / Enqueued
	ObserversEnabled bool      `json:"observers_enabled"`
	Tracks           int       `json:"tracks"`
	Scenes           int       `json:"scenes"`
	Devices          int       `json:"devices"`
	Listeners        int       `json:"listeners"`
}

// DropReason says why a WebSocket client's connection ended without the
// client closing it (a close frame from the client is not a drop).
type DropReason uint8

// The reasons, in the order /metrics lists them.
const (
	// DropSlowQueue: the client fell more than its queue bound behind.
	DropSlowQueue DropReason = iota
	// DropWriteTimeout: a write did not complete in time (the client
	// stopped reading and the socket buffers filled).
	DropWriteTimeout
	// DropWriteError: the connection failed while the bridge wrote to it.
	DropWriteError
	// DropPingTimeout: nothing, not even a pong, arrived for the ping wait.
	DropPingTimeout
	// DropFrameTooLarge: the client sent a frame over the read limit.
	DropFrameTooLarge
	// DropReadError: the connection broke while reading (TCP closed
	// without a close frame, reset) or carried an invalid frame.
	DropReadError

	dropReasons // how many reasons there are
)

// String is the reason's name: the value of the reason label on /metrics
// and its key in the clients_dropped_by_reason object.
func (r DropReason) String() string {
	switch r {
	case DropSlowQueue:
		return "slow_queue"
	case DropWriteTimeout:
		return "write_timeout"
	case DropWriteError:
		return "write_error"
	case DropPingTimeout:
		return "ping_timeout"
	case DropFrameTooLarge:
		return "frame_too_large"
	case DropReadError:
		return "read_error"
	}
	return "unknown"
}

// DropReasons returns every reason, in order.
func DropReasons() []DropReason {
	rs := make([]DropReason, dropReasons)
	for i := range rs {
		rs[i] = DropReason(i)
	}
	return rs
}
