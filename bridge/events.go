package bridge

import (
	"time"

	"github.com/vimabl/vimabl/bridge/mirror"
	"github.com/vimabl/vimabl/bridge/oscin"
	"github.com/vimabl/vimabl/bridge/wshub"
)

// A datagram's way to a WebSocket frame (docs/architecture.md): oscin reads,
// decodes, types and sequences it and calls onEvents; the link (session.go)
// says whose each event is; the confirmed session's go to the mirror
// (mirror.Sync) and, as the mirror applied them, to the hub (wshub).

// onEvents takes the events of one datagram, in order. oscin calls it from
// its one consumer goroutine, so events are handled one after another.
func (e *Engine) onEvents(evs []oscin.Event) {
	for i := range evs {
		e.take(&evs[i])
	}
	e.notify()
}

// take handles one event: the link decides whose it is; only the confirmed
// session's reach the sequence checks, the mirror and the clients.
func (e *Engine) take(ev *oscin.Event) {
	e.mu.Lock()
	var out linkOut
	switch ev.Kind {
	case oscin.KindHello:
		out = e.st.link.marker(markHello, ev.Session, ev.From, ev.Received, ev.ScriptVersion, ev.LiveVersion)
	case oscin.KindHeartbeat:
		out = e.st.link.marker(markHeartbeat, ev.Session, ev.From, ev.Received, "", "")
	case oscin.KindBye:
		out = e.st.link.marker(markBye, ev.Session, ev.From, ev.Received, "", "")
	default:
		out = e.st.link.event(ev.From, ev.Received)
	}
	session := e.st.link.confirmed
	e.mu.Unlock()
	if out.ping {
		e.requestPing()
	}
	if out.foreign > 0 {
		e.c.ForeignEvents.Add(uint64(out.foreign))
	}
	if out.resync {
		e.requestResync()
	}
	if out.verdict != ours {
		if out.verdict == held && ev.Kind == oscin.KindLog {
			// Before the command port has confirmed anyone (a script that
			// just started logs at once), its log lines are still worth
			// showing: they reach the Log tab, never the mirror or clients.
			e.logEvent(ev)
		}
		return
	}

	// Where the event stands in its socket's numbering, which is the
	// session's own: the link tied the session to that socket.
	switch ev.Order {
	case oscin.Renumbered:
		// The session's own marker behind the numbering the tracker
		// followed (one datagram numbered far ahead): it follows the session
		// again from here; a snapshot repairs what came between.
		e.requestResync()
	case oscin.Duplicate:
		e.c.Duplicates.Add(1)
		return
	case oscin.Late:
		e.c.OutOfOrder.Add(1)
		return
	case oscin.Foreign:
		// A numbering that started over on the session's socket (its
		// successor, whose hello was lost, took over the port): the command
		// port will tell.
		e.c.ForeignEvents.Add(1)
		e.mu.Lock()
		ask := e.st.link.hint(ev.Received)
		e.mu.Unlock()
		if ask {
			e.requestPing()
		}
		return
	case oscin.Gap:
		e.c.Gaps.Add(1)
		e.c.LostEvents.Add(uint64(ev.Lost))
		e.mu.Lock()
		e.st.lastGap = ev.Received
		e.mu.Unlock()
		e.requestResync()
	}

	e.mu.Lock()
	e.st.lastEvent = ev.Received
	e.mu.Unlock()
	switch ev.Kind {
	case oscin.KindHello:
		// Consumed by the link: it carries no Set state, and the session's
		// SNAPSHOT (taken when the command port confirmed it) is newer.
		return
	case oscin.KindResync:
		e.requestResync()
	case oscin.KindHeartbeat:
		e.c.SetScript(*ev.Stats)
	case oscin.KindLog:
		e.logEvent(ev)
	}
	e.apply(ev, session)
}

// apply gives an event of the confirmed session to the mirror and, if the
// mirror applied it, to the clients.
func (e *Engine) apply(ev *oscin.Event, session string) {
	e.order.Lock()
	defer e.order.Unlock()
	// Resyncing is read first: if it is false, any resync that begins later
	// sends its SNAPSHOT request after this event arrived.
	resyncing := e.sync.Resyncing()
	mirrorSession := e.mirror.SessionID()
	if mirrorSession != session && !resyncing {
		// No snapshot of this session yet (it was just confirmed, or its
		// SNAPSHOT failed): the one asked for is requested after this event
		// arrived, so it contains it. Hold it back from the clients, whose
		// state is another session's.
		e.requestResync()
		return
	}
	// Clients get exactly the events the mirror applied, each marked with
	// the session it was applied to (the hub's fence). While a snapshot is in
	// flight events wait in the Sync's buffer; clients get them inside the
	// snapshot frame.
	a, err := e.sync.Apply(mirror.Event{Seq: ev.Seq, Path: ev.Path, Args: ev.Args})
	if err != nil {
		// The mirror and the script disagree: only a snapshot can tell which
		// is right.
		if held, ok := e.applyWarn.allow(ev.Received); ok {
			e.log.Warn("event did not apply to the mirror; resynchronising", "err", err, "similar_since_last", held)
		}
		e.requestResync()
		return
	}
	if a.Applied && mirrorSession == session {
		f := wshub.EventFrameAt(ev.Received, a.Session, ev.Seq, ev.Timestamp, ev.Path, ev.Args)
		f.Patch = a.Patch // what the mirror did: patch-mode clients get it
		e.hub.Broadcast(f)
	}
}

// snapshotFrame is the mirror as a snapshot frame; false while a resync is
// in flight (the mirror then lags the events already sent: the resync's end
// sends the frame).
func (e *Engine) snapshotFrame() (wshub.Frame, bool) {
	if e.sync.Resyncing() {
		return wshub.Frame{}, false
	}
	session, seq, state := e.mirror.SnapshotJSON()
	return wshub.SnapshotFrame(session, seq, state), true
}

// sendSnapshot broadcasts the mirror once a resync ended. It holds the
// order lock, as apply does from reading the mirror to broadcasting, so the
// frame sits exactly between the events it contains and those it does not.
func (e *Engine) sendSnapshot() {
	e.order.Lock()
	defer e.order.Unlock()
	if f, ok := e.snapshotFrame(); ok {
		e.hub.Broadcast(f)
	}
}

// logEvent puts a /live/log event into the ring.
func (e *Engine) logEvent(ev *oscin.Event) {
	e.logs.AppendEvent(ev.Level, ev.Component, ev.Message, ev.Timestamp)
	e.logsAppended()
}

// throttle lets one log line through per applyWarnEvery and counts the
// ones it holds back. Why: while the script streams but SNAPSHOT keeps
// failing, every event can disagree with the mirror — thousands a second —
// and one line per event would bury the log the user needs.
type throttle struct {
	last time.Time
	held int
}

const applyWarnEvery = 5 * time.Second

// allow reports whether to log at now, and how many were held back since
// the last line that was let through.
func (t *throttle) allow(now time.Time) (held int, ok bool) {
	if !t.last.IsZero() && now.Sub(t.last) < applyWarnEvery {
		t.held++
		return 0, false
	}
	held, t.held, t.last = t.held, 0, now
	return held, true
}
