// Package metrics counts what the bridge does and reports it as a Snapshot
// (for the UI and `vimabl status`) and in Prometheus text format.
package metrics

import "time"

// Snapshot is a consistent copy of every counter at one moment.
type Snapshot struct {
	Time time.Time

	EventsReceived uint64 // datagrams read from the socket
	Decoded        uint64 // events decoded successfully
	Malformed      uint64 // datagrams dropped because they did not decode
	Duplicates     uint64
	Gaps           uint64 // number of gaps seen
	LostEvents     uint64 // events missing in those gaps
	OutOfOrder     uint64
	OverflowDrops  uint64 // events dropped because the hand-off queue was full

	EventsPerSec1s  float64
	EventsPerSec10s float64

	LatencyP50 time.Duration // script timestamp → bridge receive
	LatencyP99 time.Duration

	// UDP datagram read → its WebSocket frame written to the client's socket
	// (measured on the oldest frame of each batch a client writer sends).
	WSOutP50 time.Duration
	WSOutP99 time.Duration

	WSClients      int
	FramesSent     uint64
	ClientsDropped uint64

	Resyncs        uint64
	ResyncFailures uint64

	Script ScriptStats
}

// ScriptStats are the Remote Script's own figures, from its last heartbeat.
type ScriptStats struct {
	At               time.Time // zero when no heartbeat arrived yet
	QueueSize        int64
	QueueMax         int64
	Enqueued         int64
	Drained          int64
	Dropped          int64
	PeakQueueSize    int64
	Utilization      float64 // QueueSize / QueueMax
	DropRate         float64 // Dropped / Enqueued
	ObserversEnabled bool
	Tracks           int
	Scenes           int
	Devices          int
	Listeners        int
}
