// Package wshub serves the bridge over HTTP and WebSocket on 127.0.0.1:8765:
// GET /ws streams a snapshot of the Set followed by every event, in order;
// GET /state, /status, /healthz and /metrics answer one request each; every
// other GET is the Set Viewer (Config.Page).
//
// Files: hub.go is the set of clients and the broadcast; client.go one
// connection (its queue, its writer and reader); http.go the routes, the
// Host/Origin rules and the http.Server with its port (Serve); frames.go the
// frames; commands.go what a client may ask the script.
//
// One hub goroutine owns the set of clients (register, unregister and
// broadcast are channels, so no lock guards the set). Each client has one
// writer goroutine — the only one that writes to its connection — and an
// unbounded-in-count but byte-bounded queue: a client that falls further
// behind than MaxQueueBytes is closed with a reason and never slows the
// others. Every frame is encoded once and shared by all clients.
//
// Clients may also send commands (commands.go): only an allow-list of
// read-only and navigation commands, at most MaxCommandsInFlight at a time
// per client, each cancelled when its client goes. Every connection the
// bridge loses or closes is counted by reason (metrics.DropReason).
package wshub

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vimabl/vimabl/bridge/metrics"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// Limits and timeouts of a WebSocket connection.
const (
	// MaxQueueBytes bounds what may wait for one client. A 100 000-event
	// burst is about 10 MB of JSON, so a healthy client (even in Python)
	// absorbs it; a client stuck for longer than that is dropped.
	MaxQueueBytes = 64 << 20
	// MaxCommandFrame bounds one frame a client sends. The commands the
	// WebSocket forwards take no or short arguments, so 4 KiB is generous;
	// a bigger frame closes the connection with 1009 (message too big)
	// before it is buffered whole.
	MaxCommandFrame = 4 << 10
	// MaxCommandsInFlight is how many commands of one client may wait for
	// the script at once. With Live frozen, an unbounded client once queued
	// 15 000 commands (218 MB); beyond this one gets a "busy" reply at once.
	MaxCommandsInFlight = 4
	writeWait           = 10 * time.Second
	pongWait            = 60 * time.Second
	commandWait         = 15 * time.Second
)

// Frame is one message for every client, encoded once. Session and Seq
// place a snapshot or an event in the stream: each client gets an event
// only after a snapshot of the same session and only if the snapshot does
// not already contain it (see Run).
type Frame struct {
	Received time.Time // when the event's datagram was read; zero for other frames
	Session  string    // the session of a snapshot, or of the state an event was applied to
	Seq      int64     // an event's number, or the last number a snapshot contains; 0: none
	Snapshot bool      // a snapshot: it replaces the client's state
	Event    bool      // an event: delivered only on top of a snapshot of Session
	Data     []byte
	// Patch is what an event did to the state (RFC 6902); clients in patch
	// mode get the event frame with it as "patch" ([] when nil).
	Patch PatchJSON
	sum   uint64 // a snapshot's checksum (SnapshotFrame)
}

// PatchJSON is an event's JSON Patch (mirror.Patch): the hub encodes it at
// most once per frame, and only when a patch-mode client is connected.
type PatchJSON interface {
	AppendJSON(b []byte) []byte
}

// withPatch returns the event frame data with "patch" as its last member.
func withPatch(data []byte, p PatchJSON) []byte {
	out := make([]byte, 0, len(data)+128)
	out = append(out, data[:len(data)-1]...) // the frame without its closing brace
	out = append(out, `,"patch":`...)
	if p == nil {
		out = append(out, "[]"...)
	} else {
		out = p.AppendJSON(out)
	}
	return append(out, '}')
}

// Config connects the hub to the engine.
type Config struct {
	// Snapshot returns the {"type":"snapshot",...} frame of the mirror as it
	// is now, with the session and the last sequence number it contains.
	Snapshot func() Frame
	// Command forwards one command line to the Remote Script.
	Command func(ctx context.Context, line string) (json.RawMessage, error)
	// State is GET /state: the mirror's state with the session and the last
	// sequence number it contains (sent as X-VimAbl-Session / X-VimAbl-Seq).
	State func() (session string, seq int64, state []byte)
	// StatusNow is the status frame a client gets on connect (nil: none).
	StatusNow func() Frame
	Status    func() []byte                    // GET /status
	Health    func() (ok bool, summary string) // GET /healthz
	// Version is the bridge's version in the hello frame
	// (remotescript.Version() if empty: app and script share one version).
	Version string
	Metrics *metrics.Counters // GET /metrics; WS figures are counted here
	// AllowedOrigins are extra web origins (scheme://host[:port]) allowed
	// besides localhost ones.
	AllowedOrigins []string
	// QueueBytes bounds what may wait for one client (MaxQueueBytes if 0).
	QueueBytes int
	// Page serves every GET the routes above do not (the Set Viewer at
	// "/"), behind the same Host guard; nil: 404.
	Page http.Handler
	// AppShow serves /app/show, behind the same Host guard: the tray app's
	// "bring your window up" for a second VimAbl (the handler checks the
	// method and refuses web pages); nil: 404, as in `vimabl bridge`.
	AppShow http.Handler
	// IdleTimeout overrides IdleTimeout for Serve (tests); 0 = IdleTimeout.
	IdleTimeout time.Duration
	Logger      *slog.Logger
}

// Hub is the set of WebSocket clients and the HTTP handler.
type Hub struct {
	cfg        Config
	log        *slog.Logger
	register   chan *client
	unregister chan *client
	broadcast  chan Frame
	done       chan struct{} // closed when Run returns
	upgrader   websocket.Upgrader
	c          *metrics.Counters
	// writeWait and pongWait are the constants of the same name; tests
	// shorten them (before Handler is served) to see a drop in milliseconds.
	writeWait, pongWait time.Duration
}

// New returns a hub; call Run to start it.
func New(cfg Config) *Hub {
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = MaxQueueBytes
	}
	if cfg.Version == "" {
		cfg.Version = remotescript.Version()
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Hub{
		cfg:        cfg,
		log:        logger,
		register:   make(chan *client),
		unregister: make(chan *client, 64),
		broadcast:  make(chan Frame, 4096),
		done:       make(chan struct{}),
		c:          cfg.Metrics,
		writeWait:  writeWait,
		pongWait:   pongWait,
	}
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4 << 10, // frames are small; the flushConn batches them
		CheckOrigin:     h.originAllowed,
	}
	return h
}

// Run owns the clients until ctx is done; then it closes every connection.
func (h *Hub) Run(ctx context.Context) {
	clients := map[*client]struct{}{}
	defer close(h.done)
	defer func() {
		for cl := range clients {
			cl.endClean() // the bridge stopping is not the client's fault
			cl.close(websocket.CloseGoingAway, "VimAbl bridge is stopping")
		}
		h.c.WSClients.Store(0)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case cl := <-h.register:
			// The snapshot is taken here, in the hub's order: events broadcast
			// before it are in it; later ones follow it. While the engine is
			// resynchronising, its mirror lags behind the events already sent:
			// the client then waits for the resync's snapshot frame instead.
			snap := h.cfg.Snapshot()
			if snap.Data == nil {
				cl.pending = true
			} else if cl.takes(snap) {
				cl.push(snap.Data)
			}
			clients[cl] = struct{}{}
			h.c.WSClients.Store(int64(len(clients)))
			close(cl.registered)
		case cl := <-h.unregister:
			if _, ok := clients[cl]; ok {
				delete(clients, cl)
				h.c.WSClients.Store(int64(len(clients)))
			}
		case f := <-h.broadcast:
			var patched []byte // f.Data with its patch, made for the first patch-mode client
			for cl := range clients {
				if !cl.takes(f) {
					continue
				}
				data := f.Data
				if cl.patch && f.Event {
					if patched == nil {
						patched = withPatch(f.Data, f.Patch)
					}
					data = patched
				}
				if !cl.pushFrame(data, f.Received) {
					// Closing: fell behind just now (pushFrame counted it)
					// or its connection already ended.
					delete(clients, cl)
					h.c.WSClients.Store(int64(len(clients)))
				}
			}
		}
	}
}

// Broadcast queues a frame for every client, in call order. It blocks only
// while the hub goroutine is busy handing out earlier frames, and never
// after the hub stopped.
func (h *Hub) Broadcast(f Frame) {
	select {
	case h.broadcast <- f:
	case <-h.done:
	}
}

// Clients returns how many clients are connected (0 if the hub is not running).
func (h *Hub) Clients() int { return int(h.c.WSClients.Load()) }
