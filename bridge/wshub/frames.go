package wshub

import (
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
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
//
// The frame is written by hand, byte for byte what encoding/json writes
// (FuzzEventFrame holds the two together): every event of a burst is
// encoded here, and json.Marshal's reflection was a tenth of the bridge's
// CPU in one (issue 16). An argument of a type it does not know falls
// back to json.Marshal.
func EventFrameAt(received time.Time, session string, seq int64, ts time.Time, path string, args []any) Frame {
	var secs float64
	if !ts.IsZero() {
		secs = float64(ts.UnixMicro()) / 1e6
	}
	data := make([]byte, 0, 64+len(path)+24*len(args))
	data = append(data, `{"type":"event","seq":`...)
	data = strconv.AppendInt(data, seq, 10)
	data = append(data, `,"ts":`...)
	data = appendFloat(data, secs)
	data = append(data, `,"path":`...)
	data = appendString(data, path)
	data = append(data, `,"args":[`...)
	for i, a := range args {
		if i > 0 {
			data = append(data, ',')
		}
		var ok bool
		if data, ok = appendValue(data, a); !ok {
			return Frame{Received: received, Session: session, Seq: seq, Event: true, Data: marshalEvent(seq, secs, path, args)}
		}
	}
	data = append(data, "]}"...)
	return Frame{Received: received, Session: session, Seq: seq, Event: true, Data: data}
}

// marshalEvent is the event frame through encoding/json, for arguments
// appendValue does not know. Floats JSON cannot carry (NaN, ±Inf) become
// null; if the arguments still do not encode, they are left out.
func marshalEvent(seq int64, secs float64, path string, args []any) []byte {
	clean := make([]any, len(args))
	for i, a := range args {
		if f, ok := a.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			a = nil
		}
		clean[i] = a
	}
	data, err := json.Marshal(eventFrame{Type: "event", Seq: seq, TS: secs, Path: path, Args: clean})
	if err != nil {
		data, _ = json.Marshal(eventFrame{Type: "event", Seq: seq, TS: secs, Path: path, Args: []any{}})
	}
	return data
}

// appendValue appends the JSON of one decoded OSC argument (the types
// bridge/oscin makes); false for any other type.
func appendValue(b []byte, a any) ([]byte, bool) {
	switch v := a.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, v), true
	case int32:
		return strconv.AppendInt(b, int64(v), 10), true
	case int64:
		return strconv.AppendInt(b, v, 10), true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...), true // JSON has no NaN or infinity
		}
		return appendFloat(b, v), true
	case string:
		return appendString(b, v), true
	case []byte:
		if v == nil {
			return append(b, "null"...), true
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v)
		return append(b, '"'), true
	}
	return b, false
}

// appendFloat writes f as encoding/json does: the shortest decimal that
// reads back as f, in exponent form only below 1e-6 or from 1e21 on, with
// a one-digit negative exponent written without its leading zero.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString writes s as a JSON string as encoding/json does: <, > and &
// escaped for HTML, control characters escaped, invalid UTF-8 replaced by
// U+FFFD, and U+2028 and U+2029 escaped for JavaScript.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
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
