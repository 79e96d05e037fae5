package mirror

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// What an event did, as JSON Patch (RFC 6902).
//
// Every handler in apply.go changes the state only through the recording
// helpers below, so the operations are not a second description of the
// catalog beside the mirror's rules: they are the mirror's rules, as they
// ran. A client in patch mode (docs/protocol.md, "/ws?patch=1") applies them
// to SNAPSHOT's state with any JSON Patch library and gets, operation for
// operation, the mirror's state — the catalog's list inserts, moves and
// deletes included — without re-implementing any of it.

// Op is one RFC 6902 operation on a JSON Pointer into SNAPSHOT's "state".
// Only add, remove, replace and move occur.
type Op struct {
	Op    string // "add", "remove", "replace" or "move"
	Path  string
	From  string // move only
	Value any    // add and replace only: a copy that later events do not change
}

// MarshalJSON writes exactly the members RFC 6902 defines for the
// operation: "value" is present (null included) for add and replace, "from"
// for move.
func (o Op) MarshalJSON() ([]byte, error) { return o.AppendJSON(nil), nil }

// AppendJSON appends the operation's JSON to b.
func (o Op) AppendJSON(b []byte) []byte {
	b = append(b, `{"op":"`...)
	b = append(b, o.Op...) // op names and pointers are plain ASCII
	b = append(b, `","path":"`...)
	b = append(b, o.Path...)
	b = append(b, '"')
	switch o.Op {
	case "move":
		b = append(b, `,"from":"`...)
		b = append(b, o.From...)
		b = append(b, '"')
	case "add", "replace":
		b = append(b, `,"value":`...)
		b = appendValue(b, o.Value)
	}
	return append(b, '}')
}

// Patch is what one event did to the state, in the order it was done;
// empty when the event changed nothing. It encodes as a JSON array ([] when
// empty, never null).
type Patch []Op

// MarshalJSON encodes the patch as an array, [] when empty.
func (p Patch) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil), nil }

// AppendJSON appends the patch's JSON array to b. The engine encodes each
// event's patch once, for every patch-mode client, this way: a tempo or
// parameter change costs no reflection.
func (p Patch) AppendJSON(b []byte) []byte {
	b = append(b, '[')
	for i, op := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = op.AppendJSON(b)
	}
	return append(b, ']')
}

// appendValue encodes a value exactly as encoding/json encodes it in the
// state (numbers included), the common scalars without reflection.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return appendFloat(b, x)
	case string:
		return appendString(b, x)
	case json.RawMessage:
		return append(b, x...)
	}
	out, err := json.Marshal(v)
	if err != nil {
		// State values hold only strings, bools, ints and finite floats.
		panic(fmt.Sprintf("mirror: encoding a patch value: %v", err))
	}
	return append(b, out...)
}

// appendFloat writes f as encoding/json does (the state's own encoding, so a
// value in a patch and in a snapshot are the same text): the shortest
// decimal that reads back as f, in exponent form only below 1e-6 or from
// 1e21 up, with a two-digit exponent written without its leading zero.
// f is finite: the mirror refuses NaN and Inf.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 → 1e-7, as encoding/json writes it.
		if n := len(b); n-start >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (as encoding/json
// does; HTML characters are left as they are, which JSON allows).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// ApplyPatch is Apply that also returns what the event did.
func (m *Mirror) ApplyPatch(path string, args []any) (Patch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var p Patch
	m.st.rec = &p
	_, err := m.st.apply(path, args)
	m.st.rec = nil
	if err != nil {
		return nil, fmt.Errorf("%s %v: %w", path, args, err)
	}
	return p, nil
}

// record appends op to the patch being recorded, if any.
func (s *State) record(op Op) {
	if s.rec != nil {
		*s.rec = append(*s.rec, op)
	}
}

// setAt stores v in *p and, if that changed it, records a replace of the
// member at path; it reports whether it changed. path is built only then.
func setAt[T comparable](s *State, p *T, v T, path func() string) bool {
	if *p == v {
		return false
	}
	*p = v
	if s.rec != nil {
		s.record(Op{Op: "replace", Path: path(), Value: v})
	}
	return true
}

// frozen returns v encoded now, for values that share slices with the state
// (a track, a device): a later event must not change what this one did.
func frozen(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// State values hold only strings, bools, ints and finite floats.
		panic(fmt.Sprintf("mirror: encoding a patch value: %v", err))
	}
	return b
}

// JSON Pointers into the state. Member names are fixed ASCII words, so
// nothing needs RFC 6901 escaping.

func trackPtr(t int) string { return string(appendPtr(nil, "/tracks/", t)) }

func scenePtr(sc int) string { return string(appendPtr(nil, "/scenes/", sc)) }

func devicePtr(t, d int) string {
	return string(appendPtr(appendPtr(make([]byte, 0, 32), "/tracks/", t), "/devices/", d))
}

func paramPtr(t, d, p int) string {
	b := appendPtr(appendPtr(make([]byte, 0, 48), "/tracks/", t), "/devices/", d)
	return string(appendPtr(b, "/parameters/", p))
}

func slotPtr(t, sc int) string {
	return string(appendPtr(appendPtr(make([]byte, 0, 32), "/tracks/", t), "/clip_slots/", sc))
}

// appendPtr appends a member name and an index: "/tracks/" and 3 make
// "/tracks/3".
func appendPtr(b []byte, member string, i int) []byte {
	return strconv.AppendInt(append(b, member...), int64(i), 10)
}
