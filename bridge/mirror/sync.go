package mirror

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// DefaultMaxBuffered bounds the events Sync holds while a SNAPSHOT is in
// flight: a snapshot of a big Set takes well under a second, and at the
// script's peak rate that is far fewer events than this.
const DefaultMaxBuffered = 200_000

// ErrSessionChanged is returned (wrapped) by Complete when a /live/hello of
// a session other than the snapshot's arrived while it was in flight: the
// script restarted after the snapshot was taken, so the mirror needs another
// resync.
var ErrSessionChanged = errors.New("the script started a new session while the snapshot was in flight")

// ErrBufferOverflow is returned (wrapped) by Complete when events newer than
// the snapshot had to be dropped while it was in flight: the mirror is
// behind and needs another resync.
var ErrBufferOverflow = errors.New("events newer than the snapshot were dropped while it was in flight")

// Event is one decoded event: its sequence number (0 for an unwrapped
// message, which has none), path and arguments.
type Event struct {
	Seq  int64
	Path string
	Args []any
}

// Sync feeds a Mirror with events and resynchronises it from SNAPSHOT
// without losing the events that arrive meanwhile. Between Begin and
// Complete (or Abort) events are buffered; Complete loads the snapshot and
// applies, in arrival order, the buffered events whose seq is greater than
// the snapshot's, dropping the others (the snapshot already contains them).
// Events without a sequence number are never applied.
//
// After a snapshot, events with a sequence number at or below its seq are
// dropped even when they arrive late, until a /live/hello (a new session,
// whose numbering starts over) arrives. A /live/hello in the buffer of the
// snapshot's own session marks everything before it as superseded.
//
// Methods are safe for concurrent use; events are applied in the order
// Event is called.
type Sync struct {
	m   *Mirror
	max int

	mu         sync.Mutex
	inFlight   bool
	buf        []Event
	maxDropped int64 // highest seq dropped for lack of room; -1 when none
	dropped    int   // events dropped for lack of room in this resync
	floor      int64 // events with 0 < seq <= floor are already in the state
}

// NewSync returns a Sync for m that buffers at most maxBuffered events
// during a resync (DefaultMaxBuffered if maxBuffered <= 0).
func NewSync(m *Mirror, maxBuffered int) *Sync {
	if maxBuffered <= 0 {
		maxBuffered = DefaultMaxBuffered
	}
	return &Sync{m: m, max: maxBuffered, maxDropped: -1}
}

// Mirror returns the mirror this Sync feeds.
func (s *Sync) Mirror() *Mirror { return s.m }

// Resyncing reports whether a snapshot is in flight.
func (s *Sync) Resyncing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// Event applies ev to the mirror, or buffers it while a snapshot is in
// flight (buffered=true; changed and err are then zero). An event the last
// snapshot already contains, and an unnumbered one, is dropped (all results
// zero). A failed Apply returns its error and leaves the state untouched.
func (s *Sync) Event(ev Event) (changed, buffered bool, err error) {
	a, err := s.Apply(ev)
	return a.Changed, a.Buffered, err
}

// Applied says what became of one event given to Apply.
type Applied struct {
	// Applied: the mirror took the event now, on top of the state of
	// Session; it is what clients get next. False when it was buffered,
	// already contained in the state, unnumbered, or did not apply.
	Applied bool
	Changed bool   // the state changed
	Session string // the mirror's session when it was applied
	Patch   Patch  // what it did to the state (empty: nothing)
	// Buffered: held for the snapshot in flight, which clients then get
	// with the event in it.
	Buffered bool
}

// Apply is Event, saying what became of ev. An unnumbered event (seq 0: an
// OSC message without the /live/seq wrapper, which VimAbl's script never
// sends) is ignored: every change of the state has a sequence number, so a
// copy at a given seq is the same everywhere (docs/protocol.md).
func (s *Sync) Apply(ev Event) (Applied, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev.Seq == 0 {
		return Applied{}, nil
	}
	if s.inFlight {
		if len(s.buf) >= s.max {
			s.dropped++
			if ev.Seq > s.maxDropped {
				s.maxDropped = ev.Seq
			}
			return Applied{Buffered: true}, nil
		}
		s.buf = append(s.buf, ev)
		return Applied{Buffered: true}, nil
	}
	if ev.Path == "/live/hello" {
		s.floor = 0 // a new session numbers its events from 1 again
	}
	if ev.Seq <= s.floor {
		return Applied{}, nil
	}
	var patch Patch
	changed, session, err := s.m.applySeq(ev.Seq, ev.Path, ev.Args, &patch)
	if err != nil {
		return Applied{}, err
	}
	return Applied{Applied: true, Changed: changed, Session: session, Patch: patch}, nil
}

// Begin starts buffering events because a SNAPSHOT request is about to be
// sent. Calling Begin while already in flight keeps the buffer.
func (s *Sync) Begin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.inFlight {
		s.inFlight = true
		s.buf = s.buf[:0]
		s.dropped, s.maxDropped = 0, -1
	}
}

// ResyncResult says what Complete did.
type ResyncResult struct {
	Applied int // buffered events applied after the snapshot
	Skipped int // buffered events already contained in the snapshot
	Failed  int // buffered events that did not apply (their errors are joined into Complete's error)
	Dropped int // events dropped because the buffer was full
}

// Complete loads snap and applies the buffered events newer than it, then
// stops buffering. If snap does not load, the old state is kept, the
// buffered events are applied to it (they are still the newest news) and the
// error is returned. If events newer than snap were dropped for lack of
// room, the result wraps ErrBufferOverflow: resync again.
func (s *Sync) Complete(snap Snapshot) (ResyncResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := ResyncResult{Dropped: s.dropped}
	buf := s.buf
	s.inFlight = false
	s.buf = nil
	if err := s.m.LoadSnapshot(snap); err != nil {
		s.replay(buf, -1, "", &res)
		return res, fmt.Errorf("resync: %w", err)
	}
	s.floor = snap.Seq
	// Events before the snapshot's own session began are superseded.
	for i := len(buf) - 1; i >= 0; i-- {
		if buf[i].Path == "/live/hello" && helloSession(buf[i]) == snap.SessionID && snap.SessionID != "" {
			res.Skipped += i
			buf = buf[i:]
			break
		}
	}
	// A hello of another session after that means the snapshot is already old.
	newer := false
	for _, ev := range buf {
		if ev.Path == "/live/hello" && helloSession(ev) != snap.SessionID {
			newer = true
		}
	}
	errs := s.replay(buf, snap.Seq, snap.SessionID, &res)
	if newer {
		errs = append(errs, ErrSessionChanged)
	}
	if s.maxDropped > snap.Seq {
		errs = append(errs, fmt.Errorf("%d events: %w", s.dropped, ErrBufferOverflow))
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("resync: %w", errors.Join(errs...))
	}
	return res, nil
}

// Abort stops buffering without a snapshot (the request failed) and applies
// the buffered events to the current state, so none is lost.
func (s *Sync) Abort() ResyncResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := ResyncResult{Dropped: s.dropped}
	buf := s.buf
	s.inFlight = false
	s.buf = nil
	s.replay(buf, -1, "", &res)
	return res
}

// helloSession returns the session id of a /live/hello event, "" if absent.
func helloSession(ev Event) string {
	if len(ev.Args) > 0 {
		if id, ok := ev.Args[0].(string); ok {
			return id
		}
	}
	return ""
}

// replay applies buffered events with seq > after;
// a hello of a session other than session starts a new numbering, after
// which everything applies. It is called with s.mu held.
func (s *Sync) replay(buf []Event, after int64, session string, res *ResyncResult) []error {
	var errs []error
	for _, ev := range buf {
		if ev.Path == "/live/hello" && helloSession(ev) != session {
			after = -1 // a new session numbers from 1 again
			s.floor = 0
		}
		if ev.Seq <= after {
			res.Skipped++
			continue
		}
		if _, _, err := s.m.applySeq(ev.Seq, ev.Path, ev.Args, nil); err != nil {
			res.Failed++
			if len(errs) < 10 {
				errs = append(errs, err)
			}
			continue
		}
		res.Applied++
	}
	return errs
}

// Resync buffers events, fetches a snapshot (the engine's fetch asks the
// script for SNAPSHOT on its command port), then completes the resync with
// it, or aborts it if fetch fails. It returns when the mirror is up to date
// or the attempt has failed.
func (s *Sync) Resync(ctx context.Context, fetch func(context.Context) (Snapshot, error)) (ResyncResult, error) {
	s.Begin()
	snap, err := fetch(ctx)
	if err != nil {
		return s.Abort(), fmt.Errorf("resync: %w", err)
	}
	return s.Complete(snap)
}
