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
	"net/http"
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
	"github.com/vimabl/vimabl/internal/ports"
)

// Config says where the engine listens and what it talks to. Zero values
// mean the defaults (internal/ports: loopback, 9002 / 8765 / 9001).
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

	// AppShow is the tray app's POST /app/show on the HTTP port (a second
	// VimAbl asks this one to bring its window up); nil in `vimabl bridge`.
	AppShow http.Handler

	Logger *slog.Logger // nil = discard
}

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
	// stallAfter: Live's timer runs every 100 ms; when the last tick is this
	// old, heartbeats have stopped because Live is busy.
	stallAfter = 2 * time.Second
)

// stalled is how long Live's main thread has been stalled, 0 when it is
// running (or nobody said).
func stalled(tickAge time.Duration) time.Duration {
	if tickAge < stallAfter {
		return 0
	}
	return tickAge
}

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

	changes   chan struct{}
	resyncReq chan struct{} // a SNAPSHOT asked for by UDP input: spaced by the gate
	urgentReq chan struct{} // the confirmed session changed: SNAPSHOT now
	pingReq   chan struct{} // a hint: PING now (link already rate-limited it)
	applyWarn throttle      // owned by oscin's consumer goroutine (onEvents)
	logTimer  atomic.Bool   // a notify is scheduled for held-back log lines

	// order is held from reading the mirror to broadcasting, by apply (an
	// event) and sendSnapshot (a resync's frame), so every client sees
	// frames in the order the mirror changed.
	order sync.Mutex

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
	tickAge            time.Duration // Live's main thread idle time per the last PING of the confirmed session; 0 unknown
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
		cfg.EventsAddr = ports.Addr(ports.Events)
	}
	if cfg.WSAddr == "" {
		cfg.WSAddr = ports.Addr(ports.WS)
	}
	if cfg.CommandAddr == "" {
		cfg.CommandAddr = ports.Addr(ports.Command)
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
	}
	e.sync = mirror.NewSync(e.mirror, 0)
	e.st.gate.every = snapshotEvery
	e.st.installed = true
	e.st.eventsPort.Addr = cfg.EventsAddr
	e.st.wsPort.Addr = cfg.WSAddr
	e.st.lastState = -1
	e.hub = wshub.New(wshub.Config{
		// A new client's first snapshot; during a resync none (Data nil):
		// the client then waits for the resync's frame.
		Snapshot: func() wshub.Frame { f, _ := e.snapshotFrame(); return f },
		Command:  e.Command,
		State:    e.mirror.SnapshotJSON,
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
		AppShow:        cfg.AppShow,
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
	run(func(ctx context.Context) {
		oscin.Serve(ctx, oscin.Config{Addr: e.cfg.EventsAddr, Counters: e.c, Report: e.portReport(&e.st.eventsPort), Logger: e.log}, e.onEvents)
	})
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

// Status is the connection state and the figures the tray shows: the
// engine gathers the inputs, connState decides.
func (e *Engine) Status() Status {
	now := time.Now()
	e.mu.Lock()
	st := e.st
	in := st.statusInput(now)
	e.mu.Unlock()
	in.commandAddr, in.eventsAddr = e.cfg.CommandAddr, e.cfg.EventsAddr
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
