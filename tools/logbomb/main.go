// Command logbomb measures the resident memory of a running `vimabl bridge`
// while its two log sources are abused, as an attacker or a runaway writer
// would (issue 10 item 3): 8 000 /live/log datagrams of 60 KB on the events
// port (paced so that the bridge decodes every one: the log ring's bound;
// then at full speed: the hand-off queue's), Live's Log.txt replaced by a
// 2 GB sparse file, then 20 lines of 50 MB appended to it. After each phase it prints the bridge's resident
// memory (VmRSS) and its peak during the phase (VmHWM, reset per phase),
// against the goal of 100 MB, then how long the bridge takes to exit on
// SIGTERM. It prints figures; it asserts nothing. Linux only (/proc).
//
//	go run ./tools/logbomb -bin bin/vimabl
//
// Its files live in a fresh temporary folder (about 1 GB of real data on
// disk at the end, the rest sparse), removed when it ends.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
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
	"syscall"
	"time"

	"github.com/hypebeast/go-osc/osc"
	"github.com/vimabl/vimabl/tools/internal/procstat"
)

// The abuse, as found attacking a running bridge.
const (
	datagrams    = 8000
	datagramText = 60_000 // bytes of message in each /live/log datagram
	sparseSize   = 2 << 30
	longLines    = 20
	longLineLen  = 50 << 20
	goalMB       = 100
	// sendBatch is how many datagrams are sent before waiting for the
	// bridge to decode them: the kernel's receive buffer (4 MB here) holds
	// about 60, and a datagram the kernel drops tests nothing.
	sendBatch = 32
)

func main() {
	bin := flag.String("bin", "bin/vimabl", "the vimabl binary to measure")
	flag.Parse()
	dir, err := os.MkdirTemp("", "logbomb-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "logbomb:", err)
		os.Exit(1)
	}
	err = run(*bin, dir)
	os.RemoveAll(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "logbomb:", err)
		os.Exit(1)
	}
}

// bridge is the `vimabl bridge` process under test.
type bridge struct {
	cmd    *exec.Cmd
	pid    int
	status string // its GET /status URL
}

func run(bin, dir string) error {
	logPath := filepath.Join(dir, "Log.txt")
	var seed strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&seed, "%s: info: RemoteScriptMessage: (LiveState) INFO [Bomb] an ordinary line %d\n", stamp(), i)
	}
	if err := os.WriteFile(logPath, []byte(seed.String()), 0o600); err != nil {
		return fmt.Errorf("writing the first Log.txt: %w", err)
	}
	b, err := startBridge(bin, logPath)
	if err != nil {
		return err
	}
	defer b.cmd.Process.Kill()
	fmt.Printf("vimabl bridge under log abuse (pid %d, Log.txt in %s)\n", b.pid, dir)
	// Let the start-up settle (the initial tail of Log.txt): wait until the
	// bridge stops reading.
	waitQuiet(b.pid, 0, 10*time.Second)
	rss, hwm := procstat.Memory(b.pid)
	fmt.Printf("  %-52s %7.1f MB (peak %.1f MB)\n", "idle after start", rss, hwm)

	if err := phase(b, fmt.Sprintf("%d /live/log datagrams of %d KB, paced", datagrams, datagramText/1000), func() (string, error) {
		return sendLogEvents(b, 1, sendBatch)
	}); err != nil {
		return err
	}
	if err := phase(b, fmt.Sprintf("%d more at full speed", datagrams), func() (string, error) {
		return sendLogEvents(b, datagrams+1, datagrams)
	}); err != nil {
		return err
	}
	if err := phase(b, "Log.txt replaced by a 2 GB sparse file", func() (string, error) {
		return replaceBySparse(b, logPath, dir)
	}); err != nil {
		return err
	}
	if err := phase(b, fmt.Sprintf("%d lines of %d MB appended to Log.txt", longLines, longLineLen>>20), func() (string, error) {
		return appendLongLines(b, logPath)
	}); err != nil {
		return err
	}

	start := time.Now()
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case <-done:
		fmt.Printf("  %-52s %7d ms   goal <= 2000 ms\n", "exit after SIGTERM", time.Since(start).Milliseconds())
	case <-time.After(10 * time.Second):
		fmt.Printf("  %-52s %7s      goal <= 2000 ms\n", "exit after SIGTERM", "> 10 s")
	}
	return nil
}

// phase runs one abuse and prints the bridge's memory before, at its peak
// during, and after it.
func phase(b *bridge, name string, abuse func() (string, error)) error {
	before, _ := procstat.Memory(b.pid)
	if err := procstat.ResetPeak(b.pid); err != nil {
		fmt.Printf("  (cannot reset the peak: %v; peaks below are since the start)\n", err)
	}
	// Sampled as well: VmHWM cannot be reset on every kernel.
	sampled, stop := sampleRSS(b.pid)
	start := time.Now()
	detail, err := abuse()
	if err != nil {
		stop()
		return fmt.Errorf("%s: %w", name, err)
	}
	took := time.Since(start)
	stop()
	after, hwm := procstat.Memory(b.pid)
	peak := max(hwm, *sampled)
	verdict := "ok"
	if peak > goalMB {
		verdict = "OVER"
	}
	if b.cmd.Process.Signal(syscall.Signal(0)) != nil {
		return fmt.Errorf("%s: the bridge died", name)
	}
	fmt.Printf("  %-52s %7.1f → %.1f MB, peak %.1f MB   goal <= %d MB: %s\n", name, before, after, peak, goalMB, verdict)
	fmt.Printf("  %-52s %s (%.1f s)\n", "", detail, took.Seconds())
	return nil
}

// sampleRSS records the highest VmRSS of pid every 20 ms until stop.
func sampleRSS(pid int) (peak *float64, stop func()) {
	var mu sync.Mutex
	p := new(float64)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			rss, _ := procstat.Memory(pid)
			mu.Lock()
			*p = max(*p, rss)
			mu.Unlock()
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return p, func() { close(quit); <-done }
}

func startBridge(bin, logPath string) (*bridge, error) {
	var ports [3]int
	for i, network := range []string{"udp", "tcp", "tcp"} {
		p, err := procstat.FreePort(network)
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	events, ws, command := ports[0], ports[1], ports[2]
	cmd := exec.Command(bin, "bridge", "--events-port", strconv.Itoa(events), "--ws-port", strconv.Itoa(ws),
		"--command-port", strconv.Itoa(command), "--live-log", logPath)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	b := &bridge{cmd: cmd, pid: cmd.Process.Pid, status: fmt.Sprintf("http://127.0.0.1:%d/status", ws)}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := b.counters(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return nil, errors.New("the bridge did not answer GET /status within 10 s")
		}
	}
	return b, nil
}

// counters are the bridge's counts of datagrams, from GET /status.
type counters struct {
	Received      uint64 `json:"events_received"`
	Decoded       uint64 `json:"decoded"`
	Malformed     uint64 `json:"malformed"`
	OverflowDrops uint64 `json:"overflow_drops"`
}

func (b *bridge) counters() (counters, error) {
	var s struct {
		Metrics counters `json:"metrics"`
	}
	r, err := http.Get(b.status)
	if err != nil {
		return s.Metrics, err
	}
	defer r.Body.Close()
	err = json.NewDecoder(r.Body).Decode(&s)
	return s.Metrics, err
}

// eventsAddr is where the bridge listens for the script's datagrams.
func (b *bridge) eventsAddr() string {
	for i, a := range b.cmd.Args {
		if a == "--events-port" {
			return "127.0.0.1:" + b.cmd.Args[i+1]
		}
	}
	return ""
}

// sendLogEvents sends the /live/log datagrams numbered from first, batch
// at a time, each batch once the bridge has handled what it received of the
// one before.
func sendLogEvents(b *bridge, first, batch int) (string, error) {
	c, err := net.Dial("udp", b.eventsAddr())
	if err != nil {
		return "", fmt.Errorf("events port: %w", err)
	}
	defer c.Close()
	base, err := b.counters()
	if err != nil {
		return "", err
	}
	text := strings.Repeat("A", datagramText)
	sent := 0
	for sent < datagrams {
		for i := 0; i < batch && sent < datagrams; i++ {
			seq := first + sent
			sent++
			// Each message differs, as a real flood's would.
			msg := strconv.Itoa(seq) + text[len(strconv.Itoa(seq)):]
			m := osc.NewMessage("/live/seq", int32(seq), float64(time.Now().UnixMicro())/1e6, "/live/log", "INFO", "Bomb", msg)
			data, err := m.MarshalBinary()
			if err != nil {
				return "", fmt.Errorf("encoding a datagram: %w", err)
			}
			c.Write(data)
		}
		// Wait until the bridge has handled what it received of the batch.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			n, err := b.counters()
			if err != nil {
				return "", err
			}
			handled := n.Decoded + n.Malformed + n.OverflowDrops - base.Decoded - base.Malformed - base.OverflowDrops
			if handled >= uint64(sent) || n.Received-base.Received == handled {
				break
			}
		}
	}
	n, _ := b.counters()
	return fmt.Sprintf("%d sent, %d received, %d decoded by the bridge, %d dropped by its full queue",
		sent, n.Received-base.Received, n.Decoded-base.Decoded, n.OverflowDrops-base.OverflowDrops), nil
}

// replaceBySparse puts a 2 GB file of nothing but a hole where Log.txt was
// (rename, as a rotation would) and waits until the bridge has dealt with it.
func replaceBySparse(b *bridge, logPath, dir string) (string, error) {
	tmp := filepath.Join(dir, "sparse.tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	if err := f.Truncate(sparseSize); err != nil {
		f.Close()
		return "", fmt.Errorf("making the sparse file: %w", err)
	}
	f.Close()
	read0 := procstat.ReadBytes(b.pid)
	if err := os.Rename(tmp, logPath); err != nil {
		return "", err
	}
	took := waitQuiet(b.pid, read0, 30*time.Second)
	return fmt.Sprintf("the bridge read %d MB of it and was done after %s", (procstat.ReadBytes(b.pid)-read0)>>20, took), nil
}

// appendLongLines appends the long lines, streaming: each line is written
// 1 MiB at a time, never held whole.
func appendLongLines(b *bridge, logPath string) (string, error) {
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return "", err
	}
	read0 := procstat.ReadBytes(b.pid)
	w := bufio.NewWriterSize(f, 1<<20)
	chunk := []byte(strings.Repeat("x", 1<<20))
	for i := 0; i < longLines; i++ {
		prefix := stamp() + ": info: RemoteScriptMessage: (LiveState) INFO [Bomb] "
		w.WriteString(prefix)
		for left := longLineLen - len(prefix); left > 0; left -= len(chunk) {
			w.Write(chunk[:min(left, len(chunk))])
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return "", fmt.Errorf("appending: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	took := waitQuiet(b.pid, read0, 30*time.Second)
	return fmt.Sprintf("the bridge read %d MB of the %d MB and was done %s after the last write", (procstat.ReadBytes(b.pid)-read0)>>20, longLines*longLineLen>>20, took), nil
}

// waitQuiet waits until pid has read more than since bytes and then read
// next to nothing for a second (four polls of Log.txt), or until limit,
// and returns how long that took (the quiet second excluded). Reads under
// 64 KiB do not count: the bridge reads a few small files now and then.
func waitQuiet(pid int, since int64, limit time.Duration) time.Duration {
	const noise = 64 << 10
	start := time.Now()
	last, lastChange := procstat.ReadBytes(pid), time.Now()
	for time.Since(start) < limit {
		time.Sleep(20 * time.Millisecond)
		if n := procstat.ReadBytes(pid); n-last >= noise {
			last, lastChange = n, time.Now()
		}
		if last > since && time.Since(lastChange) >= time.Second {
			break
		}
	}
	return lastChange.Sub(start).Round(10 * time.Millisecond)
}

// stamp is the current time as Live writes it in Log.txt.
func stamp() string {
	return time.Now().Format("2006-01-02T15:04:05.000000")
}
