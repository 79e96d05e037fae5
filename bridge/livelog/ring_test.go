package livelog

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRingBoundedWithIncreasingIDs(t *testing.T) {
	r := NewRing(3)
	for i := 0; i < 5; i++ {
		r.Append(Entry{Message: fmt.Sprint(i), Component: fmt.Sprint("c", i)})
	}
	if r.Len() != 3 || r.LastID() != 5 {
		t.Fatalf("len %d last %d", r.Len(), r.LastID())
	}
	all := r.Since(0, 0)
	if len(all) != 3 || all[0].ID != 3 || all[0].Message != "2" || all[2].ID != 5 {
		t.Fatalf("since 0: %+v", all)
	}
	if s := r.Since(3, 0); len(s) != 2 || s[0].ID != 4 {
		t.Fatalf("since 3: %+v", s)
	}
	if s := r.Since(3, 1); len(s) != 1 || s[0].ID != 4 {
		t.Fatalf("since 3 max 1: %+v", s)
	}
	if s := r.Since(5, 0); len(s) != 0 {
		t.Fatalf("since last: %+v", s)
	}
	if c := strings.Join(r.Components(), ","); c != "c2,c3,c4" {
		t.Fatalf("components of evicted entries must go: %s", c)
	}
	r.Clear()
	if r.Len() != 0 || len(r.Components()) != 0 || r.Since(0, 0) != nil {
		t.Fatal("clear")
	}
	if id := r.Append(Entry{Message: "x"}); id != 6 {
		t.Fatalf("IDs must keep increasing after Clear, got %d", id)
	}
}

func TestRingQuery(t *testing.T) {
	r := NewRing(100)
	for i := 0; i < 10; i++ {
		lv := LevelInfo
		if i%3 == 0 {
			lv = LevelError
		}
		r.Append(Entry{Level: lv, Component: "Server", Message: fmt.Sprint("msg ", i)})
	}
	got := r.Query(Filter{MinLevel: LevelError}, 2)
	if len(got) != 2 || got[0].Message != "msg 6" || got[1].Message != "msg 9" {
		t.Fatalf("newest 2 errors, oldest first: %+v", got)
	}
	if got := r.Query(Filter{Text: "MSG 1"}, 0); len(got) != 1 {
		t.Fatalf("text: %+v", got)
	}
	if got := r.Query(Filter{Component: "Other"}, 0); len(got) != 0 {
		t.Fatalf("component: %+v", got)
	}
}

func TestRingDedupsEventAndLogCopies(t *testing.T) {
	r := NewRing(100)
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.Local)
	// The UDP event usually arrives first...
	if id := r.AppendEvent("WARNING", "Server", "busy", t0); id == 0 {
		t.Fatal("first copy dropped")
	}
	logCopy := Entry{Time: t0.Add(300 * time.Millisecond), Level: LevelWarning, Source: SourceScript, Component: "Server", Message: "busy"}
	if id := r.Append(logCopy); id != 0 {
		t.Fatal("Log.txt copy of an event must be dropped")
	}
	// ...but a line really logged twice shows twice.
	r.AppendEvent("WARNING", "Server", "busy", t0.Add(time.Second))
	r.Append(logCopy)
	r.Append(logCopy) // third Log.txt copy: no event left to pair with
	if r.Len() != 3 {
		t.Fatalf("len %d, want 3", r.Len())
	}
	// Far apart in time: not the same line.
	r.Append(Entry{Time: t0.Add(time.Hour), Level: LevelInfo, Source: SourceScript, Component: "X", Message: "m"})
	r.AppendEvent("INFO", "X", "m", t0)
	if r.Len() != 5 {
		t.Fatalf("len %d, want 5", r.Len())
	}
	// Unknown level words are kept, not lost.
	r.AppendEvent("LOUD", "X", "hey", t0)
	last := r.Since(r.LastID()-1, 0)[0]
	if last.Level != LevelInfo || last.Message != "LOUD hey" || last.Source != SourceEvent {
		t.Fatalf("unknown level: %+v", last)
	}
}

func TestRingConcurrentUse(t *testing.T) {
	r := NewRing(1000)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				r.Append(Entry{Message: "x", Component: fmt.Sprint(i % 7)})
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				_ = r.Query(Filter{Text: "x"}, 50)
				_ = r.Since(uint64(i), 10)
				_ = r.Components()
			}
		}()
	}
	wg.Wait()
	if r.Len() != 1000 || r.LastID() != 8000 {
		t.Fatalf("len %d last %d", r.Len(), r.LastID())
	}
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func messages(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Message
	}
	return out
}

// A line only in Log.txt (a traceback, Live's own line) reaches the ring a
// poll later than /live/log events logged after it; with a holdback it is
// still stored before them.
func TestRingHoldbackStoresLateLinesInTimeOrder(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 10, 0, 0, 0, time.Local)}
	r := NewRing(100)
	r.now = clock.now
	r.SetHoldback(400 * time.Millisecond)
	t0 := clock.t

	r.AppendEvent("INFO", "Server", "after the error", t0.Add(50*time.Millisecond))
	r.AppendEvent("INFO", "Server", "later still", t0.Add(60*time.Millisecond))
	if r.Len() != 0 || !r.Pending() {
		t.Fatalf("entries visible before their holdback passed: len %d", r.Len())
	}
	clock.advance(250 * time.Millisecond) // Log.txt is polled
	r.Append(Entry{Time: t0, Level: LevelError, Source: SourceScriptError, Component: "", Message: "Traceback (most recent call last):"})
	clock.advance(150 * time.Millisecond) // the events' holdback has passed; the traceback's has not
	got := messages(r.Since(0, 0))
	want := []string{"Traceback (most recent call last):", "after the error", "later still"}
	if !slices.Equal(got, want) {
		t.Fatalf("stored %q, want %q (an older entry is stored with the newer ones that wait for it)", got, want)
	}
	if r.Pending() {
		t.Fatal("entries still held after being stored")
	}
	ids := r.Since(0, 0)
	for i := 1; i < len(ids); i++ {
		if ids[i].ID != ids[i-1].ID+1 {
			t.Fatalf("IDs not consecutive in time order: %d then %d", ids[i-1].ID, ids[i].ID)
		}
	}
}

func TestRingHoldbackKeepsArrivalOrderForEqualTimesAndDedups(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 10, 0, 0, 0, time.Local)}
	r := NewRing(100)
	r.now = clock.now
	r.SetHoldback(time.Second)
	t0 := clock.t
	for _, m := range []string{"one", "two", "three"} {
		r.AppendEvent("INFO", "LiveState", m, t0)
	}
	// Log.txt's copy of "two" is the same line: dropped, held or not.
	r.Append(Entry{Time: t0.Add(80 * time.Millisecond), Level: LevelInfo, Source: SourceScript, Component: "LiveState", Message: "two"})
	// An entry without a time sorts by its arrival.
	r.Append(Entry{Level: LevelInfo, Source: SourceOther, Message: "no time"})
	clock.advance(time.Second)
	got := messages(r.Since(0, 0))
	want := []string{"one", "two", "three", "no time"}
	if !slices.Equal(got, want) {
		t.Fatalf("stored %q, want %q", got, want)
	}
	r.AppendEvent("INFO", "LiveState", "four", clock.t)
	r.Clear()
	clock.advance(time.Second)
	if r.Len() != 0 {
		t.Fatalf("Clear left %d entries (held ones included)", r.Len())
	}
}

// issue 10 item 3: the ring is bounded in bytes, not only in entries — 8 000
// datagrams of 60 KB took a bridge to 1 GB. Over the budget the oldest
// entries go, and what the ring counts is what its entries hold.
func TestRingByteBudgetEvictsOldest(t *testing.T) {
	const budget = 64 << 10
	r := NewRing(1000)
	r.SetMaxBytes(budget)
	msg := strings.Repeat("m", 1000)
	for i := 0; i < 200; i++ {
		r.Append(Entry{Level: LevelInfo, Component: "C", Message: fmt.Sprint(i, " ", msg)})
		if b := r.Bytes(); b > budget {
			t.Fatalf("after %d entries the ring counts %d bytes, over its budget of %d", i+1, b, budget)
		}
	}
	all := r.Since(0, 0)
	if len(all) == 200 || len(all) < 40 {
		t.Fatalf("%d entries kept; want the budget, not the count, to bound them", len(all))
	}
	if !strings.HasPrefix(all[len(all)-1].Message, "199 ") || all[0].ID != uint64(200-len(all)+1) {
		t.Fatalf("want the newest kept and the oldest evicted: first ID %d, last %q", all[0].ID, all[len(all)-1].Message[:8])
	}
	sum := 0
	for i := range all {
		sum += all[i].Bytes()
	}
	if sum != r.Bytes() {
		t.Fatalf("the ring counts %d bytes, its entries hold %d", r.Bytes(), sum)
	}
	// Entries waiting out the holdback count too: a flood is not held whole.
	r.SetHoldback(time.Hour)
	for i := 0; i < 200; i++ {
		r.Append(Entry{Time: time.Now(), Level: LevelInfo, Component: "C", Message: msg})
		if b := r.Bytes(); b > budget {
			t.Fatalf("with a holdback, %d bytes counted after %d entries, over %d", b, i+1, budget)
		}
	}
	r.Clear()
	if r.Bytes() != 0 {
		t.Fatalf("Clear left %d bytes counted", r.Bytes())
	}
}

// issue 10 item 3: a /live/log message is cut once, to MaxLineLen with its
// suffix, and its text is kept once (no raw copy beside the message).
func TestAppendEventCutsLongMessageOnceAndKeepsItOnce(t *testing.T) {
	r := NewRing(10)
	long := strings.Repeat("é", 30_000) // 60 000 bytes, 2-byte runes
	r.AppendEvent("INFO", strings.Repeat("c", 1000), long, time.Now())
	e := r.Since(0, 0)[0]
	if len(e.Message) > MaxLineLen || !utf8.ValidString(e.Message) {
		t.Fatalf("message %d bytes (max %d), valid UTF-8 %v", len(e.Message), MaxLineLen, utf8.ValidString(e.Message))
	}
	kept := strings.TrimRight(e.Message[:strings.LastIndex(e.Message, " … (")], " ")
	if !strings.HasPrefix(long, kept) || !strings.HasSuffix(e.Message, fmt.Sprintf(" … (%d bytes cut)", len(long)-len(kept))) {
		t.Fatalf("want the message's start and how much was cut, got …%q", e.Message[len(e.Message)-40:])
	}
	if len(e.Component) > MaxComponentLen {
		t.Fatalf("component of %d bytes", len(e.Component))
	}
	if cutText(e.Message, MaxLineLen) != e.Message {
		t.Fatal("cutting a cut message again changed it: lines must be cut once")
	}
	// All the entry holds is its message and component (plus a fixed
	// overhead): no second copy of the line.
	if got, want := e.Bytes(), entryOverhead+len(e.Component)+len(e.Message); got != want || r.Bytes() != want {
		t.Fatalf("entry counts %d bytes, ring %d; its texts are %d", got, r.Bytes(), want)
	}
	// A long message still meets its Log.txt twin.
	logCopy := Entry{Time: e.Time, Level: LevelInfo, Source: SourceScript, Component: e.Component, Message: long}
	if id := r.Append(logCopy); id != 0 {
		t.Fatal("the Log.txt copy of a long /live/log line was stored twice")
	}
}

// issue 10 item 3: a traceback of thousands of lines is one bounded entry
// that still ends with the exception.
func TestTracebackIsBounded(t *testing.T) {
	lines := []string{"2024-05-30T16:26:36.000001: info: RemoteScriptError: Traceback (most recent call last):"}
	for i := 0; i < 5000; i++ {
		lines = append(lines, fmt.Sprintf("2024-05-30T16:26:36.000001: info: RemoteScriptError:   File \"x.py\", line %d, in f%s", i, strings.Repeat(" ", 40)))
	}
	lines = append(lines, "2024-05-30T16:26:36.000001: info: RemoteScriptError: RecursionError: maximum recursion depth exceeded")
	es := ParseLines(lines, time.UTC)
	if len(es) != 1 {
		t.Fatalf("%d entries, want one traceback", len(es))
	}
	tb := es[0].Traceback
	total := 0
	for _, l := range tb {
		total += len(l)
	}
	if total > MaxTracebackLen || tb[0] != "Traceback (most recent call last):" ||
		tb[len(tb)-1] != "RecursionError: maximum recursion depth exceeded" || !strings.Contains(tb[len(tb)-2], "lines,") {
		t.Fatalf("traceback of %d lines, %d bytes; first %q, before last %q, last %q", len(tb), total, tb[0], tb[len(tb)-2], tb[len(tb)-1])
	}
	if es[0].Message != "RecursionError: maximum recursion depth exceeded" {
		t.Fatalf("summary %q", es[0].Message)
	}
}

// issue 10 item 3: the dedup memory is bounded (maxRecent first copies, by
// hash) and still pairs copies after a flood from one source.
func TestRingDedupStaysBoundedUnderAFlood(t *testing.T) {
	r := NewRing(10)
	t0 := time.Now()
	for i := 0; i <= maxRecent; i++ {
		r.AppendEvent("INFO", "Flood", fmt.Sprint("line ", i), t0)
	}
	if n := r.dedup.n; n != maxRecent {
		t.Fatalf("%d first copies remembered, want at most %d", n, maxRecent)
	}
	// The oldest was forgotten: its Log.txt copy is stored. The newest
	// still cancels its copy.
	if id := r.Append(Entry{Time: t0, Level: LevelInfo, Source: SourceScript, Component: "Flood", Message: "line 0"}); id == 0 {
		t.Fatal("a first copy beyond the bound is still remembered")
	}
	last := fmt.Sprint("line ", maxRecent)
	if id := r.Append(Entry{Time: t0, Level: LevelInfo, Source: SourceScript, Component: "Flood", Message: last}); id != 0 {
		t.Fatal("the newest /live/log line did not cancel its Log.txt copy")
	}
	if len(r.dedup.lines) != maxRecent-1 {
		t.Fatalf("%d keys remembered after one was paired, want %d", len(r.dedup.lines), maxRecent-1)
	}
}
