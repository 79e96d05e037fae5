package livelog

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
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
