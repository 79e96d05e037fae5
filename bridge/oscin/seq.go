package oscin

// Verdict is what the sequence tracker concluded about one event.
type Verdict int

const (
	// InOrder: the next expected event (or an unwrapped one).
	InOrder Verdict = iota
	// Gap: events were lost before this one (Tracker.LastGap says how many).
	Gap
	// Foreign: numbering far behind this session's (it started over): not
	// this session's event but another sender's, or its successor's whose
	// hello was lost. The tracker is left as it was, so such events cannot
	// make the session's own next event look like a gap; who the sender is
	// is for the engine to find out (the command port knows).
	Foreign
	// Duplicate: already seen; drop it.
	Duplicate
	// Late: older than events already delivered (reordered on the way); the
	// gap it belonged to already triggered a resync, so drop it.
	Late
)

// String returns the verdict's name, for logs and test failures.
func (v Verdict) String() string {
	switch v {
	case InOrder:
		return "in-order"
	case Gap:
		return "gap"
	case Foreign:
		return "foreign"
	case Duplicate:
		return "duplicate"
	case Late:
		return "late"
	}
	return "unknown"
}

// window is how far back the tracker remembers which numbers it has seen.
const window = 4096

// Tracker follows the sequence numbers of one script session. It knows
// nothing of session ids: the engine decides which events belong to the
// session it follows, and calls Reset when that session changes. Not safe
// for concurrent use: the consumer owns it.
type Tracker struct {
	next    int64 // the next expected number
	seen    [window]int64
	lastGap int64
	started bool
}

// LastGap is the number of events lost before the last Gap verdict.
func (t *Tracker) LastGap() int64 { return t.lastGap }

// Reset forgets the numbering: the next event observed starts it again
// (a new session numbers its events from 1, and the first of them the
// bridge sees may be any of them).
func (t *Tracker) Reset() {
	t.started = false
	t.lastGap = 0
}

// Observe classifies ev and updates the tracker.
func (t *Tracker) Observe(ev *Event) Verdict {
	if ev.Seq == 0 {
		return InOrder
	}
	switch {
	case !t.started:
		t.start(ev.Seq)
		return InOrder
	case ev.Seq == t.next:
		t.mark(ev.Seq)
		t.next++
		return InOrder
	case ev.Seq > t.next:
		t.lastGap = ev.Seq - t.next
		t.mark(ev.Seq)
		t.next = ev.Seq + 1
		return Gap
	}
	// Older than expected.
	if t.next-ev.Seq > window || ev.Seq <= 2 && t.next > 64 {
		// Numbering that started over: not a flood of duplicates.
		return Foreign
	}
	if t.seen[ev.Seq%window] == ev.Seq {
		return Duplicate
	}
	t.mark(ev.Seq)
	return Late
}

func (t *Tracker) start(seq int64) {
	t.started = true
	t.seen = [window]int64{}
	t.mark(seq)
	t.next = seq + 1
}

func (t *Tracker) mark(seq int64) { t.seen[seq%window] = seq }
