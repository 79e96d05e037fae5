// Package wshub serves the bridge over HTTP and WebSocket on 127.0.0.1:8765:
// GET /ws streams a snapshot of the Set followed by every event, in order;
// GET /state, /status, /healthz and /metrics answer one request each.
//
// One hub goroutine owns the set of clients (register, unregister and
// broadcast are channels, so no lock guards the set). Each client has one
// writer goroutine — the only one that writes to its connection — and an
// unbounded-in-count but byte-bounded queue: a client that falls further
// behind than MaxQueueBytes is closed with a reason and never slows the
// others. Every frame is encoded once and shared by all clients.
package wshub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vimabl/vimabl/bridge/metrics"
)

// Limits and timeouts of a WebSocket connection.
const (
	// MaxQueueBytes bounds what may wait for one client. A 100 000-event
	// burst is about 10 MB of JSON, so a healthy client (even in Python)
	// absorbs it; a client stuck for longer than that is dropped.
	MaxQueueBytes = 64 << 20
	writeWait     = 10 * time.Second
	pongWait      = 60 * time.Second
	pingPeriod    = pongWait * 9 / 10
	maxMessage    = 64 << 10 // a client's command frame
	commandWait   = 15 * time.Second
)

// Frame is one message for every client, encoded once. Session and Seq let
// a client that just received a snapshot skip events it already contains.
type Frame struct {
	Received time.Time // when the event's datagram was read; zero for other frames
	Session  string
	Seq      int64 // an event's number, or the last number a snapshot contains; 0: none
	Snapshot bool  // a snapshot: always delivered, and events up to Seq are then skipped
	Data     []byte
}

// Config connects the hub to the engine.
type Config struct {
	// Snapshot returns the {"type":"snapshot",...} frame of the mirror as it
	// is now, with the session and the last sequence number it contains.
	Snapshot func() Frame
	// Command forwards one command line to the Remote Script.
	Command func(ctx context.Context, line string) (json.RawMessage, error)
	State   func() []byte                    // GET /state
	Status  func() []byte                    // GET /status
	Health  func() (ok bool, summary string) // GET /healthz
	Metrics *metrics.Counters                // GET /metrics; WS figures are counted here
	// AllowedOrigins are extra web origins (scheme://host[:port]) allowed
	// besides localhost ones.
	AllowedOrigins []string
	// QueueBytes bounds what may wait for one client (MaxQueueBytes if 0).
	QueueBytes int
	Logger     *slog.Logger
}

// Hub is the set of WebSocket clients and the HTTP handler.
type Hub struct {
	cfg        Config
	log        *slog.Logger
	register   chan *client
	unregister chan *client
	broadcast  chan Frame
	count      chan chan int
	done       chan struct{} // closed when Run returns
	upgrader   websocket.Upgrader
	c          *metrics.Counters
}

// New returns a hub; call Run to start it.
func New(cfg Config) *Hub {
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = MaxQueueBytes
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
		count:      make(chan chan int),
		done:       make(chan struct{}),
		c:          cfg.Metrics,
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
			} else {
				cl.session, cl.seq = snap.Session, snap.Seq
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
			for cl := range clients {
				if f.Snapshot {
					cl.session, cl.seq, cl.pending = f.Session, f.Seq, false
				} else if cl.pending || f.Seq > 0 && f.Session == cl.session && f.Seq <= cl.seq {
					continue // waiting for a snapshot, or already in this client's
				}
				if ok, overflow := cl.pushFrame(f.Data, f.Received); !ok {
					delete(clients, cl)
					h.c.WSClients.Store(int64(len(clients)))
					if overflow {
						h.c.ClientsDropped.Add(1)
						h.log.Warn("websocket client fell behind; closed", "remote", cl.remote, "limit_bytes", h.cfg.QueueBytes)
					}
				}
			}
		case reply := <-h.count:
			reply <- len(clients)
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

// Handler serves /ws, /state, /status, /healthz and /metrics.
func (h *Hub) Handler(ctx context.Context) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) { h.serveWS(ctx, w, r) })
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, h.cfg.State())
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, h.cfg.Status())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ok, summary := true, "ok"
		if h.cfg.Health != nil {
			ok, summary = h.cfg.Health()
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write([]byte(summary + "\n"))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		h.c.WritePrometheus(w, time.Now())
	})
	return h.hostGuard(mux)
}

func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}

// hostGuard refuses requests whose Host is not a loopback name: a web page
// cannot then reach the bridge through DNS rebinding (evil.example resolving
// to 127.0.0.1), which the Origin check alone would not stop for plain GETs.
func (h *Hub) hostGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hst, _, err := net.SplitHostPort(host); err == nil {
			host = hst
		}
		if !isLoopbackName(host) && !h.hostAllowed(host) {
			http.Error(w, "VimAbl bridge: requests must address localhost", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Hub) hostAllowed(host string) bool {
	for _, o := range h.cfg.AllowedOrigins {
		if u, err := url.Parse(o); err == nil && strings.EqualFold(u.Hostname(), host) {
			return true
		}
	}
	return false
}

func isLoopbackName(host string) bool {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// originAllowed accepts native clients (no Origin header) and pages served
// from localhost; any other web origin is refused (gorilla answers 403), so
// a page on the internet cannot read the user's Set.
func (h *Hub) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // includes "null" (file:// pages, sandboxed frames)
	}
	if isLoopbackName(u.Hostname()) {
		return true
	}
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

func (h *Hub) serveWS(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	hj := &hijacker{ResponseWriter: w}
	conn, err := h.upgrader.Upgrade(hj, r, nil)
	if err != nil {
		h.log.Info("websocket refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return // the upgrader already answered (403 for a foreign origin)
	}
	fc := hj.conn
	fc.Flush() // the handshake response
	// gorilla answers pings and closes from the read loop; send those at once.
	conn.SetPingHandler(func(data string) error {
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeWait))
		fc.Flush()
		return err
	})
	conn.SetCloseHandler(func(code int, text string) error {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(writeWait))
		fc.Flush()
		return nil
	})
	cl := &client{hub: h, conn: conn, fc: fc, remote: r.RemoteAddr, wake: make(chan struct{}, 1), registered: make(chan struct{})}
	select {
	case h.register <- cl:
	case <-h.done:
		conn.Close()
		return
	}
	<-cl.registered
	go cl.writePump()
	cl.readPump(ctx)
}

// client is one WebSocket connection.
type client struct {
	hub        *Hub
	conn       *websocket.Conn
	fc         *flushConn // buffers conn's writes until the batch is flushed
	remote     string
	registered chan struct{}
	session    string // of the snapshot it got
	seq        int64
	pending    bool // registered during a resync: nothing until a snapshot frame

	mu        sync.Mutex
	queue     []queued
	queued    int
	closing   bool
	closeCode int
	closeMsg  string
	wake      chan struct{}
}

// queued is one frame waiting for a client.
type queued struct {
	data     []byte
	received time.Time
}

// push queues one frame; false (and the client is being closed) when the
// client is too far behind.
func (cl *client) push(data []byte) bool {
	ok, _ := cl.pushFrame(data, time.Time{})
	return ok
}

// pushFrame queues a frame; ok is false when the client is gone or closing,
// overflow true when this frame pushed it past its bound.
func (cl *client) pushFrame(data []byte, received time.Time) (ok, overflow bool) {
	cl.mu.Lock()
	if cl.closing {
		cl.mu.Unlock()
		return false, false
	}
	if limit := cl.hub.cfg.QueueBytes; cl.queued+len(data) > limit {
		cl.closing = true
		cl.closeCode = websocket.ClosePolicyViolation
		cl.closeMsg = fmt.Sprintf("VimAbl: client fell more than %d KiB behind; reconnect for a fresh snapshot", limit>>10)
		cl.queue, cl.queued = nil, 0
		cl.mu.Unlock()
		cl.signal()
		return false, true
	}
	cl.queue = append(cl.queue, queued{data, received})
	cl.queued += len(data)
	cl.mu.Unlock()
	cl.signal()
	return true, false
}

func (cl *client) close(code int, reason string) {
	cl.mu.Lock()
	if !cl.closing {
		cl.closing, cl.closeCode, cl.closeMsg = true, code, reason
	}
	cl.mu.Unlock()
	cl.signal()
}

func (cl *client) signal() {
	select {
	case cl.wake <- struct{}{}:
	default:
	}
}

// writePump is the only writer of the connection: queued frames in order,
// pings, and the close frame.
func (cl *client) writePump() {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		cl.conn.Close()
	}()
	c := cl.hub.c
	var batch []queued
	for {
		select {
		case <-cl.wake:
		case <-ticker.C:
			cl.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := cl.conn.WriteMessage(websocket.PingMessage, nil); err != nil || cl.fc.Flush() != nil {
				cl.gone()
				return
			}
			continue
		}
		cl.mu.Lock()
		batch, cl.queue = cl.queue, batch[:0]
		cl.queued = 0
		closing, code, msg := cl.closing, cl.closeCode, cl.closeMsg
		cl.mu.Unlock()
		for i, q := range batch {
			// One deadline per 1024 frames rather than per frame: setting it
			// reads the clock and re-arms a runtime timer, which at 500 000
			// frames/s cost more than writing into the buffer. A client must
			// take each 1024 frames within writeWait.
			if i%1024 == 0 {
				cl.conn.SetWriteDeadline(time.Now().Add(writeWait))
			}
			if err := cl.conn.WriteMessage(websocket.TextMessage, q.data); err != nil {
				cl.gone()
				return
			}
			c.FramesSent.Add(1)
		}
		if len(batch) > 0 {
			cl.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := cl.fc.Flush(); err != nil {
				cl.gone()
				return
			}
			// The oldest frame of the batch waited longest: one sample per
			// flush keeps the measurement cheap at 500 000 frames/s.
			if r := batch[0].received; !r.IsZero() {
				now := time.Now()
				c.WSOut(now, now.Sub(r))
			}
		}
		clear(batch)
		if closing {
			cl.conn.SetWriteDeadline(time.Now().Add(writeWait))
			cl.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, msg))
			cl.fc.Flush()
			cl.gone()
			return
		}
	}
}

func (cl *client) gone() {
	select {
	case cl.hub.unregister <- cl:
	case <-cl.hub.done:
	}
}

// command is what a client may send.
type command struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Command string `json:"command"`
	Args    []any  `json:"args"`
}

// readPump reads commands until the connection fails.
func (cl *client) readPump(ctx context.Context) {
	defer func() {
		cl.close(websocket.CloseNormalClosure, "")
		cl.gone()
	}()
	cl.conn.SetReadLimit(maxMessage)
	cl.conn.SetReadDeadline(time.Now().Add(pongWait))
	cl.conn.SetPongHandler(func(string) error {
		cl.conn.SetReadDeadline(time.Now().Add(pongWait))
		return nil
	})
	for {
		_, data, err := cl.conn.ReadMessage()
		if err != nil {
			return
		}
		cl.conn.SetReadDeadline(time.Now().Add(pongWait))
		go cl.handle(ctx, data)
	}
}

func (cl *client) handle(ctx context.Context, data []byte) {
	var cmd command
	reply := map[string]any{"type": "reply"}
	if err := json.Unmarshal(data, &cmd); err != nil {
		reply["error"] = "not a JSON object: " + err.Error()
	} else {
		reply["id"] = cmd.ID
		switch {
		case cmd.Type != "command":
			reply["error"] = "unknown message type " + strconvQuote(cmd.Type) + `; send {"type":"command","id":"1","command":"GET_VIEW","args":[]}`
		case cmd.Command == "" || strings.ContainsAny(cmd.Command, ":\r\n"):
			reply["error"] = "command must be a name like JUMP_TO_FIRST (arguments go in args)"
		case cl.hub.cfg.Command == nil:
			reply["error"] = "commands are not available"
		default:
			line := cmd.Command
			for _, a := range cmd.Args {
				s := strings.NewReplacer("\r", "", "\n", "").Replace(argString(a))
				line += ":" + s
			}
			cctx, cancel := context.WithTimeout(ctx, commandWait)
			res, err := cl.hub.cfg.Command(cctx, line)
			cancel()
			if err != nil {
				reply["error"] = err.Error()
			} else {
				reply["result"] = res
			}
		}
	}
	out, err := json.Marshal(reply)
	if err != nil {
		return
	}
	cl.push(out)
}

func argString(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case nil:
		return ""
	}
	b, _ := json.Marshal(a)
	return string(b)
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
