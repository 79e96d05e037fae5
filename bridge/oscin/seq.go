package oscin

import (
	"net/netip"
	"time"
)

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
	// Renumbered: a hello, heartbeat or bye that was behind its sender's
	// numbering: the numbering the tracker followed was not the sender's
	// own (one datagram numbered far ahead), or the socket's port was taken
	// over by a new instance that numbers from 1 again. The tracker follows
	// the sender again from this event; what came between is unknown, so
	// the consumer resynchronises.
	Renumbered
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
	case Renumbered:
		return "renumbered"
	}
	return "unknown"
}

// window is how far back the tracker remembers which numbers it has seen.
const window = 4096

// Tracker follows the sequence numbers of one sender. It knows nothing of
// session ids: Serve keeps one per sender socket (senders), since a script
// instance numbers from 1 on a socket of its own. Not safe for concurrent
// use: the consumer owns it.
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

// maxSenders bounds the sender sockets whose numbering is followed at once:
// the script's one socket, a restarted instance's, and a few strangers. A
// flood from more sockets evicts the least recently heard one, which then
// starts over as a new sender (its next event is in order, not a gap).
const maxSenders = 16

// senders follows the numbering of each sender socket apart, so a stranger
// (a second script, a local program) can never disturb the script's own.
// Evicted trackers are reused: a flood from ever new sockets allocates
// nothing.
type senders struct {
	list []sender
}

type sender struct {
	from netip.AddrPort
	last time.Time // when it was last heard
	t    *Tracker
}

// observe sets ev.Order (and ev.Lost) in the numbering of ev.From.
func (s *senders) observe(ev *Event) {
	t := s.tracker(ev.From, ev.Received)
	v := t.Observe(ev)
	if (v == Foreign || v == Late) && ev.Kind.Marker() {
		t.Reset()
		t.Observe(ev)
		v = Renumbered
	}
	ev.Order = v
	if v == Gap {
		ev.Lost = t.LastGap()
	}
}

// tracker returns the tracker of from, heard at now.
func (s *senders) tracker(from netip.AddrPort, now time.Time) *Tracker {
	oldest := 0
	for i := range s.list {
		if s.list[i].from == from {
			s.list[i].last = now
			return s.list[i].t
		}
		if s.list[i].last.Before(s.list[oldest].last) {
			oldest = i
		}
	}
	if len(s.list) < maxSenders {
		s.list = append(s.list, sender{from: from, last: now, t: new(Tracker)})
		return s.list[len(s.list)-1].t
	}
	e := &s.list[oldest]
	e.from, e.last = from, now
	e.t.Reset()
	return e.t
}
