package livelog

import (
	"fmt"
	"strings"
	"time"
)

// String returns the level as the script writes it: DEBUG, INFO, WARN (the
// name of VimAbl's design; WARNING is read as its alias), ERROR or CRITICAL.
func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "DEBUG"
	case LevelInfo:
		return "INFO"
	case LevelWarning:
		return "WARN"
	case LevelError:
		return "ERROR"
	case LevelCritical:
		return "CRITICAL"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel reads a level name, case-insensitively; WARNING is accepted for
// WARN. It is what `--level` and /live/log events use.
func ParseLevel(s string) (Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG":
		return LevelDebug, nil
	case "INFO":
		return LevelInfo, nil
	case "WARNING", "WARN":
		return LevelWarning, nil
	case "ERROR":
		return LevelError, nil
	case "CRITICAL":
		return LevelCritical, nil
	}
	return LevelInfo, fmt.Errorf("unknown log level %q (want DEBUG, INFO, WARN (or WARNING), ERROR or CRITICAL)", s)
}

// String names the source for display: "script", "error", "event" or "live".
func (s Source) String() string {
	switch s {
	case SourceScript:
		return "script"
	case SourceScriptError:
		return "error"
	case SourceEvent:
		return "event"
	}
	return "live"
}

// Match reports whether e passes the filter.
func (f Filter) Match(e *Entry) bool {
	if e.Level < f.MinLevel {
		return false
	}
	if f.Component != "" && e.Component != f.Component {
		return false
	}
	if f.Text == "" {
		return true
	}
	if containsFold(e.Message, f.Text) || containsFold(e.Component, f.Text) {
		return true
	}
	for _, l := range e.Traceback {
		if containsFold(l, f.Text) {
			return true
		}
	}
	return false
}

// containsFold is a case-insensitive strings.Contains.
func containsFold(s, sub string) bool {
	if len(sub) > len(s) {
		return false
	}
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// Components used for lines that do not name one.
const (
	ComponentLive      = "Live"              // a Log.txt line that is not from a Remote Script
	ComponentPython    = "Python"            // Live's "Python: ..." lines (logging module echoes)
	ComponentTraceback = "RemoteScriptError" // a grouped traceback
)

const (
	prefixMessage = "RemoteScriptMessage: "
	prefixError   = "RemoteScriptError:"
	tsLayout      = "2006-01-02T15:04:05.999999"
)

// line is one Log.txt line split into its parts.
type line struct {
	time    time.Time
	level   Level // Live's level word (info/debug/…)
	payload string
	ok      bool // had the "<time>: <level>: " prefix
}

// splitLine parses `2024-05-30T16:26:36.476575: info: <payload>`, with the
// time in loc (Log.txt has local time and no zone).
func splitLine(raw string, loc *time.Location) line {
	// The timestamp has no ": " inside (only ':' between digits).
	i := strings.Index(raw, ": ")
	if i < 19 || i > 40 {
		return line{payload: raw}
	}
	t, err := time.ParseInLocation(tsLayout, raw[:i], loc)
	if err != nil {
		return line{payload: raw}
	}
	rest := raw[i+2:]
	j := strings.Index(rest, ": ")
	if j < 0 || j > 12 {
		// "…: info:" with an empty payload, or no level word at all.
		if lv, err := ParseLevel(strings.TrimSuffix(rest, ":")); err == nil && strings.HasSuffix(rest, ":") {
			return line{time: t, level: lv, ok: true}
		}
		return line{payload: raw}
	}
	lv, err := ParseLevel(rest[:j])
	if err != nil {
		return line{payload: raw}
	}
	return line{time: t, level: lv, payload: rest[j+2:], ok: true}
}

// parseEntry turns one non-traceback line into an Entry.
func parseEntry(raw string, loc *time.Location) Entry {
	l := splitLine(raw, loc)
	e := Entry{Time: l.time, Level: l.level, Source: SourceOther, Component: ComponentLive, Message: l.payload}
	if !l.ok {
		// Not Live's line shape: keep it verbatim so nothing is hidden.
		e.Level = LevelInfo
		return e
	}
	switch {
	case strings.HasPrefix(l.payload, prefixMessage):
		e.Source = SourceScript
		parseScriptMessage(&e, l.payload[len(prefixMessage):])
		ownComponent(&e)
	case strings.HasPrefix(l.payload, "Python: "):
		e.Component = ComponentPython
		e.Message = l.payload[len("Python: "):]
	}
	return e
}

// parseScriptMessage reads `(ClassName) rest`; when rest is VimAbl's
// `<LEVEL> [<Component>] <message>` the level and component come from it,
// else the class name is the component and Live's level stays.
func parseScriptMessage(e *Entry, p string) {
	e.Message = p
	if !strings.HasPrefix(p, "(") {
		return
	}
	end := strings.Index(p, ") ")
	if end < 0 {
		if strings.HasSuffix(p, ")") {
			e.Component, e.Message = p[1:len(p)-1], ""
		}
		return
	}
	e.Component, e.Message = p[1:end], p[end+2:]
	rest := e.Message
	sp := strings.IndexByte(rest, ' ')
	if sp < 0 || sp+1 >= len(rest) || rest[sp+1] != '[' {
		return
	}
	lv, err := ParseLevel(rest[:sp])
	if err != nil || strings.ToUpper(rest[:sp]) != rest[:sp] {
		return
	}
	rb := strings.IndexByte(rest[sp+2:], ']')
	if rb < 0 {
		return
	}
	comp := rest[sp+2 : sp+2+rb]
	msg := strings.TrimPrefix(rest[sp+2+rb+1:], " ")
	e.Level, e.Component, e.Message = lv, comp, msg
}

// ownComponent bounds a parsed component and copies it out of its line: the
// ring's component index keeps a component's string for as long as any entry
// has it, and a substring would keep the whole line alive with it.
func ownComponent(e *Entry) {
	if e.Component != ComponentLive && e.Component != ComponentPython {
		e.Component = strings.Clone(cutText(e.Component, MaxComponentLen))
	}
}

// Parser turns Log.txt lines into entries, grouping consecutive
// RemoteScriptError lines into one traceback entry (bounded by
// MaxTracebackLen). It is not safe for concurrent use; one tailer owns one
// Parser.
type Parser struct {
	loc     *time.Location
	pending *Entry           // the traceback being collected
	tb      tracebackBuilder // its lines
}

// NewParser returns a parser reading timestamps in loc (time.Local for
// Live's own log; nil means time.Local).
func NewParser(loc *time.Location) *Parser {
	if loc == nil {
		loc = time.Local
	}
	return &Parser{loc: loc}
}

// Line parses one line (without its line ending; a trailing "\r" is
// dropped; a line longer than MaxLineLen is cut) and appends finished
// entries to out. A RemoteScriptError line only finishes the traceback
// before it when a different line arrives, or on Flush.
func (p *Parser) Line(raw string, out []Entry) []Entry {
	raw = cutText(strings.TrimSuffix(raw, "\r"), MaxLineLen)
	l := splitLine(raw, p.loc)
	if l.ok && strings.HasPrefix(l.payload, prefixError) {
		frag := strings.TrimPrefix(l.payload[len(prefixError):], " ")
		if p.pending == nil {
			p.pending = &Entry{Time: l.time, Level: LevelError, Source: SourceScriptError,
				Component: ComponentTraceback}
			p.tb = tracebackBuilder{}
		}
		p.tb.add(frag)
		return out
	}
	out = p.Flush(out)
	if raw == "" || l.ok && isLogEcho(l.payload) {
		return out
	}
	return append(out, parseEntry(raw, p.loc))
}

// isLogEcho reports the `Python: INFO:_Framework.ControlSurface:NNN - LOG: …`
// line Live 11/12 writes after every RemoteScriptMessage line: the same
// message again, which would show every script line twice.
func isLogEcho(payload string) bool {
	const prefix = "Python: INFO:_Framework.ControlSurface:"
	if !strings.HasPrefix(payload, prefix) {
		return false
	}
	rest := payload[len(prefix):]
	i := strings.Index(rest, " - LOG: ")
	if i <= 0 {
		return false
	}
	for _, c := range rest[:i] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Flush appends the traceback being collected, if any, to out.
func (p *Parser) Flush(out []Entry) []Entry {
	if p.pending != nil {
		e := *p.pending
		e.Traceback = p.tb.lines()
		// The last non-empty line is the exception itself ("NameError: …"),
		// the most useful one-line summary.
		e.Message = strings.Clone(p.tb.lastNonEmp)
		out = append(out, e)
		p.pending, p.tb = nil, tracebackBuilder{}
	}
	return out
}

// Pending reports whether a traceback is being collected.
func (p *Parser) Pending() bool { return p.pending != nil }

// ParseLines parses a block of lines in one go (flushing at the end).
func ParseLines(lines []string, loc *time.Location) []Entry {
	p := NewParser(loc)
	var out []Entry
	for _, l := range lines {
		out = p.Line(l, out)
	}
	return p.Flush(out)
}
