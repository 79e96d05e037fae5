// Package oscin is the UDP events port (9002) end to end: Serve binds it
// (retrying while another program holds it, see bridge/portbind), reads
// datagrams, decodes them with github.com/hypebeast/go-osc, unwraps the
// `/live/seq <seq> <timestamp> <path> <args...>` envelope, says what each
// event means (event.go: hello, heartbeat, bye, log, resync, or a change),
// tracks every sender socket's numbering (seq.go: duplicates, gaps,
// reordering, a numbering that starts over) and hands the events to one
// consumer in arrival order.
//
// The read loop (receiver.go) never waits for the consumer: datagrams are
// copied out of reused buffers into a queue bounded in datagrams and in
// bytes, with the sender's address; a full queue drops the datagram and
// counts it (metrics OverflowDrops). Decoding and tracking happen on the
// consumer's side (serve.go).
package oscin

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hypebeast/go-osc/osc"
)

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed OSC datagram")

// MaxDatagram is the largest datagram the receiver accepts; UDP cannot carry
// more, and the script's largest events are a few hundred bytes.
const MaxDatagram = 65507

// Decode turns one datagram into events (a bundle may hold several), in
// order. It never panics: any failure inside the OSC library is returned as
// an error wrapping ErrMalformed.
func Decode(data []byte, received time.Time) (events []Event, err error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty datagram", ErrMalformed)
	}
	if len(data)%4 != 0 {
		return nil, fmt.Errorf("%w: length %d is not a multiple of 4", ErrMalformed, len(data))
	}
	defer func() {
		if r := recover(); r != nil {
			events, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)
		}
	}()
	pkt, err := osc.ParsePacket(string(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if pkt == nil {
		return nil, fmt.Errorf("%w: neither a message nor a bundle", ErrMalformed)
	}
	return appendPacket(nil, pkt, received, 0)
}

func appendPacket(out []Event, pkt osc.Packet, received time.Time, depth int) ([]Event, error) {
	if depth > 8 {
		return nil, fmt.Errorf("%w: bundles nested too deep", ErrMalformed)
	}
	switch p := pkt.(type) {
	case *osc.Message:
		ev, err := fromMessage(p, received)
		if err != nil {
			return nil, err
		}
		return append(out, ev), nil
	case *osc.Bundle:
		var err error
		for _, m := range p.Messages {
			if out, err = appendPacket(out, m, received, depth+1); err != nil {
				return nil, err
			}
		}
		for _, b := range p.Bundles {
			if out, err = appendPacket(out, b, received, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unknown packet type %T", ErrMalformed, pkt)
}

func fromMessage(m *osc.Message, received time.Time) (Event, error) {
	if m.Address == "" || m.Address[0] != '/' {
		return Event{}, fmt.Errorf("%w: address %q does not start with /", ErrMalformed, m.Address)
	}
	args := make([]any, len(m.Arguments))
	for i, a := range m.Arguments {
		switch v := a.(type) {
		case float32:
			args[i] = float64(v)
		case int32, int64, float64, bool, string, []byte, nil:
			args[i] = v
		case osc.Timetag:
			args[i] = v.Time()
		default:
			return Event{}, fmt.Errorf("%w: argument %d has unsupported type %T", ErrMalformed, i, a)
		}
	}
	if m.Address != "/live/seq" {
		ev := Event{Received: received, Path: m.Address, Args: args}
		ev.classify()
		return ev, nil
	}
	if len(args) < 3 {
		return Event{}, fmt.Errorf("%w: /live/seq needs <seq> <timestamp> <path>, got %d arguments", ErrMalformed, len(args))
	}
	seq, ok := args[0].(int32)
	if !ok {
		if s64, ok64 := args[0].(int64); ok64 {
			seq, ok = int32(s64), s64 > 0 && s64 <= math.MaxInt32
		}
	}
	if !ok || seq <= 0 {
		return Event{}, fmt.Errorf("%w: /live/seq sequence number %v (%T) is not a positive int32", ErrMalformed, args[0], args[0])
	}
	ts, ok := args[1].(float64) // float32 senders were widened above
	if !ok || math.IsNaN(ts) || math.IsInf(ts, 0) || ts < 0 {
		return Event{}, fmt.Errorf("%w: /live/seq timestamp %v (%T) is not seconds since the epoch", ErrMalformed, args[1], args[1])
	}
	path, ok := args[2].(string)
	if !ok || path == "" || path[0] != '/' {
		return Event{}, fmt.Errorf("%w: /live/seq event path %v is not an OSC address", ErrMalformed, args[2])
	}
	sec, frac := math.Modf(ts)
	ev := Event{
		Seq:       int64(seq),
		Timestamp: time.Unix(int64(sec), int64(frac*1e9)),
		Received:  received,
		Path:      path,
		Args:      args[3:],
	}
	ev.classify()
	return ev, nil
}
