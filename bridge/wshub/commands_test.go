package wshub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vimabl/vimabl/bridge/metrics"
	"github.com/vimabl/vimabl/internal/testkit"
)

// startHub runs a hub and its HTTP server on loopback until the test ends
// and returns the hub and its /ws URL. tune may change the hub's timings
// before anything is served.
func startHub(t *testing.T, cfg Config, tune func(*Hub)) (*Hub, string) {
	t.Helper()
	if cfg.Snapshot == nil {
		cfg.Snapshot = func() Frame { return SnapshotFrame("s1", 0, []byte(`{}`)) }
	}
	h := New(cfg)
	if tune != nil {
		tune(h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { h.Run(ctx); close(ran) }()
	srv := httptest.NewServer(h.Handler(ctx))
	t.Cleanup(func() {
		cancel()
		<-ran
		srv.Close()
	})
	return h, "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

// dial connects a client and reads the hello and the snapshot every client
// gets first (these hubs have no status frame).
func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	if f := readFrame(t, c); f["type"] != "hello" {
		t.Fatalf("first frame %v, want hello", f)
	}
	if f := readFrame(t, c); f["type"] != "snapshot" {
		t.Fatalf("second frame %v, want the snapshot", f)
	}
	return c
}

func readFrame(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("frame %q: %v", data, err)
	}
	return m
}

func send(t *testing.T, c *websocket.Conn, id, name string, args ...any) {
	t.Helper()
	if args == nil {
		args = []any{}
	}
	if err := c.WriteJSON(map[string]any{"type": "command", "id": id, "command": name, "args": args}); err != nil {
		t.Fatalf("sending %s: %v", name, err)
	}
}

// replies reads until it has n reply frames and returns them by id.
func replies(t *testing.T, c *websocket.Conn, n int) map[string]map[string]any {
	t.Helper()
	got := map[string]map[string]any{}
	for len(got) < n {
		f := readFrame(t, c)
		if f["type"] != "reply" {
			t.Fatalf("frame %v, want a reply", f)
		}
		id, _ := f["id"].(string)
		got[id] = f
	}
	return got
}

// issue 10 item 1: /ws forwards only the allow-list. EXPORT_XML (a web page
// on any localhost port could make Live write files) and the commands that
// change the script for everyone are refused with the client's id, in any
// spelling the script would accept, and never reach the command port;
// allowed commands still work and reach it under their canonical name.
func TestWSCommandAllowList(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	_, url := startHub(t, Config{Command: func(ctx context.Context, line string) (json.RawMessage, error) {
		mu.Lock()
		lines = append(lines, line)
		mu.Unlock()
		return json.Marshal(map[string]any{"success": true, "line": line})
	}}, nil)
	c := dial(t, url)

	const exportRefused = "EXPORT_XML is not available over the WebSocket; use port 9001"
	refused := map[string]string{ // id → command name as a client might spell it
		"x1": "EXPORT_XML", "x2": "export_xml", "x3": " Export_Xml\t",
		"o1": "STOP_OBSERVERS", "o2": "start_observers", "o3": "REFRESH_OBSERVERS",
		"l1": "SET_LOG_LEVEL", "l2": "RESET_LOG_STATS",
	}
	for id, name := range refused {
		send(t, c, id, name, "/Users/me/Set.als")
	}
	send(t, c, "u1", "NOPE")
	send(t, c, strings.Repeat("i", MaxCommandID+1), "GET_VIEW")
	send(t, c, "a1", "get_view")
	send(t, c, "a2", " Select_Last_Scene ")
	send(t, c, "a3", "PING")
	got := replies(t, c, len(refused)+5)

	for id, name := range refused {
		r := got[id]
		msg, _ := r["error"].(string)
		if strings.Contains(strings.ToUpper(name), "EXPORT_XML") {
			if msg != exportRefused {
				t.Errorf("%q (id %s): error %q, want %q", name, id, msg, exportRefused)
			}
		} else if !strings.HasSuffix(msg, "is not available over the WebSocket; use port 9001") {
			t.Errorf("%q (id %s): reply %v, want a refusal", name, id, r)
		}
		if _, ok := r["result"]; ok {
			t.Errorf("%q got a result: %v", name, r)
		}
	}
	if msg, _ := got["u1"]["error"].(string); !strings.Contains(msg, `unknown command "NOPE"`) || !strings.Contains(msg, "GET_VIEW") {
		t.Errorf("unknown command: %v", got["u1"])
	}
	if msg, _ := got[""]["error"].(string); msg != fmt.Sprintf("id longer than %d bytes", MaxCommandID) {
		t.Errorf("an over-long id: %v, want it refused and not echoed", got[""])
	}
	for id, want := range map[string]string{"a1": "GET_VIEW", "a2": "SELECT_LAST_SCENE", "a3": "PING"} {
		res, _ := got[id]["result"].(map[string]any)
		if res["line"] != want {
			t.Errorf("allowed command %s: reply %v, want the script's answer to %s", id, got[id], want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 3 {
		t.Errorf("the command port saw %q; only the three allowed commands may reach it", lines)
	}
}

// issue 10 item 5 (the brief's item 2: per-client command limit): with the
// script frozen, one client gets at most MaxCommandsInFlight commands
// running; the next is answered "busy" at once, with its id, while those
// still wait; once they return the client can send again.
func TestWSCommandBusyBeyondLimit(t *testing.T) {
	var inFlight, peak, calls atomic.Int64
	release := make(chan struct{})
	_, url := startHub(t, Config{Command: func(ctx context.Context, line string) (json.RawMessage, error) {
		calls.Add(1)
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		select {
		case <-release:
			return json.RawMessage(`{"success":true}`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}, nil)
	c := dial(t, url)
	for i := 1; i <= MaxCommandsInFlight; i++ {
		send(t, c, fmt.Sprint(i), "GET_STATE")
	}
	testkit.WaitFor(t, "the first commands to reach the frozen script", 5*time.Second, func() bool {
		return inFlight.Load() == MaxCommandsInFlight
	})
	// A flood beyond the limit: every one answered busy, none reaches the script.
	const flood = 50
	for i := MaxCommandsInFlight + 1; i <= MaxCommandsInFlight+flood; i++ {
		send(t, c, fmt.Sprint(i), "GET_STATE")
	}
	busy := replies(t, c, flood) // only busy replies can come: the others are blocked
	for i := MaxCommandsInFlight + 1; i <= MaxCommandsInFlight+flood; i++ {
		r := busy[fmt.Sprint(i)]
		if r["busy"] != true || !strings.HasPrefix(fmt.Sprint(r["error"]), "busy:") {
			t.Fatalf("command %d beyond the limit: reply %v, want busy", i, r)
		}
	}
	if calls.Load() != MaxCommandsInFlight || peak.Load() != MaxCommandsInFlight {
		t.Fatalf("%d calls, %d at once; want %d", calls.Load(), peak.Load(), MaxCommandsInFlight)
	}
	close(release)
	done := replies(t, c, MaxCommandsInFlight)
	for i := 1; i <= MaxCommandsInFlight; i++ {
		if _, ok := done[fmt.Sprint(i)]["result"]; !ok {
			t.Errorf("command %d: %v, want its result", i, done[fmt.Sprint(i)])
		}
	}
	send(t, c, "again", "GET_STATE")
	if r := replies(t, c, 1)["again"]; r == nil || r["busy"] == true {
		t.Errorf("after the replies a command must run again: %v", r)
	}
}

// issue 10 item 5 (the brief's item 2): a command runs under its client's
// context, so a client that goes cancels its commands at once instead of
// leaving them to wait out the 15 s command timeout.
func TestWSCommandsCancelledWhenClientGoes(t *testing.T) {
	var started, cancelled atomic.Int64
	_, url := startHub(t, Config{Command: func(ctx context.Context, line string) (json.RawMessage, error) {
		started.Add(1)
		<-ctx.Done()
		cancelled.Add(1)
		return nil, ctx.Err()
	}}, nil)
	c := dial(t, url)
	send(t, c, "1", "SNAPSHOT")
	send(t, c, "2", "GET_STATE")
	testkit.WaitFor(t, "both commands to run", 5*time.Second, func() bool { return started.Load() == 2 })
	c.Close()
	testkit.WaitFor(t, "the commands' contexts to be done", 5*time.Second, func() bool { return cancelled.Load() == 2 })
}

func droppedBy(h *Hub) map[string]uint64 {
	return h.c.Snapshot(time.Now()).ClientsDroppedBy
}

// issue 10 item 5 (the brief's item 3: drop counting): every client the
// bridge loses is counted once, under its reason, and a client that closes
// properly is not counted at all.
func TestWSDropsCountedByReason(t *testing.T) {
	big := make([]byte, 256<<10)
	for i := range big {
		big[i] = 'x'
	}
	// flood broadcasts a few large frames per poll (all sharing one buffer)
	// to a client that stopped reading, until it is dropped.
	flood := func(t *testing.T, h *Hub, reason string) {
		testkit.WaitFor(t, "the client to be dropped for "+reason, 10*time.Second, func() bool {
			for i := 0; i < 8; i++ {
				h.Broadcast(Frame{Data: big})
			}
			return droppedBy(h)[reason] > 0
		})
	}
	cases := []struct {
		reason string
		cfg    Config
		tune   func(*Hub)
		act    func(t *testing.T, h *Hub, c *websocket.Conn)
	}{
		{"write_timeout", Config{QueueBytes: 1 << 40}, func(h *Hub) { h.writeWait = 300 * time.Millisecond },
			func(t *testing.T, h *Hub, c *websocket.Conn) { flood(t, h, "write_timeout") }},
		{"slow_queue", Config{QueueBytes: 1 << 20}, nil,
			func(t *testing.T, h *Hub, c *websocket.Conn) { flood(t, h, "slow_queue") }},
		{"ping_timeout", Config{}, func(h *Hub) { h.pongWait = 300 * time.Millisecond },
			func(t *testing.T, h *Hub, c *websocket.Conn) {
				// Not reading means not answering pings either.
				testkit.WaitFor(t, "the silent client to be dropped", 5*time.Second, func() bool { return droppedBy(h)["ping_timeout"] > 0 })
			}},
		{"frame_too_large", Config{}, nil, func(t *testing.T, h *Hub, c *websocket.Conn) {
			if err := c.WriteMessage(websocket.TextMessage, make([]byte, MaxCommandFrame+1)); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _, err := c.ReadMessage()
			if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
				t.Fatalf("after a frame over %d bytes: %v, want close 1009", MaxCommandFrame, err)
			}
		}},
		{"read_error", Config{}, nil, func(t *testing.T, h *Hub, c *websocket.Conn) {
			c.UnderlyingConn().Close() // gone without a close frame
		}},
		{"", Config{}, nil, func(t *testing.T, h *Hub, c *websocket.Conn) {
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Fatalf("closing: %v, want the bridge's close answer", err)
			}
		}},
	}
	for _, tc := range cases {
		name := tc.reason
		if name == "" {
			name = "client_closes"
		}
		t.Run(name, func(t *testing.T) {
			tc.cfg.Metrics = metrics.New()
			h, url := startHub(t, tc.cfg, tc.tune)
			c := dial(t, url)
			tc.act(t, h, c)
			testkit.WaitFor(t, "the client to be gone from the hub", 5*time.Second, func() bool { return h.Clients() == 0 })
			s := h.c.Snapshot(time.Now())
			want := uint64(1)
			if tc.reason == "" {
				want = 0
			}
			if s.ClientsDropped != want || tc.reason != "" && s.ClientsDroppedBy[tc.reason] != 1 {
				t.Errorf("dropped %d %v, want %d under %q", s.ClientsDropped, s.ClientsDroppedBy, want, tc.reason)
			}
		})
	}
}
