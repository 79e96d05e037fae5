package oscin

// Verdict is what the sequence tracker concluded about one event.
type Verdict int

const (
	// InOrder: the next expected event (or an unwrapped one).
	InOrder Verdict = iota
	// Gap: events were lost before this one (Tracker.LastGap says how many).
	Gap
	// Restart: the script started a new session (a hello with a new session
	// id, or numbering that started over); numbering restarts here.
	Restart
	// Duplicate: already seen; drop it.
	Duplicate
	// Late: older than events already delivered (reordered on the way); the
	// gap it belonged to already triggered a resync, so drop it.
	Late
)

// window is how far back the tracker remembers which numbers it has seen.
const window = 4096

// Tracker follows the script's sequence numbers. Not safe for concurrent
// use: the consumer owns it.
type Tracker struct {
	session  string
	next     int64 // the next expected number; 0 before the first event
	seen     [window]int64
	lastGap  int64
	started  bool
	restarts int
}

// LastGap is the number of events lost before the last Gap verdict.
func (t *Tracker) LastGap() int64 { return t.lastGap }

// Session is the session id of the last hello, "" before one.
func (t *Tracker) Session() string { return t.session }

// Observe classifies ev and updates the tracker.
func (t *Tracker) Observe(ev *Event) Verdict {
	if ev.Seq == 0 {
		return InOrder
	}
	if ev.Path == "/live/hello" && len(ev.Args) > 0 {
		if id, ok := ev.Args[0].(string); ok && id != t.session {
			t.session = id
			t.reset(ev.Seq)
			return Restart
		}
	}
	switch {
	case !t.started:
		t.reset(ev.Seq)
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
		// Numbering started over without a hello we saw (the hello was
		// lost): a restart, not a flood of duplicates.
		t.reset(ev.Seq)
		return Restart
	}
	if t.seen[ev.Seq%window] == ev.Seq {
		return Duplicate
	}
	t.mark(ev.Seq)
	return Late
}

func (t *Tracker) reset(seq int64) {
	t.started = true
	t.seen = [window]int64{}
	t.mark(seq)
	t.next = seq + 1
	t.restarts++
}

func (t *Tracker) mark(seq int64) { t.seen[seq%window] = seq }
