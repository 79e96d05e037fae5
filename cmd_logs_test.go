package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

const sampleLog = "2024-05-30T16:26:36.000001: info: RemoteScriptMessage: (LiveState) INFO [Server] listening on 127.0.0.1:9001\n" +
	"2024-05-30T16:26:36.000002: info: RemoteScriptMessage: (LiveState) DEBUG [Observers] 12 listeners\n" +
	"2024-05-30T16:26:36.000003: info: RemoteScriptError: Traceback (most recent call last):\r\n" +
	"2024-05-30T16:26:36.000004: info: RemoteScriptError:   File \"observers.py\", line 10, in tick\n" +
	"2024-05-30T16:26:36.000005: info: RemoteScriptError: \n" +
	"2024-05-30T16:26:36.000006: info: RemoteScriptError: KeyError: 3\n" +
	"2024-05-30T16:26:36.000007: info: Some other Live line\n" +
	"2024-05-30T16:26:36.000008: info: RemoteScriptMessage: (LiveState) WARNING [Server] client sent nothing\n"

func writeLog(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Log.txt")
	if err := os.WriteFile(p, []byte(sampleLog), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runLogsCmd(t *testing.T, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	code = logsMain(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestLogsPrintsParsedLogWithIndentedTraceback(t *testing.T) {
	p := writeLog(t)
	code, out, errOut := runLogsCmd(t, "--live-log", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 9 {
		t.Fatalf("want 9 lines, got %d:\n%s", len(lines), out)
	}
	if !strings.Contains(lines[0], "INFO     [Server] listening on 127.0.0.1:9001") {
		t.Errorf("line 0: %q", lines[0])
	}
	if !strings.Contains(lines[2], "ERROR    [RemoteScriptError] Python traceback:") ||
		lines[3] != "    Traceback (most recent call last):" || lines[5] != "" || lines[6] != "    KeyError: 3" {
		t.Errorf("traceback block:\n%s", strings.Join(lines[2:7], "\n"))
	}
	if !strings.Contains(lines[7], "[Live] Some other Live line") {
		t.Errorf("line 7: %q", lines[7])
	}
}

func TestLogsFilters(t *testing.T) {
	p := writeLog(t)
	_, out, _ := runLogsCmd(t, "--live-log", p, "--level", "warning")
	if strings.Count(out, "\n") != 6 || !strings.Contains(out, "client sent nothing") || strings.Contains(out, "listening") {
		t.Fatalf("--level warning:\n%s", out)
	}
	_, out, _ = runLogsCmd(t, "--live-log", p, "--component", "Server", "-n", "1")
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "client sent nothing") {
		t.Fatalf("--component Server -n 1:\n%s", out)
	}
	_, out, _ = runLogsCmd(t, "--live-log", p, "--grep", "KEYERROR")
	if !strings.Contains(out, "Python traceback:") || strings.Contains(out, "listening") {
		t.Fatalf("--grep:\n%s", out)
	}
}

func TestLogsBadUsageAndMissingFile(t *testing.T) {
	if code, _, errOut := runLogsCmd(t, "--level", "loud"); code != 2 || !strings.Contains(errOut, "loud") {
		t.Fatalf("bad level: %d %q", code, errOut)
	}
	if code, _, _ := runLogsCmd(t, "extra"); code != 2 {
		t.Fatalf("extra argument: %d", code)
	}
	missing := filepath.Join(t.TempDir(), "nope.txt")
	if code, _, errOut := runLogsCmd(t, "--live-log", missing); code != 1 || !strings.Contains(errOut, "nope.txt") {
		t.Fatalf("missing file: %d %q", code, errOut)
	}
	if code, _, _ := runLogsCmd(t, "--help"); code != 0 {
		t.Fatalf("--help: %d", code)
	}
}

// notifyBuffer is a concurrency-safe buffer that signals each write.
type notifyBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func (n *notifyBuffer) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case n.wrote <- struct{}{}:
	default:
	}
	return n.b.Write(p)
}

func (n *notifyBuffer) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b.String()
}

func TestLogsFollow(t *testing.T) {
	p := writeLog(t)
	out := &notifyBuffer{wrote: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- logsMain(ctx, []string{"-f", "-n", "1", "--poll", "10ms", "--live-log", p}, out, &bytes.Buffer{})
	}()
	waitFor := func(want string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for !strings.Contains(out.String(), want) {
			select {
			case <-out.wrote:
			case <-deadline:
				t.Fatalf("output never contained %q:\n%s", want, out.String())
			}
		}
	}
	waitFor("client sent nothing")
	if strings.Contains(out.String(), "listening") {
		t.Fatalf("-n 1 printed more than one entry:\n%s", out.String())
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("2024-05-30T16:26:37.000001: info: RemoteScriptMessage: (LiveState) ERROR [Server] fresh line\n")
	f.Close()
	waitFor("fresh line")
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d after Ctrl-C", code)
	}
}

// issue 10 (vimabl logs escaping): Log.txt is written by other programs;
// escape sequences, NUL and invalid UTF-8 in it must not reach the terminal
// as such, but show as readable escapes, one entry per line.
func TestLogsPrintsControlBytesHarmlessly(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Log.txt")
	log := "2024-05-30T16:26:36.000001: info: RemoteScriptMessage: (LiveState) ERROR [Ser\x1b[2Jver] red \x1b[31mtext\x1b]0;title\x07 bad \xff\xfe byte, caf\u00e9 ok\n" +
		"2024-05-30T16:26:36.000002: info: RemoteScriptError: evil \x1b[1A\u202eReversed\u2028\n" +
		"2024-05-30T16:26:36.000003: info: nul\x00s dropped\tand a tab, C1 \u009b2J\n"
	if err := os.WriteFile(p, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runLogsCmd(t, "--live-log", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, bad := range []string{"\x1b", "\x00", "\x07", "\u202e", "\u2028", "\u009b"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q:\n%q", bad, out)
		}
	}
	if !utf8.ValidString(out) {
		t.Errorf("output is not valid UTF-8: %q", out)
	}
	for _, want := range []string{
		`[Ser\x1b[2Jver] red \x1b[31mtext\x1b]0;title\x07 bad \xff\xfe byte, café ok`,
		`    evil \x1b[1A\u202eReversed\u2028`,
		"[Live] nuls dropped\tand a tab, C1 \\u009b2J",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("%d lines, want 4 (entry, traceback header and line, entry):\n%s", n, out)
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain ASCII, with\ttab": "plain ASCII, with\ttab",
		"a\nb\r\x00\x7f":         `a\nb\r\x00\x7f`,
		"\xc3":                   `\xc3`, // a cut UTF-8 sequence
		"ümlaut → ok":            "ümlaut → ok",
		"\u200fRTL mark":         `\u200fRTL mark`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}
