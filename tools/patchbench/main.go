// Command patchbench measures what the WebSocket's patch mode (/ws?patch=1,
// docs/protocol.md) costs next to the plain event stream: the size of event
// frames and the bridge's CPU and delivery latency with 50 clients, against
// a real `vimabl bridge` process fed with events over UDP.
//
//	go build -o bin/vimabl . && go run ./tools/patchbench -bin bin/vimabl
//
// A stand-in command port answers PING and SNAPSHOT for one session with a
// Set the size of the demo's (8 tracks × 8 scenes, 2 devices of 8
// parameters each, 2 returns and the master), so the bridge follows it.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hypebeast/go-osc/osc"
	"github.com/vimabl/vimabl/bridge/mirror"
)

func main() {
	bin := flag.String("bin", "bin/vimabl", "the vimabl binary to measure")
	clients := flag.Int("clients", 50, "WebSocket clients")
	events := flag.Int("events", 20000, "events per run")
	rate := flag.Int("rate", 5000, "events per second")
	flag.Parse()

	state := demoState()
	cmdLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("%v", err)
	}
	go standIn(cmdLn, state)
	ports := [2]int{freePort("udp"), freePort("tcp")}
	dir, _ := os.MkdirTemp("", "patchbench-")
	defer os.RemoveAll(dir)
	p := exec.Command(*bin, "bridge", "--events-port", strconv.Itoa(ports[0]), "--ws-port", strconv.Itoa(ports[1]),
		"--command-port", strconv.Itoa(cmdLn.Addr().(*net.TCPAddr).Port), "--live-log", filepath.Join(dir, "Log.txt"))
	if err := p.Start(); err != nil {
		fail("starting %s: %v", *bin, err)
	}
	defer p.Process.Kill()
	base := fmt.Sprintf("127.0.0.1:%d", ports[1])
	events0 := fmt.Sprintf("127.0.0.1:%d", ports[0])
	waitFor("the bridge to follow the stand-in's session", func() bool {
		var s struct {
			SessionID string `json:"session_id"`
			Tracks    int    `json:"tracks"`
		}
		return getJSON("http://"+base+"/status", &s) == nil && s.SessionID == "bench" && s.Tracks == 8
	})

	// One sender socket, as one script instance: the bridge follows events
	// only from the socket the session's hello came from.
	udp, err := net.Dial("udp", events0)
	if err != nil {
		fail("%v", err)
	}
	defer udp.Close()
	seq := 1
	hello, _ := osc.NewMessage("/live/seq", int32(seq), float64(time.Now().UnixMicro())/1e6, "/live/hello", "bench", "bench", "12.1").MarshalBinary()
	udp.Write(hello)
	seq++

	fmt.Printf("patchbench: %d clients, %d events at %d/s (70 %% device/param, 20 %% track/volume, 10 %% clip/name)\n",
		*clients, *events, *rate)
	fmt.Printf("  %-6s %12s %14s %12s %14s %12s\n", "mode", "frame bytes", "bytes/s/client", "bridge CPU", "CPU µs/event", "ws_out p99")
	for _, patch := range []bool{false, true} {
		r := run(p.Process.Pid, base, udp, *clients, *events, *rate, patch, &seq)
		mode := "plain"
		if patch {
			mode = "patch"
		}
		fmt.Printf("  %-6s %12.1f %14.0f %11.2fs %14.1f %12v\n", mode, r.frameBytes, r.bytesPerSec, r.cpu,
			r.cpu/float64(*events)*1e6, r.p99)
	}
}

type result struct {
	frameBytes, bytesPerSec, cpu float64
	p99                          time.Duration
}

// run connects the clients, sends the events at rate and waits until every
// client has every one of them.
func run(pid int, base string, udp net.Conn, n, count, rate int, patch bool, seq *int) result {
	url := "ws://" + base + "/ws"
	if patch {
		url += "?patch=1"
	}
	var got, bytes, ready atomic.Int64
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, n)
	first := int64(*seq)
	for i := range conns {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			fail("dial: %v", err)
		}
		c.SetReadLimit(-1)
		conns[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				if strings.HasPrefix(string(data), `{"type":"snapshot"`) {
					ready.Add(1) // events sent from now on are not in its snapshot
				}
				if s, ok := eventSeq(data); ok && s >= first {
					bytes.Add(int64(len(data)))
					if got.Add(1) == int64(n*count) {
						return
					}
				}
			}
		}()
	}
	waitFor("every client's snapshot", func() bool { return ready.Load() == int64(n) })
	cpu0 := cpuSeconds(pid)
	start := time.Now()
	for i := 0; i < count; i++ {
		if due := start.Add(time.Duration(i) * time.Second / time.Duration(rate)); time.Until(due) > 0 {
			time.Sleep(time.Until(due)) // pacing the sender, not waiting for the bridge
		}
		msg := osc.NewMessage("/live/seq", int32(*seq), float64(time.Now().UnixMicro())/1e6)
		switch i % 10 {
		case 0:
			msg.Append("/live/clip/name", int32(i%8), int32(0), fmt.Sprintf("Clip %d", i))
		case 1, 2:
			msg.Append("/live/track/volume", int32(i%8), float64(i%1000)/1000)
		default:
			msg.Append("/live/device/param", int32(i%8), int32(i%2), int32(i%8), float64(i%997)/997)
		}
		*seq++
		data, _ := msg.MarshalBinary()
		udp.Write(data)
	}
	deadline := time.Now().Add(60 * time.Second)
	for got.Load() < int64(n*count) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling a counter, with a deadline
	}
	elapsed := time.Since(start).Seconds()
	cpu := cpuSeconds(pid) - cpu0
	var m struct {
		Metrics struct {
			WSOutP99 int64 `json:"ws_out_p99_ns"`
		} `json:"metrics"`
	}
	getJSON("http://"+base+"/status", &m)
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	if got.Load() < int64(n*count) {
		fail("only %d of %d deliveries within 60 s", got.Load(), n*count)
	}
	return result{
		frameBytes:  float64(bytes.Load()) / float64(got.Load()),
		bytesPerSec: float64(bytes.Load()) / float64(n) / elapsed,
		cpu:         cpu,
		p99:         time.Duration(m.Metrics.WSOutP99).Round(10 * time.Microsecond),
	}
}

// demoState builds the stand-in's Set through the mirror's own events.
func demoState() []byte {
	m := mirror.New()
	must := func(path string, args ...any) {
		if _, err := m.Apply(path, args); err != nil {
			fail("%s: %v", path, err)
		}
	}
	must("/live/transport/tempo", 124.0)
	for s := 0; s < 8; s++ {
		must("/live/scene/added", int32(s), fmt.Sprint("Scene ", s+1))
	}
	for t := 0; t < 8; t++ {
		must("/live/track/added", int32(t), fmt.Sprintf("%d-Track", t+1), "audio", false, false, false, 0.85, int32(t))
		for d := 0; d < 2; d++ {
			must("/live/device/added", int32(t), int32(d), "EQ Eight", "Eq8")
			for p := 0; p < 8; p++ {
				must("/live/device/param_info", int32(t), int32(d), int32(p), fmt.Sprint("Param ", p), 0.5, 0.0, 1.0)
			}
		}
		must("/live/clip/added", int32(t), int32(0), "Clip", int32(t), false, true)
	}
	must("/live/track/added", int32(8), "A-Return", "return")
	must("/live/track/added", int32(9), "B-Return", "return")
	must("/live/track/added", int32(10), "Master", "master")
	return m.JSON()
}

// standIn answers the command port: PING and SNAPSHOT for session "bench".
func standIn(ln net.Listener, state []byte) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			var reply any
			switch strings.TrimSpace(line) {
			case "PING":
				reply = map[string]any{"success": true, "pong": true, "version": "bench", "session_id": "bench"}
			case "SNAPSHOT":
				reply = map[string]any{"success": true, "session_id": "bench", "seq": 0, "state": json.RawMessage(state)}
			default:
				reply = map[string]any{"success": false, "error": "not served by patchbench"}
			}
			b, _ := json.Marshal(reply)
			c.Write(append(b, '\n'))
		}()
	}
}

// eventSeq reads "seq" of an event frame without decoding it all.
func eventSeq(data []byte) (int64, bool) {
	const prefix = `{"type":"event","seq":`
	s := string(data)
	if !strings.HasPrefix(s, prefix) {
		return 0, false
	}
	s = s[len(prefix):]
	end := strings.IndexByte(s, ',')
	if end < 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(s[:end], 10, 64)
	return v, err == nil
}

func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}

func getJSON(url string, v any) error {
	r, err := http.Get(url)
	if err != nil {
		return err
	}
	defer r.Body.Close()
	return json.NewDecoder(r.Body).Decode(v)
}

func freePort(network string) int {
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			fail("%v", err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("%v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitFor(what string, cond func() bool) {
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			fail("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "patchbench: "+format+"\n", a...)
	os.Exit(1)
}
