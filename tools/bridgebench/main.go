// Command bridgebench measures a running `vimabl bridge` process from the
// outside, with real sockets: a 100 000-event burst at full loopback speed
// with one WebSocket client attached, a sustained 10 000 events/s stream to
// 50 WebSocket clients (UDP-in to WebSocket-out latency), and the bridge's
// resident memory idle and under load. It prints figures; it asserts nothing.
//
//	go run ./tools/bridgebench -bin bin/vimabl
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hypebeast/go-osc/osc"
	"github.com/vimabl/vimabl/bridge/metrics"
	"github.com/vimabl/vimabl/bridge/mirror"
	"github.com/vimabl/vimabl/internal/testkit"
	remotescript "github.com/vimabl/vimabl/remote_script"
	"github.com/vimabl/vimabl/tools/internal/procstat"
)

func main() {
	bin := flag.String("bin", "bin/vimabl", "the vimabl binary to measure")
	burst := flag.Int("burst", 100000, "events in the burst")
	rate := flag.Int("rate", 10000, "events per second in the sustained test")
	clients := flag.Int("clients", 50, "WebSocket clients in the sustained test")
	seconds := flag.Int("seconds", 5, "length of the sustained test")
	pyRuns := flag.Int("python-runs", 1, "how many times the burst is sent to a Python WebSocket client")
	only := flag.String("only", "", `"burst": only the bursts (to one Go client, the peers, and to a Python client -python-runs times)`)
	flag.Parse()

	events, ws, cmd := freePort("udp"), freePort("tcp"), freePort("tcp")
	stopScript := answerCommands(cmd)
	p := exec.Command(*bin, "bridge", "--events-port", strconv.Itoa(events), "--ws-port", strconv.Itoa(ws),
		"--command-port", strconv.Itoa(cmd), "--live-log", os.DevNull)
	if err := p.Start(); err != nil {
		fail("starting %s: %v", *bin, err)
	}
	defer p.Process.Kill()
	wsURL := fmt.Sprintf("ws://127.0.0.1:%d/ws", ws)
	waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/healthz", ws))
	fmt.Printf("vimabl bridge benchmark (pid %d, events udp/%d, websocket tcp/%d)\n", p.Process.Pid, events, ws)
	time.Sleep(2 * time.Second)
	rss, hwm := procstat.Memory(p.Process.Pid)
	fmt.Printf("  %-55s %8.1f MB   goal <= 50 MB\n", "resident memory, idle (VmRSS)", rss)

	udp, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", events))
	if err != nil {
		fail("%v", err)
	}
	defer udp.Close()
	send := func(seq int, path string, args ...any) {
		m := osc.NewMessage("/live/seq", int32(seq), float64(time.Now().UnixMicro())/1e6, path)
		m.Append(args...)
		data, _ := m.MarshalBinary()
		udp.Write(data)
	}
	send(1, "/live/hello", "benchsession", "bench", "12.1.5")

	// 1. Burst with one client.
	c := dial(wsURL)
	var got atomic.Int64
	go func() {
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			// Only the burst's own events (seq 2…burst+1): the hello may
			// reach this client too, depending on when it connected.
			if seq, ok := eventSeq(data); ok && seq >= 2 && seq <= int64(*burst)+1 {
				got.Add(1)
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	pre := tempoEvents(2, *burst)
	kdrop0 := kernelDrops(events)
	start := time.Now()
	for _, d := range pre {
		udp.Write(d)
	}
	sendDur := time.Since(start)
	want := int64(*burst)
	deadline := time.Now().Add(20 * time.Second)
	for got.Load() < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	all := time.Since(start)
	c.Close()
	st := status(ws)
	fmt.Printf("  %-55s %8d / %d   goal zero loss\n", fmt.Sprintf("burst: %d events sent in %v (%.0f/s), received by the client", *burst, sendDur.Round(time.Millisecond), float64(*burst)/sendDur.Seconds()), got.Load(), want)
	fmt.Printf("  %-55s %8v\n", "burst: last event reached the client after", all.Round(time.Millisecond))
	fmt.Printf("  %-55s %8s\n", "burst: bridge counters", fmt.Sprintf("received %v overflow %v gaps %v lost %v; the kernel dropped %d",
		st.Metrics.EventsReceived, st.Metrics.OverflowDrops, st.Metrics.Gaps, st.Metrics.LostEvents, kernelDrops(events)-kdrop0))
	fmt.Printf("  %-55s %8s\n", "burst: bridge state", fmt.Sprintf("%v, %v track(s) in the mirror, resyncs %v (failed %v)", st.State, st.Tracks, st.Metrics.Resyncs, st.Metrics.ResyncFailures))
	rss, hwm = procstat.Memory(p.Process.Pid)
	fmt.Printf("  %-55s %8.1f MB (peak %.1f MB)\n", "resident memory after the burst", rss, hwm)
	peers(pre)
	base := *burst + 2
	if *only == "burst" {
		for i := 0; i < *pyRuns; i++ {
			pythonBurst(p.Process.Pid, wsURL, udp, events, ws, *burst, base+i**burst)
		}
		return
	}

	// 2. Sustained rate to many clients: latency from UDP send to WebSocket receive.
	n := *rate * *seconds
	sentAt := make([]int64, n+2)
	var mu sync.Mutex
	var lats []float64
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, *clients)
	for i := range conns {
		conns[i] = dial(wsURL)
	}
	var done atomic.Int64
	for _, cc := range conns {
		wg.Add(1)
		go func(cc *websocket.Conn) {
			defer wg.Done()
			local := make([]float64, 0, n)
			seen := 0
			for seen < n {
				cc.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, data, err := cc.ReadMessage()
				if err != nil {
					break
				}
				now := time.Now().UnixNano()
				seq, ok := eventSeq(data)
				if !ok {
					continue
				}
				i := int(seq) - base
				if i < 0 || i >= n {
					continue
				}
				if t := atomic.LoadInt64(&sentAt[i]); t > 0 {
					local = append(local, float64(now-t)/1e3)
				}
				seen++
			}
			done.Add(int64(seen))
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}(cc)
	}
	time.Sleep(300 * time.Millisecond)
	cpu0, wall0 := procstat.CPUSeconds(p.Process.Pid), time.Now()
	interval := time.Second / time.Duration(*rate)
	t0 := time.Now()
	peakRSS := 0.0
	for i := 0; i < n; i++ {
		// Pace by sleeping: a busy loop would take a core from the bridge.
		if ahead := time.Duration(i)*interval - time.Since(t0); ahead > 0 {
			time.Sleep(ahead)
		}
		atomic.StoreInt64(&sentAt[i], time.Now().UnixNano())
		send(base+i, "/live/track/volume", int32(0), float64(i%100)/100)
		if i%(*rate) == 0 {
			r, _ := procstat.Memory(p.Process.Pid)
			peakRSS = max(peakRSS, r)
		}
	}
	wg.Wait()
	cpuUsed := procstat.CPUSeconds(p.Process.Pid) - cpu0
	cpu := cpuUsed / time.Since(wall0).Seconds() * 100
	sort.Float64s(lats)
	q := func(p float64) float64 {
		if len(lats) == 0 {
			return 0
		}
		return lats[min(len(lats)-1, int(p*float64(len(lats))))]
	}
	fmt.Printf("  %-55s %8d / %d\n", fmt.Sprintf("sustained: %d events/s for %d s to %d clients, frames received", *rate, *seconds, *clients), done.Load(), int64(n**clients))
	fmt.Printf("  %-55s %8.0f µs\n", "sustained: UDP send → client received, p50", q(0.50))
	fmt.Printf("  %-55s %8.0f µs\n", "sustained: UDP send → client received, p99", q(0.99))
	fmt.Printf("  %-55s %8.0f µs\n", "sustained: latency max", q(1))
	fmt.Printf("  %-55s %8.0f %%   (of one core; the machine has %d)\n", "sustained: bridge CPU", cpu, runtime.NumCPU())
	// CPU time per frame delivered compares across machines: it does not
	// depend on how many cores the clients leave the bridge.
	fmt.Printf("  %-55s %8.2f µs\n", "sustained: bridge CPU time per frame delivered", cpuUsed/float64(max(1, done.Load()))*1e6)
	st = status(ws)
	fmt.Printf("  %-55s %8v / %v   goal p99 <= 1 ms\n", "sustained: inside the bridge, UDP read → frame written p50/p99", st.Metrics.WSOutP50, st.Metrics.WSOutP99)
	rss, hwm = procstat.Memory(p.Process.Pid)
	fmt.Printf("  %-55s %8.1f MB (sampled peak %.1f, VmHWM %.1f)   goal <= 50 MB\n", "resident memory under load (50 clients)", rss, max(peakRSS, rss), hwm)
	for _, cc := range conns {
		cc.Close()
	}
	for i := 0; i < *pyRuns; i++ {
		pythonBurst(p.Process.Pid, wsURL, udp, events, ws, *burst, base+n+i**burst)
	}

	// 3. A change in (the fake) Live → a WebSocket client: the real script in
	// the fake Live playing the demo scenario, latency from the script's
	// timestamp of each change to the client reading it.
	stopScript()
	sim, err := remotescript.StartSim(context.Background(), remotescript.SimOptions{CommandPort: cmd, EventsPort: events, Scenario: "demo"})
	if err != nil {
		fmt.Printf("  live: skipped (%v)\n", err)
		return
	}
	defer sim.Stop()
	lc := dial(wsURL)
	defer lc.Close()
	var live []float64
	end := time.Now().Add(10 * time.Second)
	for time.Now().Before(end) {
		lc.SetReadDeadline(end.Add(time.Second))
		_, data, err := lc.ReadMessage()
		if err != nil {
			break
		}
		now := time.Now()
		var f struct {
			Type string  `json:"type"`
			TS   float64 `json:"ts"`
			Path string  `json:"path"`
		}
		if json.Unmarshal(data, &f) != nil || f.Type != "event" || f.TS == 0 || f.Path == "/live/heartbeat" {
			continue
		}
		live = append(live, float64(now.UnixMicro())-f.TS*1e6)
	}
	sort.Float64s(live)
	lq := func(p float64) float64 {
		if len(live) == 0 {
			return 0
		}
		return live[min(len(live)-1, int(p*float64(len(live))))]
	}
	fmt.Printf("  %-55s %8d events\n", "live: demo scenario in the fake Live for 10 s", len(live))
	fmt.Printf("  %-55s %8.0f µs\n", "live: change in Live → WebSocket client, p50", lq(0.5))
	fmt.Printf("  %-55s %8.0f µs   goal <= 5000 µs\n", "live: change in Live → WebSocket client, p99", lq(0.99))
}

// freePort is a loopback port nobody listens on now; the benchmark cannot
// run without one.
func freePort(network string) int {
	p, err := procstat.FreePort(network)
	if err != nil {
		fail("%v", err)
	}
	return p
}

func waitHTTP(url string) {
	for i := 0; i < 100; i++ {
		if r, err := http.Get(url); err == nil {
			r.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	fail("the bridge did not answer %s", url)
}

func dial(url string) *websocket.Conn {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		fail("websocket: %v", err)
	}
	return c
}

// bridgeStatus is the part of GET /status the benchmark prints.
type bridgeStatus struct {
	State   string           `json:"state"`
	Tracks  int              `json:"tracks"`
	Metrics metrics.Snapshot `json:"metrics"`
}

// status reads the bridge's state and counters from GET /status (zero if it
// does not answer).
func status(port int) bridgeStatus {
	var s bridgeStatus
	r, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/status", port))
	if err != nil {
		return s
	}
	defer r.Body.Close()
	json.NewDecoder(r.Body).Decode(&s)
	return s
}

// peers sends the same burst, datagram for datagram, to receivers other
// than the bridge: a bare Go UDP socket with the same buffer request (the
// ceiling of this machine, no decoding at all) and liblo's oscdump (an
// established OSC receiver, with its default socket buffer), when installed.
func peers(burst [][]byte) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		fail("%v", err)
	}
	conn.SetReadBuffer(8 << 20)
	var n, lastRead atomic.Int64
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := conn.ReadFromUDP(buf); err != nil {
				return
			}
			n.Add(1)
			lastRead.Store(time.Now().UnixNano())
		}
	}()
	start := time.Now()
	sent, rate := blast(conn.LocalAddr().String(), burst)
	waitQuiet(func() int64 { return n.Load() }, int64(sent))
	conn.Close()
	drain := float64(n.Load()) / time.Unix(0, lastRead.Load()).Sub(start).Seconds()
	fmt.Printf("  %-55s %8d / %d   drained at %.0f/s\n", fmt.Sprintf("peer: bare Go UDP socket, same burst (%.0f/s), received", rate), n.Load(), sent, drain)

	if _, err := exec.LookPath("oscdump"); err != nil {
		fmt.Printf("  peer: oscdump skipped (not installed: liblo-tools)\n")
		return
	}
	port := freePort("udp")
	cmd := exec.Command("oscdump", "-L", strconv.Itoa(port))
	out, err := cmd.StdoutPipe()
	if err != nil || cmd.Start() != nil {
		fmt.Printf("  peer: oscdump skipped (cannot start it)\n")
		return
	}
	defer cmd.Process.Kill()
	var lines, probes atomic.Int64
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "/live/seq") {
				lines.Add(1)
			} else {
				probes.Add(1)
			}
		}
	}()
	// oscdump prints nothing when it is ready: probe until it echoes one.
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	probe, _ := osc.NewMessage("/bench/probe").MarshalBinary()
	for deadline := time.Now().Add(5 * time.Second); probes.Load() == 0; {
		if time.Now().After(deadline) {
			fmt.Printf("  peer: oscdump skipped (it never answered a probe)\n")
			return
		}
		blast(addr, [][]byte{probe})
		time.Sleep(20 * time.Millisecond)
	}
	sent, rate = blast(addr, burst)
	waitQuiet(func() int64 { return lines.Load() }, int64(sent))
	fmt.Printf("  %-55s %8d / %d\n", fmt.Sprintf("peer: liblo oscdump, same burst (%.0f/s), printed", rate), lines.Load(), sent)
}

// pyClient is a WebSocket client in Python (Debian's python3-websockets),
// written as a user would: it prints "ready" after the snapshot, then
// counts the events numbered [first, first+n) until it has them all or
// nothing came for 10 s, and prints the count.
const pyClient = `
import asyncio, json, sys, websockets
url, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
async def main():
    async with websockets.connect(url) as ws:
        await ws.recv()
        print("ready", flush=True)
        got = 0
        while got < n:
            try:
                m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            except asyncio.TimeoutError:
                break
            if m.get("type") == "event" and first <= m.get("seq", 0) < first + n:
                got += 1
        print(got, flush=True)
asyncio.run(main())
`

// pythonBurst sends the burst at full speed to a Python WebSocket client,
// from the socket of the bench's hello: the bridge follows only the
// confirmed session's socket. It reports what the client got, what the
// bridge read and what the kernel dropped from the bridge's socket (the two
// are told apart: a drop in the kernel is the reader's fault, a missing
// frame the WebSocket side's), and how fast the bridge drained its socket.
func pythonBurst(pid int, wsURL string, udp net.Conn, eventsPort, wsPort, n, first int) {
	py := "/usr/bin/python3" // Debian's, where python3-websockets is installed
	if exec.Command(py, "-c", "import websockets").Run() != nil {
		fmt.Printf("  burst to a Python client: skipped (no python3-websockets for %s)\n", py)
		return
	}
	cmd := exec.Command(py, "-c", pyClient, wsURL, strconv.Itoa(first), strconv.Itoa(n))
	out, err := cmd.StdoutPipe()
	if err != nil || cmd.Start() != nil {
		fmt.Printf("  burst to a Python client: skipped (cannot start %s)\n", py)
		return
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		fmt.Printf("  burst to a Python client: skipped (it did not connect)\n")
		return
	}
	data := tempoEvents(first, n)
	read0, kdrop0, cpu0 := received(wsPort), kernelDrops(eventsPort), procstat.CPUSeconds(pid)
	start := time.Now()
	drained := make(chan time.Duration, 1)
	go func() {
		// When the bridge has read what was sent (or its count stops growing).
		last, since := read0, time.Now()
		for {
			r := received(wsPort)
			if r-read0 >= uint64(n) || time.Since(since) > 500*time.Millisecond {
				drained <- since.Sub(start)
				return
			}
			if r != last {
				last, since = r, time.Now()
			}
			time.Sleep(5 * time.Millisecond) // a light poll: the bridge answers it with the burst in flight
		}
	}()
	sent, rate := blastOn(udp, data)
	took := <-drained
	got := "?"
	if lines.Scan() {
		got = lines.Text()
	}
	read := received(wsPort) - read0
	cpu := procstat.CPUSeconds(pid) - cpu0 // the whole burst, the client's frames included
	fmt.Printf("  %-55s %8s / %d   bridge read %d (%.0f/s), kernel dropped %d, bridge CPU %.2f µs/event\n",
		fmt.Sprintf("burst: %d events (%.0f/s) to a Python websockets client, received", sent, rate), got, sent,
		read, float64(read)/took.Seconds(), kernelDrops(eventsPort)-kdrop0, cpu/float64(max(1, read))*1e6)
}

// received is the bridge's count of datagrams read (GET /metrics).
func received(wsPort int) uint64 {
	r, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", wsPort))
	if err != nil {
		return 0
	}
	defer r.Body.Close()
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "vimabl_events_received_total "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return uint64(n)
		}
	}
	return 0
}

// kernelDrops is how many datagrams the kernel dropped for the UDP socket on
// port because its buffer was full (/proc/net/udp's drops column; 0 where
// there is none).
func kernelDrops(port int) uint64 {
	data, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return 0
	}
	suffix := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) >= 13 && strings.HasSuffix(f[1], suffix) {
			n, _ := strconv.ParseUint(f[len(f)-1], 10, 64)
			return n
		}
	}
	return 0
}

// tempoEvents encodes n wrapped tempo changes numbered from first, ready to
// send as fast as the socket takes them.
func tempoEvents(first, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		m := osc.NewMessage("/live/seq", int32(first+i), float64(time.Now().UnixMicro())/1e6, "/live/transport/tempo", float64(100+i%80))
		out[i], _ = m.MarshalBinary()
	}
	return out
}

// blast sends every datagram to addr as fast as the socket takes them.
func blast(addr string, data [][]byte) (sent int, perSec float64) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		fail("%v", err)
	}
	defer c.Close()
	return blastOn(c, data)
}

// blastOn sends every datagram on c as fast as the socket takes them.
func blastOn(c net.Conn, data [][]byte) (sent int, perSec float64) {
	start := time.Now()
	for _, d := range data {
		if _, err := c.Write(d); err == nil {
			sent++
		}
	}
	return sent, float64(sent) / time.Since(start).Seconds()
}

// waitQuiet returns when count reaches want or stops growing for a second.
func waitQuiet(count func() int64, want int64) {
	last, since := int64(-1), time.Now()
	for count() < want && time.Since(since) < time.Second {
		if c := count(); c != last {
			last, since = c, time.Now()
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// answerCommands stands in for the Remote Script's command port during the
// synthetic parts (the burst and the sustained stream), which number their
// own events: it answers PING, and SNAPSHOT with a Set of one audio track as
// of the bench's hello (seq 1). So the bridge runs as it does with Live
// connected — snapshot loaded, every event applied to the mirror — instead
// of failing its resyncs and rejecting every event of a track it has never
// seen. The live part stops it and runs the real script on that port.
func answerCommands(port int) (stop func()) {
	m := mirror.New()
	if _, err := m.Apply("/live/track/added", []any{int32(0), "Bench", "audio", false, false, false, 0.85, int32(0)}); err != nil {
		fail("building the benchmark's Set: %v", err)
	}
	snap, _ := json.Marshal(map[string]any{"success": true, "session_id": "benchsession", "seq": 1, "state": json.RawMessage(m.JSON())})
	ping := []byte(`{"success": true, "pong": true, "version": "bench", "session_id": "benchsession"}`) // the real script names its session: the bridge follows only a confirmed one
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		fail("command port stand-in: %v", err)
	}
	go testkit.ServeLines(ln, func(line string, c net.Conn) {
		switch strings.TrimSpace(line) {
		case "SNAPSHOT":
			c.Write(snap)
		case "PING":
			c.Write(ping)
		default:
			c.Write([]byte(`{"success": false, "error": "not served by bridgebench"}`))
		}
	})
	return func() { ln.Close() }
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bridgebench: "+format+"\n", a...)
	os.Exit(1)
}

// eventSeq reads "seq" of an event frame without a full JSON decode, so the
// 50 benchmark clients cost the machine little next to the bridge.
func eventSeq(data []byte) (int64, bool) {
	s := string(data)
	if !strings.HasPrefix(s, `{"type":"event","seq":`) {
		return 0, false
	}
	s = s[len(`{"type":"event","seq":`):]
	end := strings.IndexByte(s, ',')
	if end < 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(s[:end], 10, 64)
	return v, err == nil
}
