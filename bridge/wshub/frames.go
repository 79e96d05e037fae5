package wshub

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"time"
)

// The frames of docs/protocol.md, "WebSocket and HTTP (port 8765)".

// ProtocolVersion is the WebSocket protocol this hub speaks, sent in the
// hello frame. It changes only when a v1 client would misread the frames.
const ProtocolVersion = 1

type eventFrame struct {
	Type string  `json:"type"`
	Seq  int64   `json:"seq"`
	TS   float64 `json:"ts"`
	Path string  `json:"path"`
	Args []any   `json:"args"`
}

// EventFrame encodes one event. Floats that JSON cannot carry (NaN, ±Inf)
// become null rather than failing the whole frame.
func EventFrame(session string, seq int64, ts time.Time, path string, args []any) Frame {
	return EventFrameAt(time.Time{}, session, seq, ts, path, args)
}

// EventFrameAt is EventFrame for an event whose datagram was read at
// received (it feeds the UDP-in to WebSocket-out measurement). session is
// the session of the state the event was applied to: a client gets the
// frame only if its last snapshot is of that session (the fence).
func EventFrameAt(received time.Time, session string, seq int64, ts time.Time, path string, args []any) Frame {
	clean := args
	for i, a := range args {
		if f, ok := a.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			if &clean[0] == &args[0] {
				clean = append([]any(nil), args...)
			}
			clean[i] = nil
		}
	}
	if clean == nil {
		clean = []any{}
	}
	var secs float64
	if !ts.IsZero() {
		secs = float64(ts.UnixMicro()) / 1e6
	}
	data, err := json.Marshal(eventFrame{Type: "event", Seq: seq, TS: secs, Path: path, Args: clean})
	if err != nil {
		data, _ = json.Marshal(eventFrame{Type: "event", Seq: seq, TS: secs, Path: path, Args: []any{}})
	}
	return Frame{Received: received, Session: session, Seq: seq, Event: true, Data: data}
}

type snapshotFrame struct {
	Type      string          `json:"type"`
	SessionID string          `json:"session_id"`
	Seq       int64           `json:"seq"`
	State     json.RawMessage `json:"state"`
}

// SnapshotFrame encodes the mirror's state; state must be a JSON object.
func SnapshotFrame(session string, seq int64, state []byte) Frame {
	data, err := json.Marshal(snapshotFrame{Type: "snapshot", SessionID: session, Seq: seq, State: state})
	if err != nil {
		data, _ = json.Marshal(snapshotFrame{Type: "snapshot", SessionID: session, Seq: seq, State: json.RawMessage("{}")})
	}
	return Frame{Session: session, Seq: seq, Snapshot: true, Data: data, sum: checksum(data)}
}

// checksum identifies a snapshot frame's bytes, so that a client is never
// sent the very snapshot it already has (see Hub.Run).
func checksum(data []byte) uint64 {
	h := fnv.New64a()
	h.Write(data)
	return h.Sum64()
}

// StatusFrame wraps a status object ({"type":"status", ...fields}).
func StatusFrame(status any) Frame {
	data, err := json.Marshal(map[string]any{"type": "status", "status": status})
	if err != nil {
		data = []byte(`{"type":"status"}`)
	}
	return Frame{Data: data}
}

// helloFrame is the first frame of every connection.
type helloFrame struct {
	Type     string `json:"type"`
	Protocol int    `json:"protocol"`
	Version  string `json:"version"`
	Patch    bool   `json:"patch"`
}

// hello encodes the hello frame for a client that asked (or not) for patches.
func hello(version string, patch bool) []byte {
	data, _ := json.Marshal(helloFrame{Type: "hello", Protocol: ProtocolVersion, Version: version, Patch: patch})
	return data
}
