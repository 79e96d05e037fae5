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
//
// Clients may also send commands (commands.go): only an allow-list of
// read-only and navigation commands, at most MaxCommandsInFlight at a time
// per client, each cancelled when its client goes. Every connection the
// bridge loses or closes is counted by reason (metrics.DropReason).
package wshub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
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
	Page   http.Handler
	Logger *slog.Logger
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
		count:      make(chan chan int),
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

// Handler serves /ws, /state, /status, /healthz, /metrics and, for every
// other GET, cfg.Page.
func (h *Hub) Handler(ctx context.Context) http.Handler {
	mux := http.NewServeMux()
	if h.cfg.Page != nil {
		mux.Handle("GET /", h.cfg.Page)
	}
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) { h.serveWS(ctx, w, r) })
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, r *http.Request) {
		session, seq, state := h.cfg.State()
		w.Header().Set("X-VimAbl-Session", session)
		w.Header().Set("X-VimAbl-Seq", strconv.FormatInt(seq, 10))
		writeJSON(w, state)
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
	return h.hostGuard(h.cors(mux))
}

// cors lets a web page served from another localhost port (or an allowed
// origin) read the plain GET answers, by the same rule that lets it open
// /ws: it could read the same Set and status there anyway. Other origins
// get no CORS headers, so their pages cannot read the answers.
func (h *Hub) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && r.URL.Path != "/ws" && h.originAllowed(r) {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", "X-VimAbl-Session, X-VimAbl-Seq")
		}
		w.Header().Add("Vary", "Origin")
		next.ServeHTTP(w, r)
	})
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
	cl := &client{hub: h, conn: conn, fc: fc, remote: r.RemoteAddr, wake: make(chan struct{}, 1), registered: make(chan struct{}),
		patch: wantsPatch(r)}
	// hello, then the status as it is now; the snapshot follows on register.
	cl.push(hello(h.cfg.Version, cl.patch))
	if h.cfg.StatusNow != nil {
		cl.push(h.cfg.StatusNow().Data)
	}
	// gorilla answers pings and closes from the read loop; send those at once.
	conn.SetPingHandler(func(data string) error {
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(h.writeWait))
		fc.Flush()
		return err
	})
	conn.SetCloseHandler(func(code int, text string) error {
		// The client closes: not a drop, whatever the writer sees next.
		cl.endClean()
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(h.writeWait))
		fc.Flush()
		return nil
	})
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

// wantsPatch reports whether a /ws request asks for patch mode: ?patch=1
// (or true). Any other value, or none, is the plain event stream.
func wantsPatch(r *http.Request) bool {
	v := r.URL.Query().Get("patch")
	return v == "1" || strings.EqualFold(v, "true")
}

// client is one WebSocket connection.
type client struct {
	hub        *Hub
	conn       *websocket.Conn
	fc         *flushConn // buffers conn's writes until the batch is flushed
	remote     string
	registered chan struct{}
	// What the client's copy of the Set is: owned by the hub goroutine.
	session string // of the last snapshot it was sent
	seq     int64  // the last event it was sent, or that snapshot's seq
	snapSum uint64 // that snapshot's checksum
	pending bool   // registered during a resync: nothing until a snapshot frame
	patch   bool   // asked for patch mode (/ws?patch=1)

	mu        sync.Mutex
	queue     []queued
	queued    int
	closing   bool
	closeCode int
	closeMsg  string
	ended     bool // why the connection ends is recorded (and counted if a drop)
	wake      chan struct{}
}

// takes reports whether frame f goes to the client, and records what the
// client then has; only the hub goroutine calls it. This is the fence of
// docs/protocol.md: a client gets an event only on top of a snapshot of the
// event's session that does not already contain it, so no event of a new
// session reaches a client before that session's snapshot, whenever the
// client connected. A snapshot is not sent again to a client that has
// exactly it and nothing since (the snapshot taken when it connected and the
// engine's frame for the same resync are often the same).
func (cl *client) takes(f Frame) bool {
	switch {
	case f.Snapshot:
		if !cl.pending && f.Session == cl.session && f.Seq == cl.seq && f.sum == cl.snapSum {
			return false
		}
		cl.session, cl.seq, cl.snapSum, cl.pending = f.Session, f.Seq, f.sum, false
	case f.Event:
		// An unnumbered event (seq 0) has no place in the stream: never sent.
		if cl.pending || f.Session != cl.session || f.Seq <= cl.seq {
			return false
		}
		cl.seq = f.Seq
	}
	return true
}

// queued is one frame waiting for a client.
type queued struct {
	data     []byte
	received time.Time
}

// push queues one frame; false (and the client is being closed) when the
// client is too far behind.
func (cl *client) push(data []byte) bool {
	return cl.pushFrame(data, time.Time{})
}

// pushFrame queues a frame; false when the client is closing, either
// already or because this frame pushed it past its bound (then the drop is
// counted here, once).
func (cl *client) pushFrame(data []byte, received time.Time) bool {
	cl.mu.Lock()
	if cl.closing {
		cl.mu.Unlock()
		return false
	}
	if limit := cl.hub.cfg.QueueBytes; cl.queued+len(data) > limit {
		cl.closing = true
		cl.closeCode = websocket.ClosePolicyViolation
		cl.closeMsg = fmt.Sprintf("VimAbl: client fell more than %d KiB behind; reconnect for a fresh snapshot", limit>>10)
		cl.queue, cl.queued = nil, 0
		first := !cl.ended
		cl.ended = true
		cl.mu.Unlock()
		if first {
			cl.hub.c.ClientDropped(metrics.DropSlowQueue)
			cl.hub.log.Warn("websocket client fell behind; closed", "remote", cl.remote, "limit_bytes", limit)
		}
		cl.signal()
		return false
	}
	cl.queue = append(cl.queue, queued{data, received})
	cl.queued += len(data)
	cl.mu.Unlock()
	cl.signal()
	return true
}

func (cl *client) close(code int, reason string) {
	cl.mu.Lock()
	if !cl.closing {
		cl.closing, cl.closeCode, cl.closeMsg = true, code, reason
	}
	cl.mu.Unlock()
	cl.signal()
}

// markEnded records that the connection's end has a cause; only the first
// call returns true. The failure of the other pump on the connection the
// first one closed is an effect, not a second drop.
func (cl *client) markEnded() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.ended {
		return false
	}
	cl.ended = true
	return true
}

// endClean records an end that is no drop: the client closed, or the
// bridge is stopping.
func (cl *client) endClean() { cl.markEnded() }

// drop counts the client under reason r unless its end was already
// recorded.
func (cl *client) drop(r metrics.DropReason, err error) {
	if !cl.markEnded() {
		return
	}
	cl.hub.c.ClientDropped(r)
	log := cl.hub.log.Warn
	if r == metrics.DropReadError {
		log = cl.hub.log.Info // mostly a client that exited without a close frame
	}
	log("websocket client dropped", "remote", cl.remote, "reason", r.String(), "err", err)
}

// writeFailed records why a write failed: a deadline means the client
// stopped reading (its socket buffers are full).
func (cl *client) writeFailed(err error) {
	switch {
	case errors.Is(err, websocket.ErrCloseSent):
		// A close frame went out first (ours or the answer to the
		// client's): that close decided how the connection ends.
	case isTimeout(err):
		cl.drop(metrics.DropWriteTimeout, err)
	default:
		cl.drop(metrics.DropWriteError, err)
	}
}

// readFailed records why reading failed. A close frame from the client is
// its own choice; gorilla reports a connection closed without one as 1006.
func (cl *client) readFailed(err error) {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
		cl.endClean()
	case errors.Is(err, websocket.ErrReadLimit):
		cl.drop(metrics.DropFrameTooLarge, err)
	case isTimeout(err):
		cl.drop(metrics.DropPingTimeout, err)
	default:
		cl.drop(metrics.DropReadError, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
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
	writeWait := cl.hub.writeWait
	ticker := time.NewTicker(cl.hub.pongWait * 9 / 10)
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
			err := cl.conn.WriteMessage(websocket.PingMessage, nil)
			if err == nil {
				err = cl.fc.Flush()
			}
			if err != nil {
				cl.writeFailed(err)
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
				cl.writeFailed(err)
				cl.gone()
				return
			}
			c.FramesSent.Add(1)
		}
		if len(batch) > 0 {
			cl.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := cl.fc.Flush(); err != nil {
				cl.writeFailed(err)
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

// readPump reads commands until the connection fails. Commands run on
// their own goroutines, at most MaxCommandsInFlight at a time, under a
// context that ends with the connection: a client that goes takes its
// commands with it. readPump returns once they have returned.
func (cl *client) readPump(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	slots := make(chan struct{}, MaxCommandsInFlight)
	var running sync.WaitGroup
	defer func() {
		cancel()
		cl.close(websocket.CloseNormalClosure, "")
		cl.gone()
		running.Wait()
	}()
	pongWait := cl.hub.pongWait
	cl.conn.SetReadLimit(MaxCommandFrame)
	cl.conn.SetReadDeadline(time.Now().Add(pongWait))
	cl.conn.SetPongHandler(func(string) error {
		cl.conn.SetReadDeadline(time.Now().Add(pongWait))
		return nil
	})
	for {
		kind, data, err := cl.conn.ReadMessage()
		if err != nil {
			cl.readFailed(err)
			return
		}
		cl.conn.SetReadDeadline(time.Now().Add(pongWait))
		var req request
		var ref *refusal
		if kind == websocket.BinaryMessage {
			ref = &refusal{CodeBadFrame, "binary frames are not read; send each command as a JSON text frame"}
		} else {
			req, ref = parseCommand(data)
		}
		if ref == nil && cl.hub.cfg.Command == nil {
			ref = &refusal{CodeUnavailable, "commands are not available"}
		}
		if ref != nil {
			cl.reply(replyFrame{ID: req.id, Error: ref.msg, Code: ref.code})
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			cl.reply(replyFrame{ID: req.id, Busy: true, Error: busyError, Code: CodeBusy})
			continue
		}
		running.Add(1)
		go func() {
			defer running.Done()
			r := cl.run(ctx, req)
			// Free the slot before the reply goes out: a client that sends
			// its next command on receiving the reply must find it free.
			<-slots
			cl.reply(r)
		}()
	}
}

// run forwards one allowed command to the script and makes its reply.
func (cl *client) run(ctx context.Context, req request) replyFrame {
	cctx, cancel := context.WithTimeout(ctx, commandWait)
	defer cancel()
	res, err := cl.hub.cfg.Command(cctx, req.line)
	switch {
	case err == nil && res == nil:
		return replyFrame{ID: req.id, Result: json.RawMessage("null")}
	case err == nil:
		return scriptReply(req.id, res)
	case ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded):
		return replyFrame{ID: req.id, Error: fmt.Sprintf("the Remote Script did not answer within %v", commandWait), Code: CodeTimeout}
	}
	return replyFrame{ID: req.id, Error: "the Remote Script did not answer: " + err.Error(), Code: CodeUnavailable}
}

// reply queues a reply frame for the client.
func (cl *client) reply(r replyFrame) {
	r.Type = "reply"
	out, err := json.Marshal(r)
	if err != nil {
		// Only a result that is not valid JSON can fail; say so.
		out, _ = json.Marshal(replyFrame{Type: "reply", ID: r.ID, Error: "reply could not be encoded: " + err.Error()})
	}
	cl.push(out)
}
