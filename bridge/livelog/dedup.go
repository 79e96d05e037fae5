package livelog

import (
	"hash/maphash"
	"slices"
	"time"
)

// dedupWindow is how far apart in time a Log.txt line and a /live/log event
// may be and still be the same line. Both carry the script's own clock.
const dedupWindow = 2 * time.Second

// maxRecent bounds the first copies remembered, even if one source is
// silent for a while; recentFor is how long one is remembered (Log.txt is
// polled every 250 ms, so its twin comes well within that).
const (
	maxRecent = 4096
	recentFor = 10 * time.Second
)

// dedup remembers the first copy of each script line (from Log.txt or a
// /live/log event) until its twin from the other source arrives, so the
// Ring can drop the twin (see Ring). Lookups are by key, so a flood of
// lines costs the same per line as a trickle. Not safe for concurrent use:
// the Ring's mutex guards it.
type dedup struct {
	seed  maphash.Seed
	lines map[sideKey][]recentLine // first copies by key and source, oldest first
	order []recentRef              // every first copy in arrival order: a circular queue of maxRecent
	head  int                      // oldest in order
	n     int                      // copies in order (some may have met their twin since)
	id    uint64                   // the last recentLine.id given
}

// dedupKey identifies a line by a hash of its message rather than the
// message itself, so nothing here keeps a text alive after the ring has
// evicted it (4096 messages of 16 KiB would be 64 MiB).
type dedupKey struct {
	msgHash   uint64
	msgLen    int
	level     Level
	component string
}

// sideKey is a line's key and the source it came from: a copy looks only
// among the other source's copies, so a flood from one source costs the
// same per line as a trickle.
type sideKey struct {
	dedupKey
	source Source
}

// recentLine is a first copy that may still meet its twin.
type recentLine struct {
	id uint64
	t  time.Time // entry time
}

// recentRef is a first copy's place in arrival order.
type recentRef struct {
	key     sideKey
	id      uint64
	arrived time.Time // wall time of arrival, for pruning
}

func newDedup() dedup {
	return dedup{seed: maphash.MakeSeed(), lines: map[sideKey][]recentLine{}}
}

// duplicate reports whether e is the second copy of a line seen before (and
// consumes the first copy, so each copy cancels at most one), else
// remembers e as a possible first copy.
func (d *dedup) duplicate(e *Entry, now time.Time) bool {
	if e.Source != SourceScript && e.Source != SourceEvent {
		return false
	}
	k := dedupKey{maphash.String(d.seed, e.Message), len(e.Message), e.Level, e.Component}
	other := sideKey{k, SourceScript}
	if e.Source == SourceScript {
		other.source = SourceEvent
	}
	for _, l := range d.lines[other] {
		if absDur(l.t.Sub(e.Time)) <= dedupWindow {
			d.forget(other, l.id)
			return true
		}
	}
	own := sideKey{k, e.Source}
	if d.order == nil {
		d.order = make([]recentRef, maxRecent)
	}
	if d.n == maxRecent {
		d.popOldest()
	}
	d.id++
	d.lines[own] = append(d.lines[own], recentLine{id: d.id, t: e.Time})
	d.order[(d.head+d.n)%maxRecent] = recentRef{key: own, id: d.id, arrived: now}
	d.n++
	return false
}

// prune forgets first copies old enough that their twin is not coming.
func (d *dedup) prune(now time.Time) {
	for d.n > 0 && now.Sub(d.order[d.head].arrived) > recentFor {
		d.popOldest()
	}
}

// popOldest forgets the oldest first copy (if it has not met its twin yet).
func (d *dedup) popOldest() {
	ref := &d.order[d.head]
	d.forget(ref.key, ref.id)
	*ref = recentRef{}
	d.head = (d.head + 1) % maxRecent
	d.n--
}

// forget removes the first copy id of k, if it is still there. It is
// usually the oldest of its key (pruning, or the twin of the oldest copy).
func (d *dedup) forget(k sideKey, id uint64) {
	lines := d.lines[k]
	for i := range lines {
		if lines[i].id == id {
			switch {
			case len(lines) == 1:
				delete(d.lines, k)
			case i == 0:
				d.lines[k] = lines[1:]
			default:
				d.lines[k] = slices.Delete(lines, i, i+1)
			}
			return
		}
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
