package mirror

import (
	"fmt"
	"math"
)

// argReader reads an event's arguments in order, converting the types
// go-osc produces. The first problem is kept in err and later reads return
// zero values, so a handler reads everything and checks err once.
// Extra trailing arguments are ignored: the catalog only ever appends.
type argReader struct {
	args []any
	i    int
	err  error
}

func (r *argReader) fail(name, format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("argument %d (%s): %s", r.i, name, fmt.Sprintf(format, a...))
	}
}

// next returns the next argument, or ok=false (recording an error when the
// argument is required) when there is none.
func (r *argReader) next(name string, required bool) (any, bool) {
	if r.err != nil {
		return nil, false
	}
	if r.i >= len(r.args) {
		if required {
			r.fail(name, "missing")
		}
		return nil, false
	}
	v := r.args[r.i]
	r.i++
	return v, true
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int32:
		return int(x), true
	case int64:
		if x < math.MinInt32 || x > math.MaxInt32 {
			return 0, false
		}
		return int(x), true
	case int:
		if x < math.MinInt32 || x > math.MaxInt32 {
			return 0, false
		}
		return x, true
	}
	return 0, false
}

func (r *argReader) intArg(name string, required bool, def int) int {
	v, ok := r.next(name, required)
	if !ok {
		return def
	}
	n, ok := asInt(v)
	if !ok {
		r.i--
		r.fail(name, "want an integer, got %T %v", v, v)
		return def
	}
	return n
}

// Int reads a required integer.
func (r *argReader) Int(name string) int { return r.intArg(name, true, 0) }

// OptInt reads an optional (appended) integer.
func (r *argReader) OptInt(name string, def int) int { return r.intArg(name, false, def) }

func (r *argReader) floatArg(name string, required bool, def float64) float64 {
	v, ok := r.next(name, required)
	if !ok {
		return def
	}
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	default:
		n, isInt := asInt(v)
		if !isInt {
			r.i--
			r.fail(name, "want a float, got %T %v", v, v)
			return def
		}
		f = float64(n)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		r.i--
		r.fail(name, "want a finite number, got %v", f)
		return def
	}
	return f
}

// Float reads a required float (float64, float32 or an integer).
func (r *argReader) Float(name string) float64 { return r.floatArg(name, true, 0) }

// OptFloat reads an optional float.
func (r *argReader) OptFloat(name string, def float64) float64 {
	return r.floatArg(name, false, def)
}

func (r *argReader) boolArg(name string, required bool, def bool) bool {
	v, ok := r.next(name, required)
	if !ok {
		return def
	}
	if b, isBool := v.(bool); isBool {
		return b
	}
	// The original VimAbl catalog sent booleans as 0/1 integers.
	if n, isInt := asInt(v); isInt && (n == 0 || n == 1) {
		return n == 1
	}
	r.i--
	r.fail(name, "want a boolean (T/F or 0/1), got %T %v", v, v)
	return def
}

// Bool reads a required boolean (T/F, or 0/1 from older senders).
func (r *argReader) Bool(name string) bool { return r.boolArg(name, true, false) }

// OptBool reads an optional boolean.
func (r *argReader) OptBool(name string, def bool) bool { return r.boolArg(name, false, def) }

func (r *argReader) stringArg(name string, required bool, def string) string {
	v, ok := r.next(name, required)
	if !ok {
		return def
	}
	s, isStr := v.(string)
	if !isStr {
		r.i--
		r.fail(name, "want a string, got %T %v", v, v)
		return def
	}
	return s
}

// String reads a required string.
func (r *argReader) String(name string) string { return r.stringArg(name, true, "") }

// OptString reads an optional (appended) string.
func (r *argReader) OptString(name string, def string) string { return r.stringArg(name, false, def) }
