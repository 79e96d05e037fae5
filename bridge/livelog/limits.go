package livelog

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds on what one entry may hold and on the ring as a whole. They exist
// because Log.txt and /live/log are written by other programs: a runaway
// writer (or a local process sending datagrams) must cost the bridge a
// bounded amount of memory, whatever it writes.
const (
	// MaxLineLen bounds one line of Log.txt and one /live/log message: a
	// longer one keeps its first bytes and ends with " … (N bytes cut)", the
	// whole at most MaxLineLen bytes. It is cut once, where it is read; the
	// rest of a long line is read and discarded, never buffered. 16 KiB is
	// two hundred lines of a terminal, far more than any line Live or the
	// script writes on purpose.
	MaxLineLen = 16 << 10
	// MaxComponentLen bounds an entry's component (a class or module name,
	// normally a word), cut the same way.
	MaxComponentLen = 128
	// MaxTracebackLen bounds the text of one grouped traceback (its lines
	// together). Past it the lines in between are counted and dropped, and
	// the last line — the exception, the most useful one — is still kept.
	MaxTracebackLen = 64 << 10
	// DefaultRingBytes is the ring's byte budget on top of its entry count
	// (DefaultRingSize): when the entries' Bytes add up to more, the oldest
	// are evicted. Hours of a normal log are a few MB; this bounds the worst
	// case (every line as long as MaxLineLen) to 16 MiB. Not 32: the headless
	// bridge runs under a 30 MiB soft memory limit (cmd_bridge.go), and a
	// ring that alone fills it keeps the garbage collector running almost
	// without pause (49 % CPU at 5 000 events/s measured, against 8 % at
	// 16 MiB, with every phase of tools/logbomb peaking at 69 MB or less).
	DefaultRingBytes = 16 << 20
	// entryOverhead is what an entry costs besides its text: the Entry
	// struct (104 bytes on 64-bit) and the allocator's rounding of its
	// strings, and the line's timestamp prefix a Message may share memory with.
	entryOverhead = 160
	// lineOverhead is what each traceback line costs besides its text (its
	// string header and the allocator's rounding).
	lineOverhead = 24
)

// Bytes is what the entry counts against a ring's byte budget: its text
// (message, component, traceback lines) and a fixed overhead per entry and
// per traceback line. An entry holds its text once (there is no raw copy of
// the line), so this is close to the memory it keeps alive.
func (e *Entry) Bytes() int {
	n := entryOverhead + len(e.Component) + len(e.Message)
	for _, l := range e.Traceback {
		n += lineOverhead + len(l)
	}
	return n
}

// cutSuffix is how a cut text ends: " … (N bytes cut)".
func cutSuffix(n int) string {
	return " … (" + strconv.Itoa(n) + " bytes cut)"
}

// cutText bounds s to max bytes (see MaxLineLen). A text within max is
// returned unchanged, so cutting a cut text again changes nothing: every
// text is cut once. The result never shares memory with a longer s, so the
// original can be freed.
func cutText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return cutHead(s[:max], len(s), max)
}

// cutHead makes the cut text of a line that was total bytes long, of which
// head holds the first (at least max bytes when total > max): the longest
// prefix of head that, with the suffix saying how many bytes were cut, fits
// in max bytes. A UTF-8 sequence is never split (unless the text is not
// UTF-8 to begin with). If total <= max, head is the whole line.
func cutHead[S string | []byte](head S, total, max int) string {
	if total <= max {
		return string(head)
	}
	// The suffix is longest when the count has as many digits as total.
	keep := max - len(cutSuffix(total))
	if keep < 0 {
		keep = 0
	}
	keep = min(keep, len(head))
	for back := 0; back < utf8.UTFMax && keep > 0 && keep < len(head) && !utf8.RuneStart(head[keep]); back++ {
		keep--
	}
	var b strings.Builder
	suffix := cutSuffix(total - keep)
	b.Grow(keep + len(suffix))
	b.WriteString(string(head[:keep]))
	b.WriteString(suffix)
	return b.String()
}

// boundEntry cuts an entry's texts to the limits above (a no-op for
// entries this package parsed, which are within them already).
func boundEntry(e *Entry) {
	e.Message = cutText(e.Message, MaxLineLen)
	e.Component = cutText(e.Component, MaxComponentLen)
	if e.Traceback == nil {
		return
	}
	total, longest := 0, 0
	for _, l := range e.Traceback {
		total += len(l)
		longest = max(longest, len(l))
	}
	if total <= MaxTracebackLen && len(e.Traceback) <= maxTracebackLines && longest <= MaxLineLen {
		return
	}
	// Rebuilt into a new slice: the caller's stays as it was.
	var tb tracebackBuilder
	for _, l := range e.Traceback {
		tb.add(l)
	}
	e.Traceback = tb.lines()
}

// maxTracebackLines bounds a traceback's line count as MaxTracebackLen
// bounds its bytes: a run of empty RemoteScriptError lines is text-free but
// not free.
const maxTracebackLines = 1000

// tracebackBuilder collects a traceback's lines within MaxTracebackLen and
// maxTracebackLines: the first lines while they fit, then only counts, and
// always the last line. Its zero value is ready to use.
type tracebackBuilder struct {
	head       []string
	headBytes  int
	last       string // the newest line once the head is full
	hasLast    bool
	cutLines   int // lines dropped between head and last
	cutBytes   int
	lastNonEmp string // the newest non-empty line: the entry's summary
}

// room is what the head may hold: the limit minus space for the marker
// line and the last line, so the whole stays within MaxTracebackLen.
const tracebackHeadRoom = MaxTracebackLen - MaxLineLen - 64

func (b *tracebackBuilder) add(l string) {
	l = cutText(l, MaxLineLen)
	if strings.TrimSpace(l) != "" {
		b.lastNonEmp = strings.TrimSpace(l)
	}
	if !b.hasLast && b.headBytes+len(l) <= tracebackHeadRoom && len(b.head) < maxTracebackLines-2 {
		// A clone: the line would otherwise keep the whole Log.txt line
		// (with its timestamp prefix) alive.
		b.head = append(b.head, strings.Clone(l))
		b.headBytes += len(l)
		return
	}
	if b.hasLast {
		b.cutLines++
		b.cutBytes += len(b.last)
	}
	b.last, b.hasLast = strings.Clone(l), true
}

// lines returns the kept lines: the head, a marker saying what was left
// out (if anything), and the last line.
func (b *tracebackBuilder) lines() []string {
	out := b.head
	if b.cutLines > 0 {
		out = append(out, "… ("+strconv.Itoa(b.cutLines)+" lines, "+strconv.Itoa(b.cutBytes)+" bytes cut)")
	}
	if b.hasLast {
		out = append(out, b.last)
	}
	if out == nil {
		out = []string{}
	}
	return out
}
