package livelog

import (
	"slices"
	"sync"
	"time"
)

// DefaultRingSize is how many entries the UI's ring keeps: hours of a busy
// script's log in a few tens of MB.
const DefaultRingSize = 100_000

// dedupWindow is how far apart in time a Log.txt line and a /live/log event
// may be and still be the same line. Both carry the script's own clock.
const dedupWindow = 2 * time.Second

// Ring is a bounded, filterable, in-memory log for the UI. Entries get
// increasing IDs; when it is full the oldest entries are dropped. It is safe
// for concurrent use.
//
// The script's lines can reach the ring twice: from Log.txt (through
// log_message) and as /live/log events over UDP. The ring keeps whichever
// copy arrives first and drops the other: a SourceScript entry and a
// SourceEvent entry with the same level, component and message whose times
// are within 2 s are one line. Each copy cancels at most one copy from the
// other source, so a message really logged twice still shows twice.
//
// The two sources also arrive with different delays: a /live/log event within
// a millisecond, a line only in Log.txt (Live's own lines, tracebacks) when
// the file is next polled. With a holdback (SetHoldback), entries wait that
// long before they are stored, and are stored in time order, so a traceback
// shows where it happened rather than after the lines that overtook it.
type Ring struct {
	mu     sync.Mutex
	buf    []Entry // circular; len(buf) == cap once full
	start  int     // index of the oldest entry when full
	size   int
	nextID uint64
	comps  map[string]int // component → number of entries in the ring

	recent []recentLine // first copies still waiting for their twin, oldest first

	hold    time.Duration
	pending []heldEntry      // waiting out the holdback, in time order
	now     func() time.Time // the clock; tests replace it
}

// heldEntry is an entry waiting out the holdback.
type heldEntry struct {
	e       Entry
	key     time.Time // the entry's time, or its arrival if it has none
	arrived time.Time
}

// recentLine is a first copy of a script line that may still meet its twin.
type recentLine struct {
	key     dedupKey
	t       time.Time // entry time
	arrived time.Time // wall time of arrival, for pruning
	source  Source
}

type dedupKey struct {
	level     Level
	component string
	message   string
}

// NewRing returns a ring keeping the newest size entries
// (DefaultRingSize if size <= 0).
func NewRing(size int) *Ring {
	if size <= 0 {
		size = DefaultRingSize
	}
	return &Ring{size: size, nextID: 1, comps: map[string]int{}, now: time.Now}
}

// SetHoldback makes entries wait d after they arrive before they are stored
// (and visible to Since, Query and Len), so that ones arriving out of time
// order within d are stored in time order. 0, the default, stores at once.
func (r *Ring) SetHoldback(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hold = d
	r.commit(r.now())
}

// Pending reports whether entries are still waiting out the holdback.
func (r *Ring) Pending() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commit(r.now())
	return len(r.pending) > 0
}

// holdEntry queues e in time order; equal times keep their arrival order.
// Called with r.mu held.
func (r *Ring) holdEntry(e Entry, now time.Time) {
	key := e.Time
	if key.IsZero() {
		key = now
	}
	i, _ := slices.BinarySearchFunc(r.pending, key, func(h heldEntry, k time.Time) int {
		if h.key.After(k) {
			return 1
		}
		return -1 // equal keys sort before: the new one goes after them
	})
	r.pending = slices.Insert(r.pending, i, heldEntry{e: e, key: key, arrived: now})
}

// commit stores, in time order, every held entry up to the last one whose
// holdback has passed: an entry still waiting only waits for older ones.
// Called with r.mu held.
func (r *Ring) commit(now time.Time) {
	n := 0
	for i := range r.pending {
		if now.Sub(r.pending[i].arrived) >= r.hold {
			n = i + 1
		}
	}
	for i := 0; i < n; i++ {
		r.push(r.pending[i].e)
	}
	r.pending = slices.Delete(r.pending, 0, n)
}

// Append adds entries in order, assigns their IDs and returns the ID of the
// last one stored (0 if none was: all were duplicates, or are held back).
func (r *Ring) Append(es ...Entry) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.prune(now)
	var last uint64
	for i := range es {
		if r.duplicate(&es[i], now) {
			continue
		}
		if r.hold > 0 {
			r.holdEntry(es[i], now)
		} else {
			last = r.push(es[i])
		}
	}
	r.commit(now)
	return last
}

// AppendEvent adds a /live/log event from the script (level as the script
// names it, e.g. "WARNING"; an unknown level is kept as INFO with the name in
// front of the message). It returns the entry's ID, or 0 if the same line
// already arrived through Log.txt or the entry is held back (SetHoldback).
func (r *Ring) AppendEvent(level, component, message string, t time.Time) uint64 {
	lv, err := ParseLevel(level)
	if err != nil && level != "" {
		message = level + " " + message
	}
	raw := lv.String() + " [" + component + "] " + message
	return r.Append(Entry{Time: t, Level: lv, Source: SourceEvent, Component: component, Message: message, Raw: raw})
}

// duplicate reports whether e is the second copy of a line already in the
// ring (and consumes the first copy's token), else records e as a possible
// first copy. Called with r.mu held.
func (r *Ring) duplicate(e *Entry, now time.Time) bool {
	if e.Source != SourceScript && e.Source != SourceEvent {
		return false
	}
	k := dedupKey{e.Level, e.Component, e.Message}
	for i := range r.recent {
		rl := &r.recent[i]
		if rl.key == k && rl.source != e.Source && absDur(rl.t.Sub(e.Time)) <= dedupWindow {
			r.recent = slices.Delete(r.recent, i, i+1)
			return true
		}
	}
	r.recent = append(r.recent, recentLine{key: k, t: e.Time, arrived: now, source: e.Source})
	// Bound the bookkeeping even if one source is silent for a while.
	if len(r.recent) > 4096 {
		r.recent = slices.Delete(r.recent, 0, len(r.recent)-4096)
	}
	return false
}

// prune forgets first copies old enough that their twin is not coming
// (Log.txt is polled every 250 ms; 10 s is plenty).
func (r *Ring) prune(now time.Time) {
	n := 0
	for n < len(r.recent) && now.Sub(r.recent[n].arrived) > 10*time.Second {
		n++
	}
	if n > 0 {
		r.recent = slices.Delete(r.recent, 0, n)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// push stores one entry. Called with r.mu held.
func (r *Ring) push(e Entry) uint64 {
	e.ID = r.nextID
	r.nextID++
	if len(r.buf) < r.size {
		r.buf = append(r.buf, e)
	} else {
		old := r.buf[r.start]
		r.dropComponent(old.Component)
		r.buf[r.start] = e
		r.start = (r.start + 1) % r.size
	}
	r.comps[e.Component]++
	return e.ID
}

func (r *Ring) dropComponent(c string) {
	if r.comps[c] <= 1 {
		delete(r.comps, c)
	} else {
		r.comps[c]--
	}
}

// at returns the i-th oldest entry. Called with r.mu held.
func (r *Ring) at(i int) *Entry {
	return &r.buf[(r.start+i)%len(r.buf)]
}

// Len returns the number of entries held.
func (r *Ring) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commit(r.now())
	return len(r.buf)
}

// LastID returns the ID of the newest entry, 0 if none was ever added.
// A UI polls it to know whether to fetch Since.
func (r *Ring) LastID() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commit(r.now())
	return r.nextID - 1
}

// Since returns, oldest first, up to max entries with an ID greater than id
// (all of them if max <= 0). Since(0, n) starts from the oldest entry held.
func (r *Ring) Since(id uint64, max int) []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commit(r.now())
	n := len(r.buf)
	if n == 0 {
		return nil
	}
	// IDs are consecutive inside the ring, so the position is arithmetic.
	first := r.at(0).ID
	skip := 0
	if id >= first {
		skip = int(id - first + 1)
	}
	if skip >= n {
		return nil
	}
	count := n - skip
	if max > 0 && count > max {
		count = max
	}
	out := make([]Entry, count)
	for i := range out {
		out[i] = *r.at(skip + i)
	}
	return out
}

// Query returns, oldest first, the newest max entries that match f (all
// matches if max <= 0).
func (r *Ring) Query(f Filter, max int) []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commit(r.now())
	var out []Entry
	for i := len(r.buf) - 1; i >= 0; i-- {
		e := r.at(i)
		if f.Match(e) {
			out = append(out, *e)
			if max > 0 && len(out) == max {
				break
			}
		}
	}
	slices.Reverse(out)
	return out
}

// Clear removes every entry; IDs keep increasing.
func (r *Ring) Clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf, r.start = nil, 0
	r.pending = nil
	r.comps = map[string]int{}
}

// Components returns the components of the entries held, sorted, for the
// UI's filter menu.
func (r *Ring) Components() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commit(r.now())
	out := make([]string, 0, len(r.comps))
	for c := range r.comps {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
