package wshub

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vimabl/vimabl/bridge/portbind"
)

// Timeouts of the HTTP server. WebSocket connections are hijacked from it,
// so these bound only plain requests (/state, /status, /metrics, /healthz,
// the Set Viewer's files) and the upgrade request itself.
const (
	// ReadHeaderTimeout: a client that opened a connection must send its
	// request line and headers within this.
	ReadHeaderTimeout = 10 * time.Second
	// IdleTimeout: a keep-alive connection with no new request is closed
	// after this, so idle clients (a dashboard that polled once, a local
	// program holding connections open) cannot pile up sockets.
	IdleTimeout = 2 * time.Minute
	// shutdownWait bounds how long stopping waits for plain requests in
	// flight.
	shutdownWait = 2 * time.Second
)

// Serve runs the hub (Run) and serves its routes (Handler) on addr until
// ctx is done, then shuts the server down and closes every client. A port
// it cannot bind is retried (portbind.Retry) and every change of its bind
// state goes to report (nil: none). It returns when both have stopped.
func (h *Hub) Serve(ctx context.Context, addr string, report func(portbind.State)) {
	// The routes first: a route the mux refuses panics here, before any
	// goroutine that a panic would leave waiting.
	handler := h.Handler(ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); h.Run(ctx) }()
	defer func() { <-ran }()
	var ln net.Listener
	bound := portbind.Retry(ctx, portbind.Config{Network: "tcp", Addr: addr, Report: report, Logger: h.log}, func() (net.Addr, error) {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, err
		}
		return ln.Addr(), nil
	})
	if !bound {
		return
	}
	idle := h.cfg.IdleTimeout
	if idle <= 0 {
		idle = IdleTimeout
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: ReadHeaderTimeout, IdleTimeout: idle}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
		defer cancel()
		srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		h.log.Error("HTTP server failed", "addr", ln.Addr().String(), "err", err)
	}
}

// Handler serves /ws, /state, /status, /healthz, /metrics and, for every
// other GET, cfg.Page.
func (h *Hub) Handler(ctx context.Context) http.Handler {
	mux := http.NewServeMux()
	if h.cfg.Page != nil {
		mux.Handle("GET /", h.cfg.Page)
	}
	if h.cfg.AppShow != nil {
		mux.Handle("POST /app/show", h.cfg.AppShow) // with a method: "/app/show" alone conflicts with "GET /"
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
