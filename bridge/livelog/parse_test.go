package livelog

import (
	"strings"
	"testing"
	"time"
)

func TestParseVimAblLine(t *testing.T) {
	es := ParseLines([]string{
		"2026-11-24T10:15:02.123456: info: RemoteScriptMessage: (LiveState) WARNING [Server] port 9001 busy: retrying",
	}, time.UTC)
	if len(es) != 1 {
		t.Fatalf("entries: %+v", es)
	}
	e := es[0]
	want := time.Date(2026, 11, 24, 10, 15, 2, 123456000, time.UTC)
	if !e.Time.Equal(want) || e.Level != LevelWarning || e.Source != SourceScript || e.Component != "Server" || e.Message != "port 9001 busy: retrying" {
		t.Fatalf("entry: %+v", e)
	}
}

// issue 11: the script writes WARN (VimAbl's name); both it and its alias
// WARNING are read as the warning level, which prints as WARN.
func TestParseWarnLine(t *testing.T) {
	es := ParseLines([]string{
		"2026-11-24T10:15:02.123456: info: RemoteScriptMessage: (LiveState) WARN [Server] x",
		"2026-11-24T10:15:02.123457: info: RemoteScriptMessage: (LiveState) WARNING [Server] y",
	}, time.UTC)
	if len(es) != 2 {
		t.Fatalf("entries: %+v", es)
	}
	for _, e := range es {
		if e.Level != LevelWarning || e.Component != "Server" || e.Level.String() != "WARN" {
			t.Errorf("entry %+v (level %s)", e, e.Level)
		}
	}
	for _, name := range []string{"WARN", "warning", " Warn "} {
		if l, err := ParseLevel(name); err != nil || l != LevelWarning {
			t.Errorf("ParseLevel(%q) = %v, %v", name, l, err)
		}
	}
}

func TestParseTimeIsLocal(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	e := ParseLines([]string{"2024-05-30T16:26:36.476575: info: hello"}, loc)[0]
	if e.Time.Unix() != time.Date(2024, 5, 30, 15, 26, 36, 0, time.UTC).Unix() {
		t.Fatalf("time %v not read in the given zone", e.Time)
	}
}

func TestParseOtherLines(t *testing.T) {
	lines := []string{
		"2024-05-30T16:26:36.476575: info: RemoteScriptMessage: (APC40) initialising surface",
		"2024-05-30T16:26:36.476575: debug: Python: INFO:_Framework.Util:123 - a plain Python logging line",
		"2024-05-30T16:26:36.476575: info: Default Input Device: Built-in",
		"garbage without a timestamp",
		"2024-99-30T16:26:36.476575: info: bad month",
		"2024-05-30T16:26:36.476575: shout: unknown level",
		"2024-05-30T16:26:36.476575: info: RemoteScriptMessage: (LiveState) lower [x] not a level word",
	}
	es := ParseLines(lines, time.UTC)
	if len(es) != 7 {
		t.Fatalf("want 7 entries, got %d: %+v", len(es), es)
	}
	if es[0].Source != SourceScript || es[0].Component != "APC40" || es[0].Level != LevelInfo || es[0].Message != "initialising surface" {
		t.Errorf("other script: %+v", es[0])
	}
	if es[1].Source != SourceOther || es[1].Component != ComponentPython || es[1].Level != LevelDebug {
		t.Errorf("python line: %+v", es[1])
	}
	if es[2].Component != ComponentLive || es[2].Message != "Default Input Device: Built-in" {
		t.Errorf("live line: %+v", es[2])
	}
	for i, e := range es[3:6] {
		if !e.Time.IsZero() || e.Message != lines[3+i] || e.Level != LevelInfo {
			t.Errorf("malformed line must be kept verbatim with no time: %+v", e)
		}
	}
	if es[6].Component != "LiveState" || es[6].Message != "lower [x] not a level word" {
		t.Errorf("non-VimAbl payload: %+v", es[6])
	}
}

func TestTracebackGrouping(t *testing.T) {
	lines := []string{
		"2024-05-30T16:26:36.000001: info: RemoteScriptMessage: (LiveState) INFO [Main] starting",
		"2024-05-30T16:26:36.000002: info: RemoteScriptError: Traceback (most recent call last):",
		`2024-05-30T16:26:36.000003: info: RemoteScriptError:   File "x/__init__.py", line 3, in create_instance`,
		"2024-05-30T16:26:36.000004: info: RemoteScriptError: ",
		"2024-05-30T16:26:36.000005: info: RemoteScriptError: NameError: name 'foo' is not defined",
		"2024-05-30T16:26:36.000006: info: RemoteScriptError: ",
		"2024-05-30T16:26:36.000007: info: RemoteScriptMessage: (LiveState) INFO [Main] after",
		"2024-05-30T16:26:36.000008: info: RemoteScriptError: second traceback",
	}
	es := ParseLines(lines, time.UTC)
	if len(es) != 4 {
		t.Fatalf("want 4 entries, got %d: %+v", len(es), es)
	}
	tb := es[1]
	if tb.Source != SourceScriptError || tb.Level != LevelError || tb.Component != ComponentTraceback {
		t.Fatalf("traceback entry: %+v", tb)
	}
	if len(tb.Traceback) != 5 || tb.Traceback[0] != "Traceback (most recent call last):" || tb.Traceback[2] != "" {
		t.Fatalf("traceback lines: %q", tb.Traceback)
	}
	if tb.Message != "NameError: name 'foo' is not defined" {
		t.Fatalf("summary: %q", tb.Message)
	}
	if tb.Time.Nanosecond() != 2000 {
		t.Fatalf("time: %v", tb.Time)
	}
	if es[3].Source != SourceScriptError || es[3].Message != "second traceback" {
		t.Fatalf("a traceback at the end must be flushed: %+v", es[3])
	}
}

func TestCRLFLines(t *testing.T) {
	es := ParseLines([]string{
		"2024-05-30T16:26:36.476575: info: RemoteScriptMessage: (LiveState) ERROR [Observers] boom\r",
		"2024-05-30T16:26:36.476575: info: RemoteScriptError: Traceback\r",
	}, time.UTC)
	if es[0].Message != "boom" || es[0].Level != LevelError {
		t.Fatalf("CRLF line: %+v", es[0])
	}
	if es[1].Traceback[0] != "Traceback" {
		t.Fatalf("CRLF traceback: %q", es[1].Traceback)
	}
}

func TestFilter(t *testing.T) {
	e := Entry{Level: LevelWarning, Component: "Server", Message: "Port busy", Traceback: []string{"deep Detail"}}
	cases := []struct {
		f    Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{MinLevel: LevelWarning}, true},
		{Filter{MinLevel: LevelError}, false},
		{Filter{Component: "Server"}, true},
		{Filter{Component: "server"}, false},
		{Filter{Text: "port BUSY"}, true},
		{Filter{Text: "detail"}, true},
		{Filter{Text: "serv"}, true},
		{Filter{Text: "nothing"}, false},
	}
	for _, c := range cases {
		if got := c.f.Match(&e); got != c.want {
			t.Errorf("%+v.Match = %v, want %v", c.f, got, c.want)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for s, want := range map[string]Level{"debug": LevelDebug, "INFO": LevelInfo, "warn": LevelWarning, "Error": LevelError, "CRITICAL": LevelCritical} {
		if got, err := ParseLevel(s); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("unknown level accepted")
	}
}

func FuzzParser(f *testing.F) {
	f.Add("2024-05-30T16:26:36.476575: info: RemoteScriptMessage: (LiveState) INFO [Server] x")
	f.Add("2024-05-30T16:26:36.476575: info: RemoteScriptError: ")
	f.Add("2024-05-30T16:26:36.476575: info:")
	f.Add("(((")
	f.Fuzz(func(t *testing.T, s string) {
		p := NewParser(time.UTC)
		out := p.Line(s, nil)
		out = p.Flush(out)
		for _, e := range out {
			// The parser never invents text: what it shows is from the line.
			if len(s) <= MaxLineLen && !strings.Contains(s, e.Message) {
				t.Fatalf("message %q is not from the line %q", e.Message, s)
			}
		}
	})
}

func TestLogMessageEchoLinesAreDropped(t *testing.T) {
	es := ParseLines([]string{
		"2026-11-24T10:15:02.123456: info: RemoteScriptMessage: (LiveState) INFO [Server] listening on 127.0.0.1:9001",
		"2026-11-24T10:15:02.123460: info: Python: INFO:_Framework.ControlSurface:200 - LOG: (LiveState) INFO [Server] listening on 127.0.0.1:9001",
		"2026-11-24T10:15:02.200000: info: Python: INFO:some.module:12 - not an echo",
	}, time.UTC)
	if len(es) != 2 || es[0].Component != "Server" || es[1].Component != ComponentPython {
		t.Fatalf("want the script line and the unrelated Python line, got %+v", es)
	}
}

// FuzzParseLine: any line, any bytes — the parser never panics, keeps a
// line that is not Live's shape whole (within MaxLineLen), bounds every
// text, and a grouped traceback always has its lines.
func FuzzParseLine(f *testing.F) {
	f.Add("2026-11-24T10:15:02.123456: info: RemoteScriptMessage: (LiveState) INFO [Server] listening")
	f.Add("2026-11-24T10:15:02.123456: info: RemoteScriptError: Traceback (most recent call last):")
	f.Add("2026-11-24T10:15:02.123456: info: Python: INFO:_Framework.ControlSurface:200 - LOG: (X) y")
	f.Add("\xff\xfe garbage: info: ")
	f.Fuzz(func(t *testing.T, raw string) {
		p := NewParser(time.UTC)
		out := p.Line(raw, nil)
		out = p.Line(raw, out)
		out = p.Flush(out)
		for _, e := range out {
			if e.Source == SourceScriptError && len(e.Traceback) == 0 {
				t.Fatalf("traceback entry without lines: %+v", e)
			}
			if e.Time.IsZero() && e.Source == SourceOther && e.Message != cutText(strings.TrimSuffix(raw, "\r"), MaxLineLen) {
				t.Fatalf("a line not in Live's shape must be kept whole: %q became %q", raw, e.Message)
			}
			if len(e.Message) > MaxLineLen || len(e.Component) > MaxComponentLen {
				t.Fatalf("text over its bound: %d / %d bytes", len(e.Message), len(e.Component))
			}
		}
	})
}
