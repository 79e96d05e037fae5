// Package oscin is the UDP events port (9002) end to end: Serve binds it
// (retrying while another program holds it, see bridge/portbind), reads
// datagrams, decodes them (OSC 1.0 messages and bundles, decode.go), unwraps
// the `/live/seq <seq> <timestamp> <path> <args...>` envelope, says what each
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
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed OSC datagram")

// MaxDatagram is the largest datagram the receiver accepts; UDP cannot carry
// more. The script's datagrams stay under 8 KiB (a bundle of events, or one
// long log line).
const MaxDatagram = 65507

// maxDepth bounds how deep bundles may nest.
const maxDepth = 8

// maxPaths bounds the event paths a decoder remembers (the catalog has a
// few dozen); beyond it, paths are allocated per event again.
const maxPaths = 512

// Decode turns one datagram into events, in order: a message is one event,
// a bundle its messages (and those of the bundles inside it) in the order
// they were written. It never panics; every failure wraps ErrMalformed.
//
// The decoder is VimAbl's own, for two reasons measured in issue 16:
// go-osc's ParsePacket cost 2–8 µs and 28 allocations per event (a third
// of the bridge's CPU in a burst, with the collector's work on top), and its
// bundle reader stops at the first element that ends where its 4 KiB read
// buffer does, dropping the rest of a larger bundle without an error. Here
// every element of a bundle is read by its size prefix, as OSC 1.0 says.
// FuzzDecode holds it to go-osc's reading of every message both accept.
func Decode(data []byte, received time.Time) ([]Event, error) {
	var d decoder
	return d.decode(data, received)
}

// decoder decodes datagrams. The consumer keeps one, so the paths it has
// seen are allocated once rather than per event.
type decoder struct {
	paths map[string]string
}

func (d *decoder) decode(data []byte, received time.Time) ([]Event, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty datagram", ErrMalformed)
	}
	if len(data)%4 != 0 {
		return nil, fmt.Errorf("%w: length %d is not a multiple of 4", ErrMalformed, len(data))
	}
	switch data[0] {
	case '/':
		ev, err := d.message(data, received)
		if err != nil {
			return nil, err
		}
		return []Event{ev}, nil
	case '#':
		return d.bundle(nil, data, received, 1)
	}
	return nil, fmt.Errorf("%w: neither a message nor a bundle", ErrMalformed)
}

// bundle appends the events of bundle b: "#bundle\0", an 8-byte time tag
// (ignored: the events carry their own timestamps), then elements, each an
// int32 size and a message or bundle of that many bytes.
func (d *decoder) bundle(out []Event, b []byte, received time.Time, depth int) ([]Event, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: bundles nested too deep", ErrMalformed)
	}
	if len(b) < 16 || string(b[:8]) != "#bundle\x00" {
		return nil, fmt.Errorf("%w: a bundle must start with #bundle and a time tag", ErrMalformed)
	}
	for b = b[16:]; len(b) > 0; {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: bundle element without its size", ErrMalformed)
		}
		size := int64(int32(binary.BigEndian.Uint32(b)))
		if size <= 0 || size%4 != 0 || size > int64(len(b)-4) {
			return nil, fmt.Errorf("%w: bundle element of %d bytes in %d", ErrMalformed, size, len(b)-4)
		}
		el := b[4 : 4+size]
		b = b[4+size:]
		switch el[0] {
		case '/':
			ev, err := d.message(el, received)
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
		case '#':
			var err error
			if out, err = d.bundle(out, el, received, depth+1); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: bundle element is neither a message nor a bundle", ErrMalformed)
		}
	}
	return out, nil
}

// message decodes one message: its address, its type tags, its arguments;
// a /live/seq message is unwrapped into the event it carries.
func (d *decoder) message(m []byte, received time.Time) (Event, error) {
	addr, rest, ok := readString(m)
	if !ok || len(addr) == 0 || addr[0] != '/' {
		return Event{}, fmt.Errorf("%w: address %q does not start with /", ErrMalformed, addr)
	}
	tags, rest, ok := readString(rest)
	if !ok || len(tags) == 0 || tags[0] != ',' {
		return Event{}, fmt.Errorf("%w: %s has no type tags", ErrMalformed, addr)
	}
	tags = tags[1:]
	wrapped := string(addr) == "/live/seq"
	args := make([]any, 0, len(tags))
	for i, tag := range tags {
		var v any
		switch tag {
		case 'i':
			if len(rest) < 4 {
				return Event{}, truncated(addr, i)
			}
			v, rest = int32(binary.BigEndian.Uint32(rest)), rest[4:]
		case 'h':
			if len(rest) < 8 {
				return Event{}, truncated(addr, i)
			}
			v, rest = int64(binary.BigEndian.Uint64(rest)), rest[8:]
		case 'f':
			if len(rest) < 4 {
				return Event{}, truncated(addr, i)
			}
			v, rest = float64(math.Float32frombits(binary.BigEndian.Uint32(rest))), rest[4:]
		case 'd':
			if len(rest) < 8 {
				return Event{}, truncated(addr, i)
			}
			v, rest = math.Float64frombits(binary.BigEndian.Uint64(rest)), rest[8:]
		case 's':
			var s []byte
			if s, rest, ok = readString(rest); !ok {
				return Event{}, truncated(addr, i)
			}
			if wrapped && i == 2 {
				v = d.path(s) // the event's path: one of a few dozen
			} else {
				v = string(s)
			}
		case 'b':
			if len(rest) < 4 {
				return Event{}, truncated(addr, i)
			}
			n := int64(int32(binary.BigEndian.Uint32(rest)))
			if n < 0 || 4+(n+3)&^3 > int64(len(rest)) {
				return Event{}, fmt.Errorf("%w: %s argument %d: a blob of %d bytes in %d", ErrMalformed, addr, i, n, len(rest)-4)
			}
			v, rest = append([]byte(nil), rest[4:4+n]...), rest[4+(n+3)&^3:]
		case 't':
			if len(rest) < 8 {
				return Event{}, truncated(addr, i)
			}
			v, rest = timetag(binary.BigEndian.Uint64(rest)), rest[8:]
		case 'T':
			v = true
		case 'F':
			v = false
		case 'N':
			v = nil
		default:
			return Event{}, fmt.Errorf("%w: %s argument %d has unsupported type tag %q", ErrMalformed, addr, i, tag)
		}
		args = append(args, v)
	}
	if len(rest) != 0 {
		return Event{}, fmt.Errorf("%w: %d bytes after the arguments of %s", ErrMalformed, len(rest), addr)
	}
	if !wrapped {
		ev := Event{Received: received, Path: d.path(addr), Args: args}
		ev.classify()
		return ev, nil
	}
	return unwrap(args, received)
}

// unwrap reads `/live/seq <seq:i> <timestamp:d|f> <path:s> <args...>`.
func unwrap(args []any, received time.Time) (Event, error) {
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
	ts, ok := args[1].(float64) // float32 senders were widened
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

// readString reads an OSC string: bytes up to a NUL, padded with NULs to a
// multiple of 4. ok is false if it does not fit in b.
func readString(b []byte) (s, rest []byte, ok bool) {
	for i, c := range b {
		if c == 0 {
			n := (i + 4) &^ 3
			if n > len(b) {
				return nil, nil, false
			}
			return b[:i], b[n:], true
		}
	}
	return nil, nil, false
}

func truncated(addr []byte, i int) error {
	return fmt.Errorf("%w: %s ends inside argument %d", ErrMalformed, addr, i)
}

// timetag converts an OSC time tag (seconds since 1900 and a binary
// fraction) to a time; 1, "immediately", is the zero time.
func timetag(t uint64) time.Time {
	if t == 1 {
		return time.Time{}
	}
	const since1900 = 2208988800 // seconds from 1900 to 1970
	return time.Unix(int64(t>>32)-since1900, int64(1e9/(1<<32)*float64(t&0xffffffff)))
}

// path returns p as a string, allocated once per distinct path.
func (d *decoder) path(p []byte) string {
	if s, ok := d.paths[string(p)]; ok {
		return s
	}
	s := string(p)
	if d.paths == nil {
		d.paths = make(map[string]string)
	}
	if len(d.paths) < maxPaths {
		d.paths[s] = s
	}
	return s
}
