package bridge

import (
	"context"
	"encoding/json"
	"time"

	"github.com/vimabl/vimabl/bridge/mirror"
	"github.com/vimabl/vimabl/bridge/wshub"
)

// The command port (TCP 9001) as the engine uses it: PING every few
// seconds, whose answer names the session the bridge follows (the link),
// and SNAPSHOT, which reloads the mirror (spaced by the gate).

// Command sends one command line to the Remote Script (short-lived
// connection to CommandAddr) and returns its JSON reply.
func (e *Engine) Command(ctx context.Context, line string) (json.RawMessage, error) {
	return e.client.Command(ctx, line)
}

// Resync asks the script for a SNAPSHOT and reloads the mirror from it.
// The reply's session id is the command port's word on which session the
// bridge follows. Resync itself is not rate-limited (it is the user's own
// request when called from outside); it counts for the spacing of the
// SNAPSHOTs that UDP input asks for.
func (e *Engine) Resync(ctx context.Context) error {
	sent := time.Now()
	e.mu.Lock()
	e.st.gate.taken(sent)
	e.mu.Unlock()
	res, err := e.sync.Resync(ctx, func(ctx context.Context) (mirror.Snapshot, error) {
		snap, err := e.client.Snapshot(ctx)
		if err != nil {
			return mirror.Snapshot{}, err
		}
		e.answered(snap.SessionID, "", sent, true)
		return mirror.Snapshot(snap), nil
	})
	// Clients get the mirror as it now is, in order with the events.
	e.sendSnapshot()
	if err != nil {
		e.c.ResyncFailures.Add(1)
		e.mu.Lock()
		e.st.resyncErr = err.Error()
		e.mu.Unlock()
		e.notify()
		return err
	}
	e.c.Resyncs.Add(1)
	e.mu.Lock()
	e.st.resyncErr = ""
	e.mu.Unlock()
	e.log.Info("mirror resynchronised", "session", e.mirror.SessionID(), "seq", e.mirror.Seq(), "replayed", res.Applied, "skipped", res.Skipped)
	e.notify()
	return nil
}

// answered gives a PING or SNAPSHOT reply (sent at sent) to the link and
// carries out what it decides.
func (e *Engine) answered(session, version string, sent time.Time, snapshot bool) {
	e.mu.Lock()
	prev := e.st.link.confirmed
	out := e.st.link.answered(session, version, sent)
	now := e.st.link.confirmed
	e.mu.Unlock()
	if out.foreign > 0 {
		e.c.ForeignEvents.Add(uint64(out.foreign))
	}
	if out.changed {
		e.log.Info("the command port confirms a new session", "session", now, "was", prev)
		// A SNAPSHOT reply loads the new session itself, unless another
		// session was followed while it was in flight: then the events
		// buffered meanwhile were taken for that one's and the replay may
		// be wrong, and the new session's own snapshot fixes it.
		if !snapshot || prev != "" {
			e.requestUrgent()
		}
	}
	if out.snapshot {
		e.requestResync()
	}
}

// requestResync asks for a SNAPSHOT on behalf of UDP input (a gap,
// /live/resync, an event the mirror rejects): the resync loop sends it once
// the gate allows, so no datagram stream can make Live's main thread take
// more than one SNAPSHOT per snapshotEvery.
func (e *Engine) requestResync() {
	select {
	case e.resyncReq <- struct{}{}:
	default:
	}
}

// requestUrgent asks for a SNAPSHOT now: the command port named a new
// session, which only a real script restart does.
func (e *Engine) requestUrgent() {
	select {
	case e.urgentReq <- struct{}{}:
	default:
	}
}

// requestPing asks the probe loop for a PING now.
func (e *Engine) requestPing() {
	select {
	case e.pingReq <- struct{}{}:
	default:
	}
}

// resyncLoop performs requested resyncs one at a time. A request from UDP
// input waits for the gate; an urgent one (and a request coalesced with it)
// goes at once. A failed resync is asked again, so it too waits for the
// gate, while the script is still there.
func (e *Engine) resyncLoop(ctx context.Context) {
	for {
		urgent := false
		select {
		case <-ctx.Done():
			return
		case <-e.resyncReq:
		case <-e.urgentReq:
			urgent = true
		}
		for !urgent {
			e.mu.Lock()
			d := e.st.gate.wait(time.Now(), false)
			e.mu.Unlock()
			if d <= 0 {
				break
			}
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-e.urgentReq:
				urgent = true
			case <-t.C:
			}
			t.Stop()
		}
		// Requests made until now, urgent or not, are answered by this
		// snapshot: it is requested after whatever asked for them.
		select {
		case <-e.resyncReq:
		default:
		}
		select {
		case <-e.urgentReq:
		default:
		}
		rctx, cancel := context.WithTimeout(ctx, resyncTimeout)
		err := e.Resync(rctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			continue
		}
		e.mu.Lock()
		gone := !e.st.link.alive(time.Now()) && !e.st.pingOK
		e.mu.Unlock()
		if gone {
			e.log.Warn("resync failed; the script is gone, its return asks again", "err", err)
			continue
		}
		e.log.Warn("resync failed; retrying", "err", err, "in", snapshotEvery)
		e.requestResync()
	}
}

func (e *Engine) probeLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var nextPing, nextInstalled time.Time
	for {
		now := time.Now()
		if !now.Before(nextInstalled) && e.cfg.Installed != nil {
			inst := e.cfg.Installed()
			e.mu.Lock()
			e.st.installed = inst
			e.mu.Unlock()
			nextInstalled = now.Add(installedEvery)
		}
		if !now.Before(nextPing) {
			e.ping(ctx)
			nextPing = now.Add(pingEvery)
		}
		s := e.Status()
		e.mu.Lock()
		changed := s.State != e.st.lastState || s.Summary != e.st.lastSummary
		e.st.lastState, e.st.lastSummary = s.State, s.Summary
		e.mu.Unlock()
		if changed {
			e.log.Info("connection state", "state", s.State.String(), "summary", s.Summary)
			e.hub.Broadcast(wshub.StatusFrame(statusJSON(s, nil)))
		}
		e.notify() // rates and "last event" age move every second
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-e.pingReq:
			// A hint (a marker of a session the command port was not asked
			// about): ask now rather than at the next period.
			nextPing = time.Time{}
		}
	}
}

// ping sends PING and gives its answer to the link.
func (e *Engine) ping(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	sent := time.Now()
	reply, err := e.client.Ping(pctx)
	cancel()
	e.mu.Lock()
	e.st.pingOK = err == nil
	e.st.tickAge = 0
	if err == nil {
		e.st.lastPing = time.Now()
		if reply.TickAgeMS != nil && reply.SessionID == e.st.link.confirmed {
			e.st.tickAge = time.Duration(*reply.TickAgeMS) * time.Millisecond
		}
	}
	e.mu.Unlock()
	if err == nil {
		e.answered(reply.SessionID, reply.Version, sent, false)
	}
}
