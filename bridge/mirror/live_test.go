package mirror

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vimabl/vimabl/bridge/scriptclient"
)

// liveRig runs the real Remote Script inside the fake Live and keeps a
// mirror fed from its UDP events the way the engine does: events go through
// a Sync in arrival order, and a /live/hello of a new session or a gap in
// the sequence numbers triggers a SNAPSHOT resync.
type liveRig struct {
	t      *testing.T
	sim    liveSim
	client *scriptclient.Client
	m      *Mirror
	sync   *Sync

	progress chan struct{} // signalled after every event

	mu      sync.Mutex
	errs    []error
	gaps    int
	resyncs int

	// With record set, hmu is held around every change of the mirror and
	// the rig keeps what a patch-mode client would be sent (stream) and the
	// state after each sequence number of the current session (hist).
	record      bool
	hmu         sync.Mutex
	stream      []streamItem
	hist        map[int64][]byte
	histSession string
	histTop     int64 // the highest seq in hist
}

// streamItem is a snapshot, or an applied event with its patch and the
// mirror's state right after it.
type streamItem struct {
	Snapshot json.RawMessage `json:"snapshot,omitempty"`
	Seq      int64           `json:"seq,omitempty"`
	Path     string          `json:"path,omitempty"`
	Patch    *Patch          `json:"patch,omitempty"`
	State    json.RawMessage `json:"state,omitempty"`
}

func newLiveRig(t *testing.T) *liveRig { return startLiveRig(t, false) }

// startLiveRig is newLiveRig, recording the stream and history if record.
func startLiveRig(t *testing.T, record bool) *liveRig {
	feed := listenOSC(t)
	sim := startSim(t, feed.port())
	m := New()
	r := &liveRig{
		t: t, sim: sim, client: scriptclient.New(sim.CommandAddr()),
		m: m, sync: NewSync(m, 0), progress: make(chan struct{}, 1),
		record: record, hist: map[int64][]byte{},
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	resyncReq := make(chan struct{}, 1)
	go r.resyncLoop(ctx, resyncReq)
	go r.feedLoop(feed, resyncReq)
	// The hello may have been sent before our socket existed: ask anyway.
	resyncReq <- struct{}{}
	r.waitUntil("the first snapshot is loaded", 20*time.Second, func() bool { return m.Summary().Loaded })
	return r
}

func (r *liveRig) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) < 20 {
		r.errs = append(r.errs, err)
	}
}

// feedLoop is the engine's receive path in miniature.
func (r *liveRig) feedLoop(feed *oscFeed, resyncReq chan struct{}) {
	var last int64
	request := func() {
		select {
		case resyncReq <- struct{}{}:
		default:
		}
	}
	for {
		select {
		case ev, ok := <-feed.events:
			if !ok {
				return
			}
			if ev.Path == "/live/hello" {
				last = 0
				if helloSession(ev) != r.m.SessionID() {
					request()
				}
			} else if last > 0 && ev.Seq > last+1 {
				r.mu.Lock()
				r.gaps++
				r.mu.Unlock()
				request()
			}
			if ev.Seq > last {
				last = ev.Seq
			}
			r.hmu.Lock()
			a, err := r.sync.Apply(ev)
			if err != nil {
				r.fail(fmt.Errorf("seq %d: %w", ev.Seq, err))
			} else if a.Applied && r.record {
				patch := a.Patch
				r.keep(a.Session, ev.Seq, streamItem{Seq: ev.Seq, Path: ev.Path, Patch: &patch})
			}
			r.hmu.Unlock()
			select {
			case r.progress <- struct{}{}:
			default:
			}
		case err := <-feed.bad:
			r.fail(err)
		}
	}
}

func (r *liveRig) resyncLoop(ctx context.Context, req chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-req:
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		r.sync.Begin()
		snap, err := r.client.Snapshot(rctx)
		cancel()
		r.hmu.Lock()
		if err != nil {
			r.sync.Abort()
		} else {
			_, err = r.sync.Complete(Snapshot(snap))
		}
		if r.record {
			session, seq, _ := r.m.SnapshotJSON()
			r.keep(session, seq, streamItem{})
		}
		r.hmu.Unlock()
		r.mu.Lock()
		r.resyncs++
		r.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			r.t.Logf("resync: %v (retrying)", err)
			select {
			case req <- struct{}{}:
			default:
			}
		}
		select {
		case r.progress <- struct{}{}:
		default:
		}
	}
}

// keep records the mirror as it now is (after the event it, or a
// snapshot when it has no patch), at seq of session; called with hmu held.
func (r *liveRig) keep(session string, seq int64, it streamItem) {
	state := r.m.JSON()
	if it.Patch == nil {
		it.Snapshot = state
	} else {
		it.State = state
	}
	// A client's stream starts with a snapshot: events applied to the
	// empty mirror before the first one reach nobody.
	if len(r.stream) > 0 || it.Patch == nil {
		r.stream = append(r.stream, it)
	}
	if session != r.histSession {
		r.hist, r.histSession, r.histTop = map[int64][]byte{}, session, 0
	}
	r.hist[seq] = state
	r.histTop = max(r.histTop, seq)
}

// stateAt waits until the mirror has passed seq of session and returns its
// state at exactly seq, or nil if it never held that seq by itself (the
// event was replayed inside a resync).
func (r *liveRig) stateAt(session string, seq int64) []byte {
	var state []byte
	r.waitUntil(fmt.Sprintf("the mirror reaches seq %d of session %s", seq, session), 20*time.Second, func() bool {
		r.hmu.Lock()
		defer r.hmu.Unlock()
		state = r.hist[seq]
		return r.histSession == session && r.histTop >= seq
	})
	return state
}

// waitUntil waits for cond, re-checking after each event, up to d.
func (r *liveRig) waitUntil(what string, d time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	// Heartbeats arrive every second, so a check at least that often is
	// guaranteed even when nothing else happens.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-r.progress:
		case <-tick.C:
		case <-deadline.C:
			r.t.Fatalf("timed out after %v waiting until %s", d, what)
		}
	}
}

// control sends a control line to the fake Live and waits for its answer.
func (r *liveRig) control(line string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := r.sim.Control(ctx, line); err != nil {
		r.t.Fatalf("fake Live control %q: %v", line, err)
	}
}

// converge asks for SNAPSHOTs until the mirror, at exactly the snapshot's
// sequence number, equals its state. A pending debounced trailing edge can
// make one comparison differ, so it retries until the deadline and then
// reports the last difference.
func (r *liveRig) converge(d time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	lastDiff := "no snapshot taken"
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		snap, err := r.client.Snapshot(ctx)
		cancel()
		if err != nil {
			r.t.Fatalf("SNAPSHOT: %v", err)
		}
		r.waitUntil(fmt.Sprintf("the mirror reaches seq %d of session %s", snap.Seq, snap.SessionID), 20*time.Second,
			func() bool { return r.m.SessionID() == snap.SessionID && r.m.Seq() >= snap.Seq })
		_, seq, state := r.m.SnapshotJSON()
		if seq != snap.Seq {
			lastDiff = fmt.Sprintf("mirror moved on to seq %d past snapshot %d", seq, snap.Seq)
			continue // an event (a heartbeat) slipped in; compare again
		}
		if lastDiff = sameJSON(r.t, state, snap.State); lastDiff == "" {
			r.check()
			return
		}
	}
	r.t.Fatalf("mirror never equalled SNAPSHOT; last difference: %s", lastDiff)
}

// check fails the test on any event that did not apply.
func (r *liveRig) check() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, err := range r.errs {
		r.t.Errorf("event did not apply: %v", err)
	}
	r.t.Logf("resyncs %d, sequence gaps %d", r.resyncs, r.gaps)
}

func TestMirrorEqualsSnapshotAfterRandomEdits(t *testing.T) {
	r := newLiveRig(t)
	r.converge(20 * time.Second)
	r.control("random 1 600")
	r.converge(30 * time.Second)
	r.control("random 2 1500")
	r.converge(30 * time.Second)
}

func TestMirrorResyncsAfterRestartMidStream(t *testing.T) {
	r := newLiveRig(t)
	r.control("random 3 300")
	first := r.m.SessionID()
	r.control("restart")
	r.control("random 4 300")
	r.converge(30 * time.Second)
	if r.m.SessionID() == first {
		t.Fatalf("session id still %s after a restart", first)
	}
	r.control("set-load")
	r.control("random 5 300")
	r.converge(30 * time.Second)
}
