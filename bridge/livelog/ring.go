package livelog

import (
	"slices"
	"sync"
	"time"
)

// DefaultRingSize is how many entries the UI's ring keeps at most: hours of
// a busy script's log. DefaultRingBytes bounds the same ring in bytes.
const DefaultRingSize = 100_000

// Ring is a bounded, filterable, in-memory log for the UI. Entries get
// increasing IDs. It is bounded twice: by a number of entries and by a byte
// budget (the sum of the entries' Bytes, held-back ones included); whichever
// is reached first evicts the oldest entries. Texts longer than MaxLineLen
// are cut on the way in. It is safe for concurrent use.
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
	mu        sync.Mutex
	buf       []Entry // circular, grown on demand up to size slots
	start     int     // index of the oldest entry
	n         int     // entries stored
	size      int     // most entries stored
	maxBytes  int     // byte budget of stored and held entries
	bytes     int     // Bytes of the stored entries
	heldBytes int     // Bytes of the held-back entries
	nextID    uint64
	comps     map[string]int // component → number of entries in the ring

	dedup dedup // first copies of script lines waiting for their twin

	hold    time.Duration
	pending heldQueue        // waiting out the holdback, in time order
	now     func() time.Time // the clock; tests replace it
}

// heldEntry is an entry waiting out the holdback.
type heldEntry struct {
	e       Entry
	key     time.Time // the entry's time, or its arrival if it has none
	arrived time.Time
}

// NewRing returns a ring keeping the newest size entries (DefaultRingSize
// if size <= 0) within DefaultRingBytes (see SetMaxBytes).
func NewRing(size int) *Ring {
	if size <= 0 {
		size = DefaultRingSize
	}
	return &Ring{size: size, maxBytes: DefaultRingBytes, nextID: 1, comps: map[string]int{},
		dedup: newDedup(), now: time.Now}
}

// SetMaxBytes sets the ring's byte budget (DefaultRingBytes if n <= 0) and
// evicts the oldest entries at once if they no longer fit. The newest
// stored entry is always kept, even if it alone is over the budget.
func (r *Ring) SetMaxBytes(n int) {
	if n <= 0 {
		n = DefaultRingBytes
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.maxBytes = n
	r.fitBudget()
}

// Bytes returns what the entries held (stored and held back) count against
// the byte budget: the sum of their Bytes.
func (r *Ring) Bytes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bytes + r.heldBytes
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
	return r.pending.len() > 0
}

// heldQueue is the entries waiting out the holdback, sorted by key (equal
// keys in arrival order). Entries leave from the front: one per append in a
// flood, so the front is an index rather than a shift of the whole queue,
// and the array is compacted once half of it is spent.
type heldQueue struct {
	q    []heldEntry
	head int // q[:head] has left
}

func (h *heldQueue) len() int            { return len(h.q) - h.head }
func (h *heldQueue) at(i int) *heldEntry { return &h.q[h.head+i] }

// insert adds e in key order, after the entries with an equal key.
func (h *heldQueue) insert(e heldEntry) {
	i, _ := slices.BinarySearchFunc(h.q[h.head:], e.key, func(x heldEntry, k time.Time) int {
		if x.key.After(k) {
			return 1
		}
		return -1 // equal keys sort before: the new one goes after them
	})
	h.q = slices.Insert(h.q, h.head+i, e)
}

// popFront removes the n oldest entries.
func (h *heldQueue) popFront(n int) {
	clear(h.q[h.head : h.head+n]) // their text must not stay reachable from here
	h.head += n
	if h.head > len(h.q)/2 {
		k := copy(h.q, h.q[h.head:])
		clear(h.q[k:])
		h.q, h.head = h.q[:k], 0
	}
}

// holdEntry queues e in time order; equal times keep their arrival order.
// Called with r.mu held.
func (r *Ring) holdEntry(e Entry, now time.Time) {
	key := e.Time
	if key.IsZero() {
		key = now
	}
	r.pending.insert(heldEntry{e: e, key: key, arrived: now})
	r.heldBytes += e.Bytes()
}

// commit stores, in time order, every held entry up to the last one whose
// holdback has passed: an entry still waiting only waits for older ones.
// Called with r.mu held.
func (r *Ring) commit(now time.Time) {
	n := 0
	for i := range r.pending.len() {
		if now.Sub(r.pending.at(i).arrived) >= r.hold {
			n = i + 1
		}
	}
	r.storeHeld(n)
}

// storeHeld stores the n oldest held entries. Called with r.mu held.
func (r *Ring) storeHeld(n int) {
	for i := 0; i < n; i++ {
		e := &r.pending.at(i).e
		r.heldBytes -= e.Bytes()
		r.push(*e)
	}
	r.pending.popFront(n)
}

// fitBudget keeps the stored and held entries within the byte budget.
// Held entries over half the budget are stored early, oldest first (a flood
// is not held back whole; its order is as good as the arrival order), then
// the oldest stored entries are evicted. Called with r.mu held.
func (r *Ring) fitBudget() {
	n := 0
	for held := r.heldBytes; n < r.pending.len() && held > r.maxBytes/2; n++ {
		held -= r.pending.at(n).e.Bytes()
	}
	r.storeHeld(n)
	for r.n > 1 && r.bytes+r.heldBytes > r.maxBytes {
		r.evict()
	}
}

// Append adds entries in order, assigns their IDs and returns the ID of the
// last one stored (0 if none was: all were duplicates, or are held back).
func (r *Ring) Append(es ...Entry) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.dedup.prune(now)
	var last uint64
	for i := range es {
		e := es[i]
		boundEntry(&e)
		if r.dedup.duplicate(&e, now) {
			continue
		}
		if r.hold > 0 {
			r.holdEntry(e, now)
		} else {
			last = r.push(e)
		}
		// Within the budget after each entry, not only after the batch:
		// a batch can be bigger than the budget.
		r.fitBudget()
	}
	r.commit(now)
	return last
}

// AppendEvent adds a /live/log event from the script (level as the script
// names it, e.g. "WARN" or "WARNING"; an unknown level is kept as INFO with the name in
// front of the message). It returns the entry's ID, or 0 if the same line
// already arrived through Log.txt or the entry is held back (SetHoldback).
//
// The message is cut to MaxLineLen and the component to MaxComponentLen: a
// datagram can carry 64 KB, and any local process can send one.
func (r *Ring) AppendEvent(level, component, message string, t time.Time) uint64 {
	lv, err := ParseLevel(level)
	if err != nil && level != "" {
		message = cutText(level, MaxComponentLen) + " " + message
	}
	return r.Append(Entry{Time: t, Level: lv, Source: SourceEvent, Component: component, Message: message})
}

// push stores one entry, evicting the oldest if the ring holds size
// entries. Called with r.mu held.
func (r *Ring) push(e Entry) uint64 {
	if r.n == r.size {
		r.evict()
	}
	if r.n == len(r.buf) {
		r.grow()
	}
	e.ID = r.nextID
	r.nextID++
	r.buf[(r.start+r.n)%len(r.buf)] = e
	r.n++
	r.bytes += e.Bytes()
	r.comps[e.Component]++
	return e.ID
}

// grow doubles the buffer (up to size slots), oldest entry first. Called
// with r.mu held.
func (r *Ring) grow() {
	nb := make([]Entry, min(r.size, max(64, 2*len(r.buf))))
	for i := 0; i < r.n; i++ {
		nb[i] = *r.at(i)
	}
	r.buf, r.start = nb, 0
}

// evict drops the oldest stored entry. Called with r.mu held.
func (r *Ring) evict() {
	old := &r.buf[r.start]
	r.bytes -= old.Bytes()
	r.dropComponent(old.Component)
	*old = Entry{} // let its strings go
	r.start = (r.start + 1) % len(r.buf)
	r.n--
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
	return r.n
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
	n := r.n
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
	for i := r.n - 1; i >= 0; i-- {
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
	r.buf, r.start, r.n, r.bytes = nil, 0, 0, 0
	r.pending, r.heldBytes = heldQueue{}, 0
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
