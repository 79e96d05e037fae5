package livelog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func logLine(i int) string {
	return fmt.Sprintf("2024-05-30T16:26:36.%06d: info: RemoteScriptMessage: (LiveState) INFO [Test] line %d", i%1000000, i)
}

func writeFile(t *testing.T, path string, lines []string, eol string) {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + eol)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func TestReadTail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Log.txt")
	var lines []string
	for i := 0; i < 5000; i++ {
		lines = append(lines, logLine(i))
	}
	for _, eol := range []string{"\n", "\r\n"} {
		writeFile(t, path, lines, eol)
		for _, n := range []int{1, 10, 1234, 5000, 9999} {
			got, end, err := ReadTail(path, n)
			if err != nil {
				t.Fatal(err)
			}
			want := lines[max(0, len(lines)-n):]
			if len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
				t.Fatalf("eol %q n=%d: got %d lines, first %q", eol, n, len(got), got[0])
			}
			if st, _ := os.Stat(path); end != st.Size() {
				t.Fatalf("end %d, size %d", end, st.Size())
			}
		}
	}
	// No trailing newline: the unfinished line is the last one.
	os.WriteFile(path, []byte("a\nb\nc"), 0o644)
	if got, _, _ := ReadTail(path, 2); strings.Join(got, ",") != "b,c" {
		t.Fatalf("got %q", got)
	}
	os.WriteFile(path, nil, 0o644)
	if got, end, err := ReadTail(path, 5); len(got) != 0 || end != 0 || err != nil {
		t.Fatalf("empty file: %q %d %v", got, end, err)
	}
	if _, _, err := ReadTail(filepath.Join(dir, "missing.txt"), 5); err == nil {
		t.Fatal("missing file: want an error")
	}
}

// collector gathers what a Tail emits.
type collector struct {
	mu sync.Mutex
	es []Entry
}

func (c *collector) emit(es []Entry) {
	c.mu.Lock()
	c.es = append(c.es, es...)
	c.mu.Unlock()
}

func (c *collector) messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.es {
		out = append(out, e.Message)
	}
	return out
}

func newTail(path string, lines int, c *collector) *Tail {
	return &Tail{Path: path, Lines: lines, Loc: time.UTC, Emit: c.emit}
}

func scriptLine(msg string) string {
	return "2024-05-30T16:26:36.000001: info: RemoteScriptMessage: (LiveState) INFO [T] " + msg + "\n"
}

func step(t *testing.T, tl *Tail) {
	t.Helper()
	if err := tl.Step(); err != nil {
		t.Fatal(err)
	}
}

func expect(t *testing.T, c *collector, want ...string) {
	t.Helper()
	if got := strings.Join(c.messages(), ","); got != strings.Join(want, ",") {
		t.Fatalf("emitted %q, want %q", got, strings.Join(want, ","))
	}
}

func TestTailFollowsAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Log.txt")
	appendFile(t, path, scriptLine("old1")+scriptLine("old2")+scriptLine("old3"))
	c := &collector{}
	tl := newTail(path, 2, c)
	step(t, tl)
	expect(t, c, "old2", "old3")
	appendFile(t, path, scriptLine("new1"))
	step(t, tl)
	step(t, tl) // nothing new: nothing emitted twice
	expect(t, c, "old2", "old3", "new1")
	// A line written in two pieces is emitted once, whole.
	l := scriptLine("split")
	appendFile(t, path, l[:20])
	step(t, tl)
	appendFile(t, path, l[20:])
	step(t, tl)
	expect(t, c, "old2", "old3", "new1", "split")
}

func TestTailUnfinishedLastLineAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Log.txt")
	l := scriptLine("whole")
	appendFile(t, path, scriptLine("first")+l[:30])
	c := &collector{}
	tl := newTail(path, 10, c)
	step(t, tl)
	expect(t, c, "first")
	appendFile(t, path, l[30:])
	step(t, tl)
	expect(t, c, "first", "whole")
}

func TestTailWaitsForMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Log.txt")
	c := &collector{}
	tl := newTail(path, 10, c)
	step(t, tl)
	expect(t, c)
	appendFile(t, path, scriptLine("live started"))
	step(t, tl)
	expect(t, c, "live started")
}

func TestTailSurvivesTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Log.txt")
	appendFile(t, path, scriptLine("a")+scriptLine("b")+scriptLine("c"))
	c := &collector{}
	tl := newTail(path, 5, c)
	step(t, tl)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, scriptLine("after"))
	step(t, tl)
	expect(t, c, "a", "b", "c", "after")
}

func TestTailSurvivesReplacement(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Log.txt")
	appendFile(t, path, scriptLine("old-a")+scriptLine("old-b")+scriptLine("old-c")+scriptLine("old-d"))
	c := &collector{}
	tl := newTail(path, 1, c)
	step(t, tl)
	expect(t, c, "old-d")

	// Rotation by rename: a new, longer file takes the name. Size alone
	// would not reveal it; identity does.
	if err := os.Rename(path, filepath.Join(dir, "Log.txt.1")); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, scriptLine("new-1")+scriptLine("new-2")+scriptLine("new-3")+scriptLine("new-4")+scriptLine("new-5"))
	step(t, tl)
	expect(t, c, "old-d", "new-1", "new-2", "new-3", "new-4", "new-5")

	// Deletion, a poll with no file, then a new file.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	step(t, tl)
	appendFile(t, path, scriptLine("reborn"))
	step(t, tl)
	expect(t, c, "old-d", "new-1", "new-2", "new-3", "new-4", "new-5", "reborn")
}

func TestTailGroupsTracebackAcrossWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Log.txt")
	appendFile(t, path, "")
	c := &collector{}
	tl := newTail(path, 10, c)
	step(t, tl)
	tb := "2024-05-30T16:26:36.000001: info: RemoteScriptError: Traceback (most recent call last):\r\n" +
		"2024-05-30T16:26:36.000002: info: RemoteScriptError: \r\n" +
		"2024-05-30T16:26:36.000003: info: RemoteScriptError: ValueError: bad\r\n"
	appendFile(t, path, tb)
	step(t, tl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.es) != 1 || len(c.es[0].Traceback) != 3 || c.es[0].Message != "ValueError: bad" {
		t.Fatalf("traceback: %+v", c.es)
	}
}

func TestTailRunUntilCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Log.txt")
	got := make(chan []Entry, 16)
	ctx, cancel := context.WithCancel(context.Background())
	tl := &Tail{Path: path, Lines: 10, Poll: 10 * time.Millisecond, Emit: func(es []Entry) { got <- es }}
	done := make(chan error, 1)
	go func() { done <- tl.Run(ctx) }()
	appendFile(t, path, scriptLine("hello"))
	select {
	case es := <-got:
		if es[0].Message != "hello" {
			t.Fatalf("wrong entry %+v", es[0])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not pick up the line within 5 s")
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run returned %v", err)
	}
}

// writeBigLog writes about size bytes of log lines quickly.
func writeBigLog(tb testing.TB, path string, size int64) int {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 4<<20)
	var written int64
	n := 0
	for written < size {
		l := logLine(n) + "\n"
		w.WriteString(l)
		written += int64(len(l))
		n++
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestTailOf300MBLog(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 300 MB")
	}
	path := filepath.Join(t.TempDir(), "Log.txt")
	n := writeBigLog(t, path, 300<<20)
	c := &collector{}
	tl := newTail(path, 3000, c)
	step(t, tl)
	msgs := c.messages()
	if len(msgs) != 3000 || msgs[0] != fmt.Sprintf("line %d", n-3000) || msgs[2999] != fmt.Sprintf("line %d", n-1) {
		t.Fatalf("got %d entries, first %q last %q", len(msgs), msgs[0], msgs[len(msgs)-1])
	}
	appendFile(t, path, scriptLine("fresh"))
	step(t, tl)
	if m := c.messages(); m[len(m)-1] != "fresh" || len(m) != 3001 {
		t.Fatal("following after a big tail failed")
	}
}

// BenchmarkReadTail300MB measures reading the last 5000 lines of a 300 MB
// Log.txt (the file is written once, outside the timer).
func BenchmarkReadTail300MB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "Log.txt")
	writeBigLog(b, path, 300<<20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lines, _, err := ReadTail(path, 5000)
		if err != nil || len(lines) != 5000 {
			b.Fatal(err, len(lines))
		}
		_ = ParseLines(lines, time.Local)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/tail5000")
}

// issue 10 item 3: a line far longer than MaxLineLen, written over several
// polls, is one entry cut once with the suffix — read to its end without
// being buffered whole — and the line after it is intact.
func TestTailCutsLongLineOnceAndKeepsTheNext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Log.txt")
	appendFile(t, path, "")
	c := &collector{}
	tl := newTail(path, 10, c)
	step(t, tl)
	head := "2024-05-30T16:26:36.000001: info: RemoteScriptMessage: (LiveState) INFO [T] "
	appendFile(t, path, head)
	const body = 5 * MaxLineLen
	chunk := strings.Repeat("x", MaxLineLen)
	for i := 0; i < body/MaxLineLen; i++ {
		appendFile(t, path, chunk)
		step(t, tl)
		if n := cap(tl.split.line); n > MaxLineLen {
			t.Fatalf("the tailer buffers %d bytes of one line (max %d)", n, MaxLineLen)
		}
	}
	appendFile(t, path, "\r\n"+scriptLine("next"))
	step(t, tl)
	msgs := c.messages()
	if len(msgs) != 2 || msgs[1] != "next" {
		t.Fatalf("want the long line and then %q, got %d entries", "next", len(msgs))
	}
	long := msgs[0]
	kept := len(head) + strings.Count(long, "x")
	suffix := fmt.Sprintf(" … (%d bytes cut)", len(head)+body-kept)
	if len(long) > MaxLineLen || !strings.HasSuffix(long, suffix) || strings.Count(long, "bytes cut") != 1 {
		t.Fatalf("long line: %d bytes, ends %q, want the suffix %q once", len(long), long[len(long)-30:], suffix)
	}
}

// issue 10 item 3: a Log.txt that suddenly grows by gigabytes (here a
// sparse 3 GiB hole, then a line) is read from its tail only: one entry says
// how many bytes were skipped, the line after the hole is read, the NULs
// make no entries, and it takes milliseconds, not minutes.
func TestTailSkipsSuddenGrowthToItsTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Log.txt")
	appendFile(t, path, scriptLine("before"))
	c := &collector{}
	tl := newTail(path, 10, c)
	step(t, tl)
	st, _ := os.Stat(path)
	old := st.Size()
	if err := os.Truncate(path, old+3<<30); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, scriptLine("after the hole"))
	st, _ = os.Stat(path)
	start := time.Now()
	step(t, tl)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("reading past a 3 GiB hole took %v", d)
	}
	skipped := st.Size() - TailWindow - old
	msgs := c.messages()
	if len(msgs) != 3 || msgs[0] != "before" || msgs[2] != "after the hole" ||
		!strings.Contains(msgs[1], fmt.Sprintf("skipped %d bytes", skipped)) {
		t.Fatalf("want before, a note that %d bytes were skipped, after the hole; got %q", skipped, msgs)
	}
	if c.es[1].Component != ComponentVimAbl || c.es[1].Level != LevelWarning {
		t.Fatalf("the note: %+v", c.es[1])
	}
}

// issue 10 item 3: a log replaced by a 2 GiB sparse file (all NULs) is not
// turned into entries, and neither are NUL runs inside a file; the first
// read of such a file is quick too.
func TestTailSkipsNULRuns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Log.txt")
	appendFile(t, path, scriptLine("one"))
	c := &collector{}
	tl := newTail(path, 10, c)
	step(t, tl)
	appendFile(t, path, strings.Repeat("\x00", 1<<20)+scriptLine("two")+"2024-05-30T16:26:36.000001: info: RemoteScriptMessage: (LiveState) INFO [T] th\x00\x00ree\n")
	step(t, tl)
	expect(t, c, "one", "two", "three")

	sparse := filepath.Join(dir, "sparse.txt")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(2 << 30)
	f.Close()
	if err := os.Rename(sparse, path); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	step(t, tl)
	// The skip note, and nothing from the NULs.
	if m := c.messages(); len(m) != 4 || !strings.Contains(m[3], "skipped") {
		t.Fatalf("want only a skip note after the first three, got %q", m)
	}
	fresh := &collector{}
	step(t, newTail(path, 5000, fresh))
	if len(fresh.es) != 0 || time.Since(start) > 2*time.Second {
		t.Fatalf("a sparse file gave %d entries, took %v", len(fresh.es), time.Since(start))
	}
	// Writing starts again after the NULs: that line is read.
	appendFile(t, path, scriptLine("restarted"))
	step(t, tl)
	if m := c.messages(); m[len(m)-1] != "restarted" || len(m) != 5 {
		t.Fatalf("after the NULs: %q", m)
	}
}

// issue 10 item 4: a directory is refused at once, in one sentence, with
// one entry however often it is polled, and reading resumes when a file
// takes its place.
func TestTailRefusesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Log.txt")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	tl := newTail(path, 10, c)
	for i := 0; i < 3; i++ {
		err := tl.Step()
		if !errors.Is(err, ErrNotRegularFile) || !strings.Contains(err.Error(), "is a folder, not a regular file") {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if msgs := c.messages(); len(msgs) != 1 || !strings.Contains(msgs[0], path) || c.es[0].Level != LevelError {
		t.Fatalf("want one error entry naming the path, got %q", msgs)
	}
	os.Remove(path)
	appendFile(t, path, scriptLine("a file again"))
	step(t, tl)
	if m := c.messages(); m[len(m)-1] != "a file again" {
		t.Fatalf("after the folder became a file: %q", m)
	}
}
