package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
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
	"github.com/vimabl/vimabl/bridge/viewer"
	"github.com/vimabl/vimabl/internal/testkit"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// startEngine starts an engine on free loopback ports; tweaks run between
// New and Start (to set unexported knobs).
func startEngine(t *testing.T, cfg Config, tweaks ...func(*Engine)) *Engine {
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
	for _, f := range tweaks {
		f(e)
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
	last := ""
	testkit.WaitFor(t, "the mirror to equal SNAPSHOT at the same seq", 45*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		snap, err := client.Snapshot(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, "the mirror to reach the snapshot", 20*time.Second, func() bool {
			s, seq, _ := e.mirror.SnapshotJSON()
			return s == snap.SessionID && seq >= snap.Seq
		})
		_, seq, state := e.mirror.SnapshotJSON()
		if seq != snap.Seq {
			return false // a heartbeat slipped in; try again
		}
		why := ""
		if !testkit.SameJSON(state, snap.State) {
			why = "the engine's mirror differs"
		} else if extra != nil && !testkit.SameJSON(extra(snap.Seq, snap.SessionID), snap.State) {
			why = "the WebSocket client's copy differs"
		}
		if why != last && why != "" {
			t.Logf("at seq %d: %s; trying again", seq, why)
		}
		last = why
		return why == ""
	})
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
		if err := w.m.LoadSnapshot(mirror.Snapshot{SessionID: f.SessionID, Seq: f.Seq, State: f.State}); err != nil {
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

// stateAt is the client's copy once it has every event up to seq.
func (w *wsMirror) stateAt(t *testing.T) func(seq int64, session string) []byte {
	return func(seq int64, session string) []byte {
		testkit.WaitFor(t, fmt.Sprintf("the WebSocket client to reach seq %d", seq), 10*time.Second, func() bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			return w.seq >= seq
		})
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.m.JSON()
	}
}

func TestEndToEndMirrorAndWebSocketEqualSnapshotAfterRandomEdits(t *testing.T) {
	e := startEngine(t, Config{})
	sim := startSim(t, e)
	testkit.WaitFor(t, "streaming", 10*time.Second, func() bool { return e.Status().State == StateStreaming })
	ws := followWS(t, e)
	testkit.Control(t, sim, "random 11 800")
	converged(t, e, sim, ws.stateAt(t))
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
	conn    *net.UDPConn
	to      *net.UDPAddr
	mu      sync.Mutex
	lossy   bool
	n       int
	dropped int
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
			// One datagram in four: since the script bundles what it has
			// queued (issue 16), a burst of edits is a few dozen datagrams.
			drop := r.lossy && r.n%4 == 0
			if drop {
				r.dropped++
			}
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
	dropped := rl.dropped
	rl.mu.Unlock()
	if dropped == 0 {
		t.Fatal("the relay dropped nothing; the test proves nothing")
	}
	// The next datagram through (a heartbeat at the latest) shows the gap.
	testkit.WaitFor(t, fmt.Sprintf("the %d dropped datagrams to be counted as gaps", dropped), 5*time.Second, func() bool {
		m := e.Metrics()
		return m.Gaps > 0 && m.LostEvents > 0
	})
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

// sendEvents writes n wrapped events straight to e's UDP port, from one
// socket whose first datagram is an unwrapped hello of session (as the
// script's socket starts with its hello, so the bridge knows the socket as
// the session's; unwrapped, it takes no sequence number and reaches no
// client). After every `pace` datagrams it waits until the engine has read
// them, so the kernel's socket buffer never overflows under a loaded CI
// machine.
func sendEvents(t *testing.T, e *Engine, session string, from, n, pace int) {
	t.Helper()
	c, err := net.Dial("udp", e.EventsAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	read0 := e.Metrics().EventsReceived
	hello, _ := osc.NewMessage("/live/hello", session, "test", "12.1").MarshalBinary()
	if _, err := c.Write(hello); err != nil {
		t.Fatal(err)
	}
	now := float64(time.Now().UnixMicro()) / 1e6
	for i := from; i < from+n; i++ {
		data, _ := osc.NewMessage("/live/seq", int32(i), now, "/live/transport/tempo", float64(100+i%50)).MarshalBinary()
		if _, err := c.Write(data); err != nil {
			t.Fatal(err)
		}
		if sent := uint64(i - from + 2); sent%uint64(pace) == 0 {
			testkit.WaitFor(t, "the engine to read what was sent", 10*time.Second, func() bool { return e.Metrics().EventsReceived-read0 >= sent })
		}
	}
}

func TestSlowClientDroppedWhileFastClientGetsEverything(t *testing.T) {
	e, _ := startConfirmed(t, Config{WSQueueBytes: 2 << 20}, "slowtest")
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
	sendEvents(t, e, "slowtest", 1, n, 1000)
	// The client's first frame is its snapshot; events follow it with no
	// gap and no duplicate.
	want := int64(-1)
	timeout := time.After(30 * time.Second)
	for want <= n {
		select {
		case seq, ok := <-got:
			if !ok {
				t.Fatalf("fast client closed at %d", want)
			}
			if want == -1 {
				want = seq + 1
				continue
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

// issue 11: the events port held by VimAbl's old Python server (which
// Hammerspoon's websocket_manager starts) is a port conflict whose status
// names that process and says how to stop it for good; when it goes, the
// engine binds the port by itself.
func TestPortTakenIsAStateNamesItsHolderAndRecovers(t *testing.T) {
	pid, _, udpPort, stop := testkit.StartPythonServerStandIn(t)
	addr := fmt.Sprintf("127.0.0.1:%d", udpPort)
	e, err := New(Config{EventsAddr: addr, WSAddr: "127.0.0.1:0", CommandAddr: fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t, "tcp")),
		LiveLogPath: filepath.Join(t.TempDir(), "Log.txt")})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background())
	defer e.Stop()
	testkit.WaitFor(t, "port-conflict", 5*time.Second, func() bool { return e.Status().State == StatePortConflict })
	s := e.Status()
	if !strings.Contains(s.Summary, fmt.Sprintf("UDP port %d", udpPort)) {
		t.Errorf("summary must name the port: %q", s.Summary)
	}
	if runtime.GOOS == "linux" { // where portowner can name the holder here
		if !strings.Contains(s.Summary, fmt.Sprintf("pid %d", pid)) || !strings.Contains(s.Summary, "VimAbl's old Python server") {
			t.Errorf("summary must name the holder and what it is: %q", s.Summary)
		}
		if !strings.Contains(s.Fix, "websocket_manager") || !strings.Contains(s.Fix, fmt.Sprintf("kill %d", pid)) {
			t.Errorf("the fix must say how to stop it for good: %q", s.Fix)
		}
	}
	if p := s.Ports[0]; p.OK || !p.Conflict || p.Fix != s.Fix {
		t.Errorf("events port status %+v", p)
	}
	stop()
	testkit.WaitFor(t, "the engine to bind the freed port", 10*time.Second, func() bool { return e.Status().State != StatePortConflict })
	if e.EventsAddr() != addr {
		t.Fatalf("bound %q, want %q", e.EventsAddr(), addr)
	}
}

// issue 12: a bind that fails for another reason than "in use" (here an
// address on no interface of this machine; under Wine every UDP socket) is
// its own state with the OS's words, never "used by another program", and
// /healthz answers 503 meanwhile.
func TestBindErrorOtherThanInUseIsNotAConflict(t *testing.T) {
	// 192.0.2.1 is TEST-NET-1: binding it fails here without sending anything.
	e, err := New(Config{EventsAddr: "192.0.2.1:9002", WSAddr: "127.0.0.1:0", CommandAddr: fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t, "tcp")),
		LiveLogPath: filepath.Join(t.TempDir(), "Log.txt")})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background())
	defer e.Stop()
	testkit.WaitFor(t, "port-error", 5*time.Second, func() bool { return e.Status().State == StatePortError })
	s := e.Status()
	if strings.Contains(s.Summary+s.Fix, "another program") || strings.Contains(s.Fix, "Quit") {
		t.Errorf("not a conflict, yet: %q / %q", s.Summary, s.Fix)
	}
	if !strings.Contains(s.Summary, "192.0.2.1:9002") || !strings.Contains(s.Summary, "cannot receive Live's events") || !strings.Contains(s.Summary, "bind:") {
		t.Errorf("want the address, the OS error and what VimAbl cannot do: %q", s.Summary)
	}
	testkit.WaitFor(t, "the WebSocket port", 5*time.Second, func() bool { return e.WSAddr() != "" })
	resp, err := http.Get("http://" + e.WSAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/healthz %d while the events port cannot be bound, want 503", resp.StatusCode)
	}
	var st map[string]any
	if err := json.Unmarshal(e.StatusJSON(), &st); err != nil || st["state"] != "port-error" {
		t.Errorf("/status state %v (%v)", st["state"], err)
	}
}

func TestMalformedDatagramsAreCountedAndHarmless(t *testing.T) {
	e, _ := startConfirmed(t, Config{}, "malformedtest")
	c, _ := net.Dial("udp", e.EventsAddr())
	defer c.Close()
	for _, junk := range [][]byte{[]byte("hello"), {0xff, 0, 0, 0}, []byte("/live/seq\x00\x00\x00,iii\x00\x00\x00\x00")} {
		c.Write(junk)
	}
	sendEvents(t, e, "malformedtest", 1, 10, 100)
	testkit.WaitFor(t, "the events after the junk to apply", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 110 })
	if m := e.Metrics(); m.Malformed != 3 || m.Decoded != 11 {
		t.Fatalf("malformed %d, decoded %d; want 3 and 11 (a hello, ten events)", m.Malformed, m.Decoded)
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

// Issue 10 follow-up (item 3): only a regular file is Live's log "found". A
// folder named Log.txt is not, whether it is there when the bridge starts
// or replaces the log being followed (the tailer's note about it reaches
// the ring, and Status says not found).
func TestLiveLogFoundOnlyForARegularFile(t *testing.T) {
	problem := func(e *Engine) bool {
		return len(e.Logs().Query(livelog.Filter{Component: livelog.ComponentVimAbl, Text: "not a regular file"}, 10)) > 0
	}
	folder := filepath.Join(t.TempDir(), "Log.txt")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, Config{LiveLogPath: folder})
	testkit.WaitFor(t, "the tailer's note about the folder", 5*time.Second, func() bool { return problem(e) })
	if e.Status().LiveLogFound {
		t.Fatal("a folder named Log.txt is shown as Live's log found")
	}

	path := filepath.Join(t.TempDir(), "Log.txt")
	if err := os.WriteFile(path, []byte("2026-11-24T10:00:00.000001: info: RemoteScriptMessage: (LiveState) INFO [Server] up\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e = startEngine(t, Config{LiveLogPath: path})
	testkit.WaitFor(t, "the log's line", 5*time.Second, func() bool { return e.Status().LiveLogFound })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the tailer's note about the folder", 5*time.Second, func() bool { return problem(e) })
	if e.Status().LiveLogFound {
		t.Fatal("Live's log replaced by a folder is still shown as found")
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

// standIn is a real TCP command port standing in for the Remote Script's: it
// answers PING and SNAPSHOT for whatever session it is told to be, and
// records every SNAPSHOT request (each one would run on Live's main thread).
type standIn struct {
	addr string

	mu        sync.Mutex
	session   string
	seq       int64  // SNAPSHOT's seq
	state     []byte // SNAPSHOT's state
	snapshots []time.Time
	pings     int
	noPingID  bool // answer PING as scripts did before it carried the session id
}

func startStandIn(t *testing.T, session string) *standIn {
	t.Helper()
	return startStandInAt(t, "127.0.0.1:0", session)
}

func startStandInAt(t *testing.T, addr, session string) *standIn {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &standIn{addr: ln.Addr().String(), session: session, state: mirror.New().JSON()}
	go testkit.ServeLines(ln, func(line string, c net.Conn) {
		s.mu.Lock()
		var reply any
		switch line {
		case "PING":
			s.pings++
			reply = map[string]any{"success": true, "pong": true, "version": "test", "session_id": s.session}
			if s.noPingID {
				delete(reply.(map[string]any), "session_id")
			}
		case "SNAPSHOT":
			s.snapshots = append(s.snapshots, time.Now())
			reply = map[string]any{"success": true, "session_id": s.session, "seq": s.seq, "state": json.RawMessage(s.state)}
		default:
			reply = map[string]any{"success": false, "error": "not served by the stand-in"}
		}
		s.mu.Unlock()
		b, _ := json.Marshal(reply)
		c.Write(append(b, '\n'))
	})
	return s
}

// become makes the stand-in answer as another session, whose SNAPSHOT has
// seq and a Set at tempo (a script that restarted).
func (s *standIn) become(t *testing.T, session string, seq int64, tempo float64) {
	t.Helper()
	m := mirror.New()
	if _, err := m.Apply("/live/transport/tempo", []any{tempo}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.session, s.seq, s.state = session, seq, m.JSON()
	s.mu.Unlock()
}

func (s *standIn) counts() (snapshots, pings int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.snapshots), s.pings
}

// startConfirmed starts an engine whose command port is a stand-in answering
// as session, and waits until the engine has that session's snapshot.
func startConfirmed(t *testing.T, cfg Config, session string) (*Engine, *standIn) {
	t.Helper()
	st := startStandIn(t, session)
	cfg.CommandAddr = st.addr
	e := startEngine(t, cfg)
	testkit.WaitFor(t, "the command port's session in the mirror", 5*time.Second, func() bool { return e.mirror.SessionID() == session })
	return e, st
}

// oscOut sends wrapped events to the engine from one UDP socket (one
// sender, as one script instance is).
type oscOut struct{ c net.Conn }

func newOSCOut(t *testing.T, e *Engine) *oscOut {
	t.Helper()
	c, err := net.Dial("udp", e.EventsAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &oscOut{c: c}
}

func (o *oscOut) send(t *testing.T, seq int, path string, args ...any) {
	t.Helper()
	m := osc.NewMessage("/live/seq", int32(seq), float64(time.Now().UnixMicro())/1e6, path)
	m.Append(args...)
	data, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.c.Write(data); err != nil {
		t.Fatal(err)
	}
}

// rawWS records every frame a WebSocket client receives, as text.
type rawWS struct {
	mu     sync.Mutex
	frames []string
}

func recordWS(t *testing.T, e *Engine) *rawWS {
	t.Helper()
	conn, _, err := dialWS(t, e, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := &rawWS{}
	go func() {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.frames = append(r.frames, string(data))
			r.mu.Unlock()
		}
	}()
	return r
}

// has reports whether some frame contains every one of parts.
func (r *rawWS) has(parts ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.frames {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(f, p)
		}
		if all {
			return true
		}
	}
	return false
}

func getStatus(t *testing.T, e *Engine) StatusReport {
	t.Helper()
	resp, err := http.Get("http://" + e.WSAddr() + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r StatusReport
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

// Issue 10 item 2: one spoofed /live/hello must not take the session over.
// Before the fix, /status showed the spoofer's session for good, every real
// event failed the session check and the bridge asked for SNAPSHOT about
// once a second.
func TestSpoofedHelloDoesNotTakeOverTheSession(t *testing.T) {
	e, cmd := startConfirmed(t, Config{}, "realsession")
	ws := recordWS(t, e)
	testkit.WaitFor(t, "the client's first snapshot", 5*time.Second, func() bool { return ws.has(`"type":"snapshot"`) })
	real := newOSCOut(t, e)
	real.send(t, 1, "/live/hello", "realsession", "1.0", "12.1")
	real.send(t, 2, "/live/heartbeat", "realsession", 1.0)
	real.send(t, 3, "/live/transport/tempo", 101.0)
	testkit.WaitFor(t, "the real event", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 101 })

	spoof := newOSCOut(t, e)
	spoof.send(t, 1, "/live/hello", "EVILSESSION", "9.9", "12.0")
	// The command port is asked and names the real session: the hello is foreign.
	testkit.WaitFor(t, "the spoofed hello to be counted as foreign", 5*time.Second, func() bool { return e.Status().ForeignEvents == 1 })

	real.send(t, 4, "/live/heartbeat", "realsession", 2.0)
	real.send(t, 5, "/live/transport/tempo", 102.0)
	testkit.WaitFor(t, "real events after the spoof", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 102 })
	testkit.WaitFor(t, "the client to get them", 5*time.Second, func() bool { return ws.has(`"path":"/live/transport/tempo"`, `102`) })

	r := getStatus(t, e)
	if r.SessionID != "realsession" || r.State != "streaming" {
		t.Fatalf("status after the spoof: session %q, state %q (%s)", r.SessionID, r.State, r.Summary)
	}
	if r.Metrics == nil || r.Metrics.ForeignEvents != 1 {
		t.Fatalf("/status metrics must count the foreign hello: %+v", r.Metrics)
	}
	if m := e.Metrics(); m.Gaps != 0 || m.LostEvents != 0 || m.Duplicates != 0 {
		t.Fatalf("the spoof disturbed the real session's sequence tracking: gaps %d lost %d duplicates %d", m.Gaps, m.LostEvents, m.Duplicates)
	}
	if snaps, _ := cmd.counts(); snaps != 1 {
		t.Fatalf("%d SNAPSHOT requests, want only the first one", snaps)
	}
	if ws.has("EVILSESSION") {
		t.Fatal("the spoofed hello reached a WebSocket client")
	}
}

// Issue 10 item 2: no UDP input makes the bridge send more than one SNAPSHOT
// per snapshotEvery. A second of spoofed hellos, heartbeats of unknown
// sessions, gaps, /live/resync and events the mirror rejects — each of
// which used to ask for a SNAPSHOT at once — brings at most one.
func TestUDPFloodAsksForAtMostOneSnapshot(t *testing.T) {
	e, cmd := startConfirmed(t, Config{}, "realsession")
	snaps0, pings0 := cmd.counts()
	out := newOSCOut(t, e)
	// The flood comes from the session's own socket: the worst case, as
	// events from any other socket never reach the tracker or the mirror.
	read0 := e.Metrics().EventsReceived
	out.send(t, 1, "/live/hello", "realsession", "1.0", "12.1")
	start := time.Now()
	sent, seq := 1, 1
	for i := 0; time.Since(start) < time.Second; i++ {
		switch i % 5 {
		case 0:
			out.send(t, 1, "/live/hello", fmt.Sprintf("spoof%d", i), "9.9", "12.0")
		case 1:
			out.send(t, seq, "/live/heartbeat", fmt.Sprintf("ghost%d", i), 1.0)
		case 2:
			seq += 10 // a gap of nine events
			out.send(t, seq, "/live/transport/tempo", 120.0)
		case 3:
			seq++
			out.send(t, seq, "/live/resync", "spoofed")
		case 4:
			seq++
			out.send(t, seq, "/live/track/renamed", int32(99), "no such track")
		}
		sent++
		if sent%50 == 0 {
			// A few thousand a second: enough, and the kernel keeps them all.
			testkit.WaitFor(t, "the engine to read the flood so far", 10*time.Second, func() bool { return e.Metrics().EventsReceived-read0 >= uint64(sent) })
		}
	}
	testkit.WaitFor(t, "the engine to read the flood", 10*time.Second, func() bool { return e.Metrics().Decoded >= uint64(sent) })
	if time.Since(start) >= snapshotEvery-500*time.Millisecond {
		t.Skip("the machine was too slow to fit the flood inside one gate period")
	}
	snaps, pings := cmd.counts()
	if n := snaps - snaps0; n > 1 {
		t.Fatalf("%d SNAPSHOT requests during a %d-datagram flood of %v, want at most 1", n, sent, time.Since(start).Round(time.Millisecond))
	}
	// Hints ask for at most one PING per hintPingEvery, besides the periodic ones.
	if n := pings - pings0; n > 4 {
		t.Fatalf("%d PINGs during the flood, want at most 4", n)
	}
	if m := e.Metrics(); m.Gaps == 0 {
		t.Fatal("the flood's gaps were not even seen; the test proves nothing")
	}
	if s := e.Status().SessionID; s != "realsession" {
		t.Fatalf("following %q after the flood", s)
	}
}

// Issue 10 item 2: one datagram numbered far ahead of the real session must
// not make the sequence tracker drop the real session's events from then on.
// From another socket (a spoofer's, a second script's) it never reaches the
// tracker (issue 10 follow-up); from the session's own socket its next
// heartbeat, which names the session, puts the tracker back on the
// session's numbering.
func TestForeignNumberingCannotStallTheSession(t *testing.T) {
	e, _ := startConfirmed(t, Config{}, "realsession")
	real, spoof := newOSCOut(t, e), newOSCOut(t, e)
	real.send(t, 1, "/live/hello", "realsession", "1.0", "12.1")
	for i := 2; i <= 20; i++ {
		real.send(t, i, "/live/transport/tempo", float64(100+i))
	}
	testkit.WaitFor(t, "the real events", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 120 })
	spoof.send(t, 9000, "/live/transport/tempo", 66.0)
	testkit.WaitFor(t, "the spoofed event", 5*time.Second, func() bool { return e.Metrics().ForeignEvents == 1 })
	if m := e.Metrics(); m.Gaps != 0 {
		t.Fatalf("another socket's datagram reached the tracker: %d gaps", m.Gaps)
	}
	real.send(t, 9000, "/live/transport/tempo", 66.0)
	testkit.WaitFor(t, "the far-ahead datagram from the session's socket", 5*time.Second, func() bool { return e.Metrics().Gaps == 1 })
	real.send(t, 21, "/live/heartbeat", "realsession", 1.0)
	real.send(t, 22, "/live/transport/tempo", 122.0)
	testkit.WaitFor(t, "the real session's events after it", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 122 })
}

// Issue 10 item 2: a second script streaming beside the confirmed one (VimAbl
// in two Control Surface slots) is a status of its own, with the fix.
func TestSecondStreamingScriptIsTwoScripts(t *testing.T) {
	e, _ := startConfirmed(t, Config{}, "first")
	one, two := newOSCOut(t, e), newOSCOut(t, e)
	two.send(t, 1, "/live/hello", "second", "1.0", "12.1")
	seq1, seq2 := 1, 2
	ws := recordWS(t, e)
	testkit.WaitFor(t, "the two-scripts state", 10*time.Second, func() bool {
		// Both send their heartbeat, as two instances do once a second.
		one.send(t, seq1, "/live/heartbeat", "first", 1.0)
		two.send(t, seq2, "/live/heartbeat", "second", 1.0)
		seq1, seq2 = seq1+1, seq2+1
		return e.Status().State == StateTwoScripts
	})
	s := e.Status()
	if s.Fix != "Two VimAbl scripts are sending — is VimAbl selected in two Control Surface slots?" {
		t.Fatalf("fix %q", s.Fix)
	}
	if s.SessionID != "first" || s.ForeignEvents == 0 {
		t.Fatalf("session %q, foreign %d: want first, >0", s.SessionID, s.ForeignEvents)
	}
	if r := getStatus(t, e); r.State != "two-scripts" {
		t.Fatalf("/status state %q", r.State)
	}
	if ws.has(`"second"`) {
		t.Fatal("the second script's events reached a WebSocket client")
	}
}

// Issue 10 item 2: a genuine restart (the command port now answers with the
// new session) is still followed within a couple of seconds, through its own
// SNAPSHOT, and its events then apply.
func TestScriptRestartConfirmedByCommandPortIsFollowed(t *testing.T) {
	e, cmd := startConfirmed(t, Config{}, "s1")
	ws := recordWS(t, e)
	out := newOSCOut(t, e)
	out.send(t, 1, "/live/hello", "s1", "1.0", "12.1")
	for i := 2; i <= 50; i++ {
		out.send(t, i, "/live/transport/tempo", float64(100+i))
	}
	testkit.WaitFor(t, "the first session's events", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 150 })

	// Live reloads the script: bye, then a new instance that numbers from 1
	// and whose command port answers for the new session.
	cmd.become(t, "s2", 5, 125)
	restarted := time.Now()
	out.send(t, 51, "/live/bye", "s1")
	fresh := newOSCOut(t, e)
	fresh.send(t, 1, "/live/hello", "s2", "1.0", "12.1")
	for i := 2; i <= 5; i++ {
		fresh.send(t, i, "/live/transport/tempo", 125.0)
	}
	testkit.WaitFor(t, "the new session's snapshot", 3*time.Second, func() bool {
		return e.mirror.SessionID() == "s2" && e.Status().SessionID == "s2"
	})
	if d := time.Since(restarted); d > 2*time.Second {
		t.Fatalf("the restart was followed after %v, want within 2 s", d)
	}
	fresh.send(t, 6, "/live/heartbeat", "s2", 1.0)
	fresh.send(t, 7, "/live/transport/tempo", 126.0)
	testkit.WaitFor(t, "the new session's events", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 126 })
	testkit.WaitFor(t, "the client's snapshot of the new session", 5*time.Second, func() bool {
		return ws.has(`"type":"snapshot"`, `"session_id":"s2"`)
	})
	if m := e.Metrics(); m.Duplicates != 0 || m.Gaps != 0 {
		t.Fatalf("the restart's new numbering was taken for duplicates (%d) or gaps (%d)", m.Duplicates, m.Gaps)
	}
	if snaps, _ := cmd.counts(); snaps != 2 {
		t.Fatalf("%d SNAPSHOT requests, want 2 (one per session)", snaps)
	}
}

// Issue 10 follow-up (tie a session to its sender's address): a second
// sender that numbers its events as the confirmed session does, names the
// session in a heartbeat and says bye for it (a second script, or a local
// program that read the session id from /status) reaches neither the mirror
// nor a WebSocket client, nor the sequence tracker. A restart, from a new
// socket and confirmed by the command port, is still followed, and then the
// old socket is a stranger too.
func TestEventsFromAnotherSocketNeverReachTheSession(t *testing.T) {
	e, cmd := startConfirmed(t, Config{}, "s1")
	ws := recordWS(t, e)
	testkit.WaitFor(t, "the client's first snapshot", 5*time.Second, func() bool { return ws.has(`"type":"snapshot"`) })
	real, other := newOSCOut(t, e), newOSCOut(t, e)
	real.send(t, 1, "/live/hello", "s1", "1.0", "12.1")
	real.send(t, 2, "/live/transport/tempo", 101.0)
	testkit.WaitFor(t, "the session's first event", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 101 })

	other.send(t, 3, "/live/transport/tempo", 66.0)
	other.send(t, 4, "/live/heartbeat", "s1", 1.0)
	other.send(t, 5, "/live/track/added", int32(0), "Injected", "audio")
	other.send(t, 6, "/live/bye", "s1")
	// Loopback delivers in the order sent, and the engine handles datagrams
	// in order: once this one is at the client, the other's were handled.
	real.send(t, 3, "/live/transport/tempo", 103.0)
	testkit.WaitFor(t, "the session's next event at the client", 5*time.Second, func() bool {
		return ws.has(`"path":"/live/transport/tempo"`, `[103]`)
	})
	if ws.has("[66]") || ws.has("Injected") || len(e.mirror.State().Tracks) != 0 {
		t.Fatal("another socket's events reached a WebSocket client or the mirror")
	}
	m := e.Metrics()
	if m.ForeignEvents != 4 || m.Gaps != 0 || m.Duplicates != 0 {
		t.Fatalf("foreign %d, gaps %d, duplicates %d: want the other socket's 4 foreign and the tracker untouched", m.ForeignEvents, m.Gaps, m.Duplicates)
	}
	if s := e.Status(); s.State != StateStreaming || s.SessionID != "s1" {
		t.Fatalf("state %v, session %q after another socket's bye: want streaming s1", s.State, s.SessionID)
	}

	// Live reloads the script: a new session from a new socket.
	cmd.become(t, "s2", 1, 125)
	real.send(t, 4, "/live/bye", "s1")
	fresh := newOSCOut(t, e)
	fresh.send(t, 1, "/live/hello", "s2", "1.0", "12.1")
	testkit.WaitFor(t, "the new session's snapshot", 5*time.Second, func() bool { return e.mirror.SessionID() == "s2" })
	fresh.send(t, 2, "/live/heartbeat", "s2", 1.0)
	fresh.send(t, 3, "/live/transport/tempo", 126.0)
	other.send(t, 7, "/live/transport/tempo", 67.0)
	real.send(t, 5, "/live/transport/tempo", 77.0) // the old instance's socket
	fresh.send(t, 4, "/live/transport/tempo", 127.0)
	testkit.WaitFor(t, "the new session's events at the client", 5*time.Second, func() bool {
		return ws.has(`"path":"/live/transport/tempo"`, `[127]`) && e.mirror.State().Transport.Tempo == 127
	})
	if ws.has("[67]") || ws.has("[77]") {
		t.Fatal("the old socket's or the other's events reached a WebSocket client after the restart")
	}
	if m := e.Metrics(); m.Gaps != 0 || m.Duplicates != 0 {
		t.Fatalf("gaps %d, duplicates %d after the restart", m.Gaps, m.Duplicates)
	}
}

// Issue 10 follow-up: the command port may confirm a restarted script before
// any datagram of its new socket is read (its hello waits in the queue, or
// was lost). Until one of its markers names the socket, events are held —
// the old instance's last ones too — and the events held from that socket
// are restored by a SNAPSHOT once it is known.
func TestRestartConfirmedBeforeItsSocketIsKnownIsFollowed(t *testing.T) {
	cmd := startStandIn(t, "s1")
	e := startEngine(t, Config{CommandAddr: cmd.addr}, func(e *Engine) { e.st.gate.every = 300 * time.Millisecond })
	testkit.WaitFor(t, "the first session's snapshot", 5*time.Second, func() bool { return e.mirror.SessionID() == "s1" })
	ws := recordWS(t, e)
	old := newOSCOut(t, e)
	old.send(t, 1, "/live/hello", "s1", "1.0", "12.1")
	old.send(t, 2, "/live/transport/tempo", 101.0)
	testkit.WaitFor(t, "the first session's event", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 101 })

	// The new instance answers on the command port; a hello of an unknown
	// session makes the bridge ask at once.
	cmd.become(t, "s2", 1, 125)
	newOSCOut(t, e).send(t, 1, "/live/hello", "ghost", "1.0", "12.1")
	testkit.WaitFor(t, "the new session's snapshot", 5*time.Second, func() bool {
		return e.mirror.SessionID() == "s2" && !e.sync.Resyncing()
	})
	// The script's Set after its event 2, which the bridge will hold.
	m := mirror.New()
	for _, ev := range []struct {
		path string
		args []any
	}{{"/live/transport/tempo", []any{125.0}}, {"/live/transport/play", []any{true}}} {
		if _, err := m.Apply(ev.path, ev.args); err != nil {
			t.Fatal(err)
		}
	}
	cmd.mu.Lock()
	cmd.seq, cmd.state = 2, m.JSON()
	cmd.mu.Unlock()

	old.send(t, 3, "/live/transport/tempo", 77.0) // the old instance's last event
	fresh := newOSCOut(t, e)
	fresh.send(t, 2, "/live/transport/play", true)
	fresh.send(t, 3, "/live/heartbeat", "s2", 1.0)
	testkit.WaitFor(t, "the held event restored by a SNAPSHOT", 5*time.Second, func() bool {
		return e.mirror.State().Transport.Playing && !e.sync.Resyncing()
	})
	if snaps, _ := cmd.counts(); snaps != 3 {
		t.Fatalf("%d SNAPSHOT requests, want 3 (s1, s2, and one for the held event)", snaps)
	}
	if tempo := e.mirror.State().Transport.Tempo; tempo != 125 || ws.has("[77]") {
		t.Fatalf("the old instance's event after the restart reached the mirror (tempo %v) or a client", tempo)
	}
	fresh.send(t, 4, "/live/transport/tempo", 128.0)
	testkit.WaitFor(t, "the new session's next event", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 128 })
	if m := e.Metrics(); m.Gaps != 0 || m.ForeignEvents != 2 {
		t.Fatalf("gaps %d, foreign %d: want no gap, and the ghost's hello and the old socket's event foreign", m.Gaps, m.ForeignEvents)
	}
}

// Issue 10 item 2: a command port whose PING names no session (a script
// from before PING carried it, or bridgebench's stand-in) is asked once for
// SNAPSHOT instead, whose session id then confirms the session.
func TestPingWithoutSessionIDIsConfirmedBySnapshot(t *testing.T) {
	cmd := startStandIn(t, "oldscript")
	cmd.mu.Lock()
	cmd.noPingID = true
	cmd.mu.Unlock()
	e := startEngine(t, Config{CommandAddr: cmd.addr})
	out := newOSCOut(t, e)
	out.send(t, 1, "/live/hello", "oldscript", "0.9", "11.3")
	testkit.WaitFor(t, "the session confirmed by SNAPSHOT", 5*time.Second, func() bool {
		return e.Status().SessionID == "oldscript" && e.mirror.SessionID() == "oldscript"
	})
	out.send(t, 2, "/live/transport/tempo", 97.0)
	testkit.WaitFor(t, "its events", 5*time.Second, func() bool { return e.mirror.State().Transport.Tempo == 97 })
	if snaps, _ := cmd.counts(); snaps != 1 {
		t.Fatalf("%d SNAPSHOT requests, want 1", snaps)
	}
}

// Issue 10 item 2: while no command port confirms a session (the script is
// not loaded, someone else sends UDP, or the bridge has not asked yet),
// nothing reaches the mirror or the clients and the status says waiting.
// When the command port comes up, the session's snapshot does — not the
// events that came before it.
func TestEventsBeforeTheCommandPortAnswersReachNobody(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t, "tcp"))
	e := startEngine(t, Config{CommandAddr: addr}) // nothing listens there yet
	ws := recordWS(t, e)
	testkit.WaitFor(t, "the client's first snapshot", 5*time.Second, func() bool { return ws.has(`"type":"snapshot"`) })
	out := newOSCOut(t, e)
	out.send(t, 1, "/live/hello", "later", "1.0", "12.1")
	out.send(t, 2, "/live/heartbeat", "later", 1.0)
	out.send(t, 3, "/live/transport/tempo", 133.0)
	out.send(t, 4, "/live/heartbeat", "later", 2.0)
	// Events are handled one after another: once the 4th is being
	// handled, the tempo change has been.
	testkit.WaitFor(t, "the engine to read them", 5*time.Second, func() bool { return e.Metrics().Decoded >= 4 })
	if tempo := e.mirror.State().Transport.Tempo; tempo == 133 {
		t.Fatal("an unconfirmed event reached the mirror")
	}
	if s := e.Status(); s.State != StateWaiting || s.SessionID != "" || !strings.Contains(s.Summary, "Events arrive") {
		t.Fatalf("state %v, session %q, summary %q; want waiting, none, and that events arrive", s.State, s.SessionID, s.Summary)
	}

	// The script's command port comes up. Its snapshot frame is sent by the
	// event loop after everything it handled before, so once the client has
	// it, any frame the early events caused would be there too.
	startStandInAt(t, addr, "later")
	seq := 5
	testkit.WaitFor(t, "the confirmed session's snapshot at the client", 10*time.Second, func() bool {
		out.send(t, seq, "/live/heartbeat", "later", 3.0) // each one a hint to ask the command port
		seq++
		return ws.has(`"type":"snapshot"`, `"session_id":"later"`)
	})
	if ws.has("/live/transport/tempo") {
		t.Fatal("an event that arrived before the command port answered reached a WebSocket client")
	}
	if e.Status().SessionID != "later" {
		t.Fatalf("session %q once the command port answers", e.Status().SessionID)
	}
}

// issue 15: the bridge serves the Set Viewer at / on its HTTP port, with its
// Content-Security-Policy, behind the same Host rule as /ws; the JSON routes
// keep their answers.
func TestBridgeServesTheSetViewer(t *testing.T) {
	e := startEngine(t, Config{})
	get := func(path, host string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", "http://"+e.WSAddr()+path, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, body := get("/", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<html") || resp.Header.Get("Content-Security-Policy") != viewer.ContentSecurityPolicy {
		t.Fatalf("GET /: %d, CSP %q, body %.80q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), body)
	}
	if resp, _ := get("/app.js", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /app.js: %d", resp.StatusCode)
	}
	if resp, _ := get("/no-such-file", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /no-such-file: %d, want 404", resp.StatusCode)
	}
	if resp, _ := get("/", "evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET / for Host evil.example: %d, want 403 (DNS rebinding)", resp.StatusCode)
	}
	if resp, body := get("/state", ""); resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "{") {
		t.Errorf("GET /state: %d %.40q", resp.StatusCode, body)
	}
}

// issue 12: the tray app's POST /app/show is mounted behind the Host guard
// when the app gives one, and absent in `vimabl bridge`; /status names the
// process, which a second VimAbl reports.
func TestAppShowIsMountedBehindTheHostGuard(t *testing.T) {
	shown := make(chan struct{}, 4)
	e := startEngine(t, Config{AppShow: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shown <- struct{}{}
		w.WriteHeader(http.StatusNoContent)
	})})
	post := func(e *Engine, host string) int {
		req, _ := http.NewRequest("POST", "http://"+e.WSAddr()+"/app/show", nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(e, ""); code != http.StatusNoContent || len(shown) != 1 {
		t.Errorf("POST /app/show: %d, handler called %d times", code, len(shown))
	}
	if code := post(e, "evil.example"); code != http.StatusForbidden || len(shown) != 1 {
		t.Errorf("POST /app/show for Host evil.example: %d (want 403), handler called %d times", code, len(shown))
	}
	if code := post(startEngine(t, Config{}), ""); code == http.StatusNoContent {
		t.Error("an engine without AppShow (vimabl bridge) answered /app/show")
	}
	var st struct{ PID int }
	if err := json.Unmarshal(e.StatusJSON(), &st); err != nil || st.PID != os.Getpid() {
		t.Errorf("/status pid %d (%v), want %d", st.PID, err, os.Getpid())
	}
}
