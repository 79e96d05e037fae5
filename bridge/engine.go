// Package bridge is VimAbl's engine: it receives the Remote Script's OSC
// events, keeps a mirror of the Set, serves it over WebSocket, tails Live's
// log and measures everything. The tray app and `vimabl bridge` both drive
// it through Engine; the engine never imports the UI.
package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vimabl/vimabl/bridge/livelog"
	"github.com/vimabl/vimabl/bridge/metrics"
	"github.com/vimabl/vimabl/bridge/mirror"
	"github.com/vimabl/vimabl/bridge/oscin"
	"github.com/vimabl/vimabl/bridge/portbind"
	"github.com/vimabl/vimabl/bridge/scriptclient"
	"github.com/vimabl/vimabl/bridge/viewer"
	"github.com/vimabl/vimabl/bridge/wshub"
)

// Config says where the engine listens and what it talks to. Zero values
// mean the defaults (loopback, 9002 / 8765 / 9001).
type Config struct {
	EventsAddr  string // UDP listen address for OSC events, default "127.0.0.1:9002"
	WSAddr      string // HTTP+WebSocket listen address, default "127.0.0.1:8765"
	CommandAddr string // the Remote Script's TCP command port, default "127.0.0.1:9001"
	LiveLogPath string // Log.txt to follow; "" = find it (newest Live version)

	// Installed reports whether the Remote Script is installed in a User
	// Library; nil means "assume installed". It is called at most every few
	// seconds, never on the UI thread's behalf.
	Installed func() bool

	// AllowedOrigins lists extra web origins (scheme://host[:port]) allowed
	// to open the WebSocket besides localhost ones.
	AllowedOrigins []string

	// WSQueueBytes bounds what may wait for one WebSocket client before it
	// is dropped (wshub.MaxQueueBytes if 0).
	WSQueueBytes int

	Logger *slog.Logger // nil = discard
}

// DefaultEventsAddr, DefaultWSAddr and DefaultCommandAddr are the ports
// docs/protocol.md defines, on loopback.
const (
	DefaultEventsAddr  = "127.0.0.1:9002"
	DefaultWSAddr      = "127.0.0.1:8765"
	DefaultCommandAddr = "127.0.0.1:9001"
)

// Timing of the engine's background work.
const (
	aliveWindow    = 3 * time.Second  // hello/heartbeat this recent = streaming
	degradedWindow = 10 * time.Second // a gap this recent = degraded
	pingEvery      = 3 * time.Second  // PING probe period (the port is Hammerspoon's too)
	pingTimeout    = time.Second
	installedEvery = 5 * time.Second
	findLogEvery   = 10 * time.Second
	tailLines      = 5000
	resyncTimeout  = 15 * time.Second // one SNAPSHOT of a big Set, with room to spare
)

// ErrNotRunning is returned by calls that need a started engine.
var ErrNotRunning = errors.New("bridge engine is not running")

// Engine is the running bridge. All methods are safe for concurrent use and
// never block on the network or the disk, except Command and Resync, which
// take a context.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	c      *metrics.Counters
	mirror *mirror.Mirror
	sync   *mirror.Sync
	client *scriptclient.Client
	hub    *wshub.Hub
	logs   *livelog.Ring

	changes    chan struct{}
	resyncReq  chan struct{} // a SNAPSHOT asked for by UDP input: spaced by the gate
	urgentReq  chan struct{} // the confirmed session changed: SNAPSHOT now
	pingReq    chan struct{} // a hint: PING now (link already rate-limited it)
	snapReq    chan struct{} // a resync ended: the event loop sends a snapshot frame
	tracker    oscin.Tracker // owned by the event loop
	trackerGen int           // the link generation the tracker follows; owned by the event loop
	applyWarn  throttle      // owned by the event loop
	logTimer   atomic.Bool   // a notify is scheduled for held-back log lines

	mu      sync.Mutex
	st      liveState
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started bool
}

// liveState is what the loops learn, guarded by Engine.mu.
type liveState struct {
	link               link         // which session the bridge follows
	gate               snapshotGate // spacing of SNAPSHOT requests
	lastEvent          time.Time    // the confirmed session's last event
	lastPing           time.Time
	pingOK             bool
	lastGap            time.Time
	resyncErr          string
	installed          bool
	eventsPort, wsPort portbind.State
	logPath            string
	logFound           bool
	lastState          ConnState
	lastSummary        string
}

// New checks cfg and returns an engine that is not started yet.
func New(cfg Config) (*Engine, error) {
	if cfg.EventsAddr == "" {
		cfg.EventsAddr = DefaultEventsAddr
	}
	if cfg.WSAddr == "" {
		cfg.WSAddr = DefaultWSAddr
	}
	if cfg.CommandAddr == "" {
		cfg.CommandAddr = DefaultCommandAddr
	}
	for name, addr := range map[string]string{"events": cfg.EventsAddr, "websocket": cfg.WSAddr, "command": cfg.CommandAddr} {
		if _, port, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("%s address %q: %w", name, addr, err)
		} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("%s address %q: bad port", name, addr)
		}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		cfg:       cfg,
		log:       logger,
		c:         metrics.New(),
		mirror:    mirror.New(),
		client:    scriptclient.New(cfg.CommandAddr),
		logs:      newLogRing(),
		changes:   make(chan struct{}, 1),
		resyncReq: make(chan struct{}, 1),
		urgentReq: make(chan struct{}, 1),
		pingReq:   make(chan struct{}, 1),
		snapReq:   make(chan struct{}, 1),
	}
	e.sync = mirror.NewSync(e.mirror, 0)
	e.st.gate.every = snapshotEvery
	e.st.installed = true
	e.st.eventsPort.Addr = cfg.EventsAddr
	e.st.wsPort.Addr = cfg.WSAddr
	e.st.lastState = -1
	e.hub = wshub.New(wshub.Config{
		Snapshot: func() wshub.Frame {
			if e.sync.Resyncing() {
				// The mirror lags the events already sent; the client gets
				// the resync's snapshot frame instead.
				return wshub.Frame{}
			}
			session, seq, state := e.mirror.SnapshotJSON()
			return wshub.SnapshotFrame(session, seq, state)
		},
		Command: e.Command,
		State:   e.mirror.SnapshotJSON,
		StatusNow: func() wshub.Frame {
			return wshub.StatusFrame(statusJSON(e.Status(), nil))
		},
		Status: e.StatusJSON,
		Health: func() (bool, string) {
			s := e.Status()
			return s.State != StatePortConflict && s.State != StatePortError, s.State.String() + ": " + s.Summary
		},
		Metrics:        e.c,
		AllowedOrigins: cfg.AllowedOrigins,
		Page:           viewer.Handler(),
		QueueBytes:     cfg.WSQueueBytes,
		Logger:         logger,
	})
	return e, nil
}

// Start binds the listeners and starts every loop. A port taken by another
// program is not an error: the engine reports StatePortConflict in Status
// and keeps retrying. Start returns an error only if already started.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return errors.New("bridge engine already started")
	}
	e.started = true
	ctx, e.cancel = context.WithCancel(ctx)
	run := func(f func(context.Context)) {
		e.wg.Add(1)
		go func() { defer e.wg.Done(); f(ctx) }()
	}
	run(func(ctx context.Context) { e.hub.Serve(ctx, e.cfg.WSAddr, e.portReport(&e.st.wsPort)) })
	run(e.eventsLoop)
	run(e.probeLoop)
	run(e.resyncLoop)
	run(e.logLoop)
	e.log.Info("bridge starting", "events", e.cfg.EventsAddr, "websocket", e.cfg.WSAddr, "command", e.cfg.CommandAddr)
	return nil
}

// Stop closes every listener and waits for the loops to end.
func (e *Engine) Stop() error {
	e.mu.Lock()
	cancel := e.cancel
	e.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	e.wg.Wait()
	e.log.Info("bridge stopped")
	return nil
}

// notify tells the UI something changed (coalesced, never blocks).
func (e *Engine) notify() {
	select {
	case e.changes <- struct{}{}:
	default:
	}
}

// Changes delivers a value (coalesced, never blocking the engine) whenever
// Status, Metrics or Logs changed; the UI redraws on it at a bounded rate.
func (e *Engine) Changes() <-chan struct{} { return e.changes }

// Metrics is a consistent copy of every counter.
func (e *Engine) Metrics() metrics.Snapshot { return e.c.Snapshot(time.Now()) }

// Logs is the ring of Live's log lines and the script's /live/log events.
func (e *Engine) Logs() *livelog.Ring { return e.logs }

// StateJSON is the mirror of the Set, encoded like SNAPSHOT's "state".
func (e *Engine) StateJSON() []byte { return e.mirror.JSON() }

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
	e.sync.Begin()
	sent := time.Now()
	e.mu.Lock()
	e.st.gate.taken(sent)
	e.mu.Unlock()
	var res mirror.ResyncResult
	snap, err := e.client.Snapshot(ctx)
	if err != nil {
		res, err = e.sync.Abort(), fmt.Errorf("resync: %w", err)
	} else {
		e.answered(snap.SessionID, "", sent, true)
		res, err = e.sync.Complete(snap)
	}
	// Clients get the mirror as it now is, in order with the events: the
	// event loop sends the snapshot frame (see sendSnapshot).
	select {
	case e.snapReq <- struct{}{}:
	default:
	}
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

// sendSnapshot broadcasts the mirror; called only by the event loop, so the
// frame sits exactly between the events it contains and those it does not.
func (e *Engine) sendSnapshot() {
	if e.sync.Resyncing() {
		return // another resync began; its end sends one
	}
	session, seq, state := e.mirror.SnapshotJSON()
	e.hub.Broadcast(wshub.SnapshotFrame(session, seq, state))
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

// --- events

func (e *Engine) eventsLoop(ctx context.Context) {
	var r *oscin.Receiver
	bound := portbind.Retry(ctx, portbind.Config{Network: "udp", Addr: e.cfg.EventsAddr, Report: e.portReport(&e.st.eventsPort), Logger: e.log},
		func() (net.Addr, error) {
			var err error
			if r, err = oscin.Listen(e.cfg.EventsAddr, e.c); err != nil {
				return nil, err
			}
			return r.LocalAddr(), nil
		})
	if !bound {
		return
	}
	e.log.Info("listening for events", "addr", r.LocalAddr().String(), "rcvbuf", r.EffectiveBuffer())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	e.consume(r.Datagrams())
	<-done
}

// portReport returns the function that records a listener's bind state in
// *p and tells the UI.
func (e *Engine) portReport(p *portbind.State) func(portbind.State) {
	return func(st portbind.State) {
		e.mu.Lock()
		*p = st
		e.mu.Unlock()
		e.notify()
	}
}

// EventsAddr is the bound UDP address ("" until bound); useful with port 0.
func (e *Engine) EventsAddr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.st.eventsPort.OK {
		return ""
	}
	return e.st.eventsPort.Addr
}

// WSAddr is the bound HTTP/WebSocket address ("" until bound).
func (e *Engine) WSAddr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.st.wsPort.OK {
		return ""
	}
	return e.st.wsPort.Addr
}

func (e *Engine) consume(in <-chan oscin.Datagram) {
	for {
		var d oscin.Datagram
		select {
		case <-e.snapReq:
			e.sendSnapshot()
			continue
		case dg, ok := <-in:
			if !ok {
				return
			}
			d = dg
		}
		evs, err := oscin.Decode(d.Data, d.Received)
		if err != nil {
			e.c.Malformed.Add(1)
			e.log.Debug("dropped a datagram", "err", err)
			continue
		}
		for i := range evs {
			e.handle(&evs[i], d.From)
		}
		e.notify()
	}
}

// handle takes one decoded event sent from from: the link decides whose it
// is; only the confirmed session's events reach the tracker, the mirror and
// the clients.
func (e *Engine) handle(ev *oscin.Event, from netip.AddrPort) {
	var latency time.Duration = -1
	if !ev.Timestamp.IsZero() {
		latency = ev.Received.Sub(ev.Timestamp)
	}
	e.c.Event(ev.Received, latency)

	e.mu.Lock()
	var out linkOut
	switch ev.Path {
	case "/live/hello":
		out = e.st.link.marker(markHello, argString(ev.Args, 0), from, ev.Received, argString(ev.Args, 1), argString(ev.Args, 2))
	case "/live/heartbeat":
		out = e.st.link.marker(markHeartbeat, argString(ev.Args, 0), from, ev.Received, "", "")
	case "/live/bye":
		out = e.st.link.marker(markBye, argString(ev.Args, 0), from, ev.Received, "", "")
	default:
		out = e.st.link.event(from, ev.Received)
	}
	session, gen := e.st.link.confirmed, e.st.link.gen
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
		if out.verdict == held && ev.Path == "/live/log" {
			// Before the command port has confirmed anyone (a script that
			// just started logs at once), its log lines are still worth
			// showing: they reach the Log tab, never the mirror or clients.
			e.logEvent(ev)
		}
		return
	}

	if gen != e.trackerGen {
		e.tracker.Reset() // a new session numbers from 1 again
		e.trackerGen = gen
	}
	v := e.tracker.Observe(ev)
	if (v == oscin.Foreign || v == oscin.Late) && isMarker(ev.Path) {
		// The confirmed session's own hello, heartbeat or bye (its id says
		// so) behind the tracker: the tracker follows someone else's
		// numbering (one datagram numbered far ahead, or the first event
		// after a session change was another sender's), and would otherwise
		// drop the session's events for good. Follow the session again from
		// here; a snapshot repairs what the other sender's events did.
		e.tracker.Reset()
		v = e.tracker.Observe(ev)
		e.requestResync()
	}
	switch v {
	case oscin.Duplicate:
		e.c.Duplicates.Add(1)
		return
	case oscin.Late:
		e.c.OutOfOrder.Add(1)
		return
	case oscin.Foreign:
		// Another sender's numbering in the confirmed session's stream (a
		// second script, or the successor of this one whose hello was
		// lost): the command port will tell.
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
		e.c.LostEvents.Add(uint64(e.tracker.LastGap()))
		e.mu.Lock()
		e.st.lastGap = ev.Received
		e.mu.Unlock()
		e.requestResync()
	}

	e.mu.Lock()
	e.st.lastEvent = ev.Received
	e.mu.Unlock()
	switch ev.Path {
	case "/live/hello":
		// Consumed by the link: it carries no Set state, and the session's
		// SNAPSHOT (taken when the command port confirmed it) is newer.
		return
	case "/live/resync":
		e.requestResync()
	case "/live/heartbeat":
		e.c.SetScript(scriptStats(ev))
	case "/live/log":
		e.logEvent(ev)
	}
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
	broadcast := mirrorSession == session
	a, err := e.sync.Apply(mirror.Event{Seq: ev.Seq, Path: ev.Path, Args: ev.Args})
	if err != nil {
		// The mirror and the script disagree: only a snapshot can tell which
		// is right.
		if held, ok := e.applyWarn.allow(ev.Received); ok {
			e.log.Warn("event did not apply to the mirror; resynchronising", "err", err, "similar_since_last", held)
		}
		e.requestResync()
	}
	if broadcast && a.Applied {
		f := wshub.EventFrameAt(ev.Received, a.Session, ev.Seq, ev.Timestamp, ev.Path, ev.Args)
		f.Patch = a.Patch // what the mirror did: patch-mode clients get it
		e.hub.Broadcast(f)
	}
}

// isMarker reports whether path is an event that names its session.
func isMarker(path string) bool {
	return path == "/live/hello" || path == "/live/heartbeat" || path == "/live/bye"
}

// logEvent puts a /live/log event into the ring.
func (e *Engine) logEvent(ev *oscin.Event) {
	e.logs.AppendEvent(argString(ev.Args, 0), argString(ev.Args, 1), argString(ev.Args, 2), ev.Timestamp)
	e.logsAppended()
}

func newLogRing() *livelog.Ring {
	r := livelog.NewRing(livelog.DefaultRingSize)
	r.SetHoldback(logHoldback)
	return r
}

// logHoldback is how long Live's log lines wait in the ring before the UI
// sees them, so that the two ways they arrive are merged in time order:
// /live/log events come at once, lines only in Log.txt (Live's own,
// tracebacks) up to one tick plus one poll later (100 ms + 250 ms).
const logHoldback = 500 * time.Millisecond

// logsAppended tells the UI about new log lines once they are past the
// ring's holdback: one timer at a time, re-armed while lines still wait.
func (e *Engine) logsAppended() {
	if !e.logs.Pending() {
		e.notify()
		return
	}
	if e.logTimer.CompareAndSwap(false, true) {
		time.AfterFunc(logHoldback, func() {
			e.logTimer.Store(false)
			e.notify()
			e.logsAppended()
		})
	}
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

func argString(args []any, i int) string {
	if i < len(args) {
		if s, ok := args[i].(string); ok {
			return s
		}
	}
	return ""
}

func argInt(args []any, i int) int64 {
	if i < len(args) {
		switch v := args[i].(type) {
		case int32:
			return int64(v)
		case int64:
			return v
		case float64:
			return int64(v)
		}
	}
	return 0
}

// scriptStats reads a heartbeat: session uptime qsize qmax enqueued drained
// dropped peak observers_enabled tracks scenes devices listeners.
func scriptStats(ev *oscin.Event) metrics.ScriptStats {
	a := ev.Args
	s := metrics.ScriptStats{
		At:            ev.Received,
		QueueSize:     argInt(a, 2),
		QueueMax:      argInt(a, 3),
		Enqueued:      argInt(a, 4),
		Drained:       argInt(a, 5),
		Dropped:       argInt(a, 6),
		PeakQueueSize: argInt(a, 7),
		Tracks:        int(argInt(a, 9)),
		Scenes:        int(argInt(a, 10)),
		Devices:       int(argInt(a, 11)),
		Listeners:     int(argInt(a, 12)),
	}
	if len(a) > 8 {
		s.ObserversEnabled, _ = a[8].(bool)
	}
	if s.QueueMax > 0 {
		s.Utilization = float64(s.QueueSize) / float64(s.QueueMax)
	}
	if n := s.Enqueued + s.Dropped; n > 0 {
		s.DropRate = float64(s.Dropped) / float64(n)
	}
	return s
}

// --- probing the command port, installation, status changes

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
	if err == nil {
		e.st.lastPing = time.Now()
	}
	e.mu.Unlock()
	if err == nil {
		e.answered(reply.SessionID, reply.Version, sent, false)
	}
}

// Status is the connection state and the figures the tray shows: the
// engine gathers the inputs, connState decides.
func (e *Engine) Status() Status {
	now := time.Now()
	e.mu.Lock()
	st := e.st
	in := statusInput{
		ports:          [2]PortStatus{portStatus("events", st.eventsPort), portStatus("websocket", st.wsPort)},
		alive:          st.link.alive(now),
		twoScripts:     st.link.twoScripts(now),
		otherStreaming: st.link.otherStreaming(now),
		unconfirmed:    !st.link.heldAt.IsZero() && now.Sub(st.link.heldAt) <= aliveWindow,
		bye:            st.link.bye,
		gapRecent:      !st.lastGap.IsZero() && now.Sub(st.lastGap) <= degradedWindow,
		resyncErr:      st.resyncErr,
		pingOK:         st.pingOK,
		installed:      st.installed,
		commandAddr:    e.cfg.CommandAddr,
		eventsAddr:     e.cfg.EventsAddr,
	}
	e.mu.Unlock()
	sum := e.mirror.Summary()
	in.tracks, in.tempo = sum.Tracks, sum.Tempo
	m := e.c.Snapshot(now)
	s := Status{
		Installed:     st.installed,
		SessionID:     st.link.confirmed,
		ScriptVersion: st.link.scriptVersion,
		LiveVersion:   st.link.liveVersion,
		CommandAddr:   e.cfg.CommandAddr,
		CommandPortOK: st.pingOK,
		LastPing:      st.lastPing,
		LastEvent:     st.lastEvent,
		EventsPerSec:  m.EventsPerSec10s,
		Tracks:        sum.Tracks,
		Scenes:        sum.Scenes,
		Tempo:         sum.Tempo,
		Playing:       sum.Playing,
		WSClients:     m.WSClients,
		Ports:         in.ports[:],
		LiveLogPath:   st.logPath,
		LiveLogFound:  st.logFound,
		ForeignEvents: e.c.ForeignEvents.Load(),
	}
	s.State, s.Summary, s.Fix = connState(in)
	return s
}

// StatusJSON is what GET /status serves and `vimabl status --json` prints.
func (e *Engine) StatusJSON() []byte {
	m := e.Metrics()
	b, _ := json.Marshal(statusJSON(e.Status(), &m))
	return b
}

// --- Live's log

func (e *Engine) logLoop(ctx context.Context) {
	for ctx.Err() == nil {
		path, err := livelog.FindLog(e.cfg.LiveLogPath)
		if err != nil {
			e.mu.Lock()
			e.st.logFound = false
			e.mu.Unlock()
			if !sleep(ctx, findLogEvery) {
				return
			}
			continue
		}
		e.mu.Lock()
		e.st.logPath = path
		e.mu.Unlock()
		t := &livelog.Tail{
			Path:  path,
			Lines: tailLines,
			Emit: func(es []livelog.Entry) {
				e.logs.Append(es...)
				// Entries come with a problem too (the tailer's note that
				// the path became a folder, say): look again.
				e.checkLog(path)
				e.logsAppended()
			},
			// The tailer reports each problem once, not on every poll.
			OnErr: func(err error) {
				e.log.Warn("reading Live's log", "err", err)
				e.checkLog(path)
			},
		}
		e.checkLog(path)
		t.Run(ctx)
		return
	}
}

// checkLog records whether Live's log at path can be followed: only a
// regular file is "found" (a FIFO or a folder named Log.txt is not). It
// only stats the path.
func (e *Engine) checkLog(path string) {
	found := livelog.CheckLog(path) == nil
	e.mu.Lock()
	e.st.logFound = found
	e.mu.Unlock()
}

// sleep waits d or until ctx is done; false if ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
