package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hypebeast/go-osc/osc"
	"github.com/vimabl/vimabl/bridge/livelog"
	"github.com/vimabl/vimabl/bridge/mirror"
	"github.com/vimabl/vimabl/bridge/scriptclient"
	"github.com/vimabl/vimabl/internal/testkit"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// startEngine starts an engine on free loopback ports.
func startEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	if cfg.EventsAddr == "" {
		cfg.EventsAddr = "127.0.0.1:0"
	}
	if cfg.WSAddr == "" {
		cfg.WSAddr = "127.0.0.1:0"
	}
	if cfg.CommandAddr == "" {
		cfg.CommandAddr = fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t, "tcp"))
	}
	if cfg.LiveLogPath == "" {
		cfg.LiveLogPath = filepath.Join(t.TempDir(), "Log.txt")
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop() })
	testkit.WaitFor(t, "the engine's ports", 5*time.Second, func() bool { return e.EventsAddr() != "" && e.WSAddr() != "" })
	return e
}

// startSim runs the real Remote Script in the fake Live, its events going to e.
func startSim(t *testing.T, e *Engine) *remotescript.Sim {
	t.Helper()
	_, port, _ := net.SplitHostPort(e.EventsAddr())
	var events int
	fmt.Sscan(port, &events)
	_, cport, _ := net.SplitHostPort(e.cfg.CommandAddr)
	var command int
	fmt.Sscan(cport, &command)
	return testkit.StartSim(t, command, events)
}

// converged waits until the engine's mirror (and, if given, a WebSocket
// client's) equals a fresh SNAPSHOT taken at the same sequence number.
func converged(t *testing.T, e *Engine, sim *remotescript.Sim, extra func(seq int64, session string) []byte) {
	t.Helper()
	client := scriptclient.New(sim.CommandAddr())
	deadline := time.Now().Add(45 * time.Second)
	last := "no snapshot"
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		snap, err := client.Snapshot(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		ok := true
		testkit.WaitFor(t, "the mirror to reach the snapshot", 20*time.Second, func() bool {
			s, seq, _ := e.mirror.SnapshotJSON()
			return s == snap.SessionID && seq >= snap.Seq
		})
		_, seq, state := e.mirror.SnapshotJSON()
		if seq != snap.Seq {
			continue // a heartbeat slipped in; try again
		}
		if !testkit.SameJSON(state, snap.State) {
			ok, last = false, "engine mirror differs"
		}
		if ok && extra != nil {
			if got := extra(snap.Seq, snap.SessionID); got == nil || !testkit.SameJSON(got, snap.State) {
				ok, last = false, "WebSocket client's copy differs"
			}
		}
		if ok {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("never converged: %s", last)
}

// wsMirror is a WebSocket client that rebuilds the Set from the frames.
type wsMirror struct {
	mu      sync.Mutex
	m       *mirror.Mirror
	session string
	seq     int64
	frames  int
	errs    []string
	status  int
}

func dialWS(t *testing.T, e *Engine, origin string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial("ws://"+e.WSAddr()+"/ws", h)
}

func followWS(t *testing.T, e *Engine) *wsMirror {
	t.Helper()
	conn, _, err := dialWS(t, e, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &wsMirror{m: mirror.New()}
	go func() {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			w.frame(data)
		}
	}()
	return w
}

func (w *wsMirror) frame(data []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.frames++
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var f struct {
		Type      string          `json:"type"`
		SessionID string          `json:"session_id"`
		Seq       int64           `json:"seq"`
		Path      string          `json:"path"`
		Args      []any           `json:"args"`
		State     json.RawMessage `json:"state"`
	}
	if err := dec.Decode(&f); err != nil {
		w.errs = append(w.errs, err.Error())
		return
	}
	switch f.Type {
	case "snapshot":
		if err := w.m.LoadSnapshot(scriptclient.SnapshotReply{SessionID: f.SessionID, Seq: f.Seq, State: f.State}); err != nil {
			w.errs = append(w.errs, err.Error())
		}
		w.session, w.seq = f.SessionID, f.Seq
	case "event":
		for i, a := range f.Args {
			if n, ok := a.(json.Number); ok {
				if iv, err := n.Int64(); err == nil {
					f.Args[i] = iv
				} else {
					fv, _ := n.Float64()
					f.Args[i] = fv
				}
			}
		}
		if f.Path == "/live/hello" {
			w.session = ""
		}
		if _, err := w.m.Apply(f.Path, f.Args); err != nil {
			w.errs = append(w.errs, err.Error())
		}
		if f.Seq > 0 {
			w.seq = f.Seq
		}
	case "status":
		w.status++
	}
}

func (w *wsMirror) stateAt(seq int64, session string) []byte {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		if w.seq >= seq {
			st := w.m.JSON()
			w.mu.Unlock()
			return st
		}
		w.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func TestEndToEndMirrorAndWebSocketEqualSnapshotAfterRandomEdits(t *testing.T) {
	e := startEngine(t, Config{})
	sim := startSim(t, e)
	testkit.WaitFor(t, "streaming", 10*time.Second, func() bool { return e.Status().State == StateStreaming })
	ws := followWS(t, e)
	testkit.Control(t, sim, "random 11 800")
	converged(t, e, sim, ws.stateAt)
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if len(ws.errs) > 0 {
		t.Fatalf("the WebSocket stream did not apply cleanly: %v", ws.errs[:min(5, len(ws.errs))])
	}
	m := e.Metrics()
	if m.Gaps != 0 || m.Malformed != 0 || m.OverflowDrops != 0 {
		t.Fatalf("loopback lost events: %+v", m)
	}
	s := e.Status()
	if !strings.HasPrefix(s.Summary, "Live connected · ") || s.ScriptVersion != remotescript.Version() {
		t.Fatalf("status %+v", s)
	}
}

// relay forwards datagrams from the sim to the engine, dropping some while
// lossy is set: the gaps the bridge must notice and repair.
type relay struct {
	conn  *net.UDPConn
	to    *net.UDPAddr
	mu    sync.Mutex
	lossy bool
	n     int
}

func startRelay(t *testing.T, to string) *relay {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	dst, _ := net.ResolveUDPAddr("udp", to)
	r := &relay{conn: c, to: dst}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.n++
			drop := r.lossy && r.n%20 == 0 // 5 %
			r.mu.Unlock()
			if !drop {
				c.WriteToUDP(buf[:n], dst)
			}
		}
	}()
	return r
}

func TestGapTriggersResyncAndRestartMidStream(t *testing.T) {
	e := startEngine(t, Config{})
	rl := startRelay(t, e.EventsAddr())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, cport, _ := net.SplitHostPort(e.cfg.CommandAddr)
	var command int
	fmt.Sscan(cport, &command)
	sim, err := remotescript.StartSim(ctx, remotescript.SimOptions{EventsPort: rl.conn.LocalAddr().(*net.UDPAddr).Port, CommandPort: command})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Stop()
	testkit.WaitFor(t, "streaming", 10*time.Second, func() bool { return e.Status().State == StateStreaming })
	before := e.Metrics().Resyncs

	rl.mu.Lock()
	rl.lossy = true
	rl.mu.Unlock()
	testkit.Control(t, sim, "random 21 400")
	rl.mu.Lock()
	rl.lossy = false
	rl.mu.Unlock()
	m := e.Metrics()
	if m.Gaps == 0 || m.LostEvents == 0 {
		t.Fatalf("dropped datagrams were not counted as gaps: %+v", m)
	}
	converged(t, e, sim, nil)
	if e.Metrics().Resyncs <= before {
		t.Fatal("a gap must trigger a resync")
	}

	session := e.Status().SessionID
	testkit.Control(t, sim, "random 22 100")
	testkit.Control(t, sim, "restart")
	testkit.Control(t, sim, "random 23 200")
	converged(t, e, sim, nil)
	if s := e.Status().SessionID; s == session || s == "" {
		t.Fatalf("session %q after a restart (was %q)", s, session)
	}
	if d := e.Metrics().Duplicates; d != 0 {
		t.Fatalf("a restart's new numbering was taken for %d duplicates", d)
	}
}

// sendEvents writes n wrapped events straight to the engine's UDP port.
// It pauses 1 ms after every `pace` datagrams.
func sendEvents(t *testing.T, addr string, from, n, pace int) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := float64(time.Now().UnixMicro()) / 1e6
	for i := from; i < from+n; i++ {
		data, _ := osc.NewMessage("/live/seq", int32(i), now, "/live/transport/tempo", float64(100+i%50)).MarshalBinary()
		if _, err := c.Write(data); err != nil {
			t.Fatal(err)
		}
		if i%pace == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

func TestSlowClientDroppedWhileFastClientGetsEverything(t *testing.T) {
	e := startEngine(t, Config{WSQueueBytes: 2 << 20})
	// The slow client never reads, and a tiny receive buffer keeps the
	// kernel from absorbing much: its queue in the bridge fills up.
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
			c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
			return nil
		}}
		return nd.DialContext(ctx, network, addr)
	}}
	slow, _, err := d.Dial("ws://"+e.WSAddr()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close() // never read: its TCP window and then its queue fill up
	fast, _, err := dialWS(t, e, "")
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	const n = 60000
	got := make(chan int64, n)
	go func() {
		for {
			_, data, err := fast.ReadMessage()
			if err != nil {
				close(got)
				return
			}
			var f struct {
				Type string `json:"type"`
				Seq  int64  `json:"seq"`
			}
			json.Unmarshal(data, &f)
			if f.Type == "event" || f.Type == "snapshot" {
				got <- f.Seq // a snapshot's seq: the events it already contains
			}
		}
	}()
	sendEvents(t, e.EventsAddr(), 1, n, 100)
	// The client's first frame is its snapshot; events follow it with no
	// gap and no duplicate.
	want := int64(-1)
	timeout := time.After(30 * time.Second)
	for want <= n {
		if want == -1 {
			want = <-got + 1
			continue
		}
		select {
		case seq, ok := <-got:
			if !ok {
				t.Fatalf("fast client closed at %d", want)
			}
			if seq != want {
				t.Fatalf("fast client got seq %d, want %d", seq, want)
			}
			want++
		case <-timeout:
			t.Fatalf("fast client stalled at %d of %d (%+v)", want, n, e.Metrics())
		}
	}
	testkit.WaitFor(t, "the slow client to be dropped", 10*time.Second, func() bool { return e.Metrics().ClientsDropped == 1 })
	// The slow client is told why when it finally reads.
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); !ok || !strings.Contains(ce.Text, "behind") {
				t.Fatalf("slow client closed without a reason: %v", err)
			}
			break
		}
	}
}

func TestOriginAndHostChecks(t *testing.T) {
	e := startEngine(t, Config{AllowedOrigins: []string{"https://my.tools.example"}})
	for origin, want := range map[string]int{
		"":                         http.StatusSwitchingProtocols,
		"http://localhost:3000":    http.StatusSwitchingProtocols,
		"http://127.0.0.1:8080":    http.StatusSwitchingProtocols,
		"https://my.tools.example": http.StatusSwitchingProtocols,
		"https://evil.example":     http.StatusForbidden,
		"null":                     http.StatusForbidden,
	} {
		conn, resp, err := dialWS(t, e, origin)
		if conn != nil {
			conn.Close()
		}
		if resp == nil || resp.StatusCode != want {
			t.Errorf("origin %q: want %d, got %v (%v)", origin, want, resp, err)
		}
	}
	req, _ := http.NewRequest("GET", "http://"+e.WSAddr()+"/state", nil)
	req.Host = "evil.example:8765" // DNS rebinding
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign Host: %v %v", resp, err)
	}
	for _, path := range []string{"/state", "/status", "/healthz", "/metrics"} {
		resp, err := http.Get("http://" + e.WSAddr() + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %v %v", path, resp, err)
		}
	}
}

func TestPortTakenIsAStateAndRecovers(t *testing.T) {
	taken, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := taken.LocalAddr().String()
	e, err := New(Config{EventsAddr: addr, WSAddr: "127.0.0.1:0", CommandAddr: fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t, "tcp")),
		LiveLogPath: filepath.Join(t.TempDir(), "Log.txt")})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background())
	defer e.Stop()
	testkit.WaitFor(t, "port-conflict", 5*time.Second, func() bool { return e.Status().State == StatePortConflict })
	_, port, _ := net.SplitHostPort(addr)
	if s := e.Status(); !strings.Contains(s.Summary, "Port "+port+" (UDP) is used by another program") {
		t.Fatalf("summary must name the port: %q", s.Summary)
	}
	if s := e.Status(); !strings.Contains(s.Fix, "UDP port "+port) || !strings.Contains(s.Fix, "vimabl install --events-port") {
		t.Fatalf("the fix must say how to move the events port (the script sends there too): %q", s.Fix)
	}
	taken.Close()
	testkit.WaitFor(t, "the engine to bind the freed port", 10*time.Second, func() bool { return e.Status().State != StatePortConflict })
	if e.EventsAddr() != addr {
		t.Fatalf("bound %q, want %q", e.EventsAddr(), addr)
	}
}

func TestMalformedDatagramsAreCountedAndHarmless(t *testing.T) {
	e := startEngine(t, Config{})
	c, _ := net.Dial("udp", e.EventsAddr())
	defer c.Close()
	for _, junk := range [][]byte{[]byte("hello"), {0xff, 0, 0, 0}, []byte("/live/seq\x00\x00\x00,iii\x00\x00\x00\x00")} {
		c.Write(junk)
	}
	sendEvents(t, e.EventsAddr(), 1, 10, 100)
	testkit.WaitFor(t, "the events after the junk", 5*time.Second, func() bool { return e.Metrics().Decoded == 10 })
	if m := e.Metrics(); m.Malformed != 3 {
		t.Fatalf("malformed %d, want 3", m.Malformed)
	}
	if e.mirror.State().Transport.Tempo != 110 {
		t.Fatalf("tempo %v after the events", e.mirror.State().Transport.Tempo)
	}
}

func TestLiveLogAndScriptLogEventsReachTheRing(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "Log.txt")
	os.WriteFile(logPath, []byte("2026-11-24T10:00:00.000001: info: RemoteScriptMessage: (LiveState) ERROR [Server] port 9001 is used\n"), 0o644)
	e := startEngine(t, Config{LiveLogPath: logPath})
	testkit.WaitFor(t, "the Log.txt line", 5*time.Second, func() bool {
		return len(e.Logs().Query(livelog.Filter{Component: "Server"}, 10)) == 1
	})
	c, _ := net.Dial("udp", e.EventsAddr())
	defer c.Close()
	data, _ := osc.NewMessage("/live/seq", int32(1), float64(time.Now().UnixMicro())/1e6, "/live/log", "WARNING", "UDP", "send failed").MarshalBinary()
	c.Write(data)
	testkit.WaitFor(t, "the /live/log event", 5*time.Second, func() bool {
		es := e.Logs().Query(livelog.Filter{Component: "UDP"}, 10)
		return len(es) == 1 && es[0].Level == livelog.LevelWarning && es[0].Source == livelog.SourceEvent
	})
	if !e.Status().LiveLogFound {
		t.Fatal("the log was read but Status says not found")
	}
}

// Live writes a traceback to Log.txt; the script's next /live/log line comes
// over UDP at once, while the traceback waits for the next poll of the file.
// The Log tab must still show the traceback first.
func TestLogLinesFromBothSourcesAreMergedInTimeOrder(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "Log.txt")
	os.WriteFile(logPath, nil, 0o644)
	e := startEngine(t, Config{LiveLogPath: logPath})
	testkit.WaitFor(t, "Log.txt to be followed", 5*time.Second, func() bool { return e.Status().LiveLogFound })

	t0 := time.Now()
	stamp := t0.Format("2006-01-02T15:04:05.000000")
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "%s: info: RemoteScriptError: Traceback (most recent call last):\n%s: info: RemoteScriptError:   File \"x.py\", line 1\n%s: info: RemoteScriptError: ValueError: boom\n%s: info: RemoteScriptError: \n", stamp, stamp, stamp, stamp)
	f.Close()
	c, _ := net.Dial("udp", e.EventsAddr())
	defer c.Close()
	later := float64(t0.Add(20*time.Millisecond).UnixMicro()) / 1e6
	data, _ := osc.NewMessage("/live/seq", int32(1), later, "/live/log", "INFO", "Observers", "after the error").MarshalBinary()
	c.Write(data)

	var es []livelog.Entry
	testkit.WaitFor(t, "both lines in the ring", 5*time.Second, func() bool {
		es = e.Logs().Since(0, 0)
		return len(es) == 2
	})
	if es[0].Source != livelog.SourceScriptError || es[1].Message != "after the error" {
		t.Fatalf("ring order %q (%v) then %q (%v); want the traceback first", es[0].Message, es[0].Source, es[1].Message, es[1].Source)
	}
}
