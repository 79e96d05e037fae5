// Package e2e proves the whole chain as users run it: the real `vimabl
// bridge` process and the real Remote Script inside the fake Live (a python3
// process) on free ports, driven and checked only from outside — nc like
// Hammerspoon, liblo's oscdump, Python's websockets, curl-like HTTP — plus
// the faults a stage or a studio throws at it.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vimabl/vimabl/bridge/scriptclient"
	"github.com/vimabl/vimabl/internal/testkit"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

var vimabl string // the binary under test, built once

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vimabl-e2e-")
	if err != nil {
		panic(err)
	}
	vimabl = filepath.Join(dir, "vimabl")
	if out, err := exec.Command("go", "build", "-o", vimabl, "..").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building vimabl: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type ports struct{ command, events, ws int }

func newPorts(t *testing.T) ports {
	return ports{command: testkit.FreePort(t, "tcp"), events: testkit.FreePort(t, "udp"), ws: testkit.FreePort(t, "tcp")}
}

// bridgeProc is a running `vimabl bridge`.
type bridgeProc struct {
	cmd  *exec.Cmd
	p    ports
	logs *bytes.Buffer
}

func startBridge(t *testing.T, p ports) *bridgeProc {
	t.Helper()
	b := &bridgeProc{p: p, logs: &bytes.Buffer{}}
	b.cmd = exec.Command(vimabl, "bridge", "--events-port", strconv.Itoa(p.events), "--ws-port", strconv.Itoa(p.ws),
		"--command-port", strconv.Itoa(p.command), "--live-log", filepath.Join(t.TempDir(), "none.txt"))
	b.cmd.Stderr = &lockedWriter{w: b.logs}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.stop() })
	testkit.WaitFor(t, "the bridge's HTTP port", 10*time.Second, func() bool {
		r, err := http.Get(b.url("/healthz"))
		if err == nil {
			r.Body.Close()
		}
		return err == nil
	})
	return b
}

func (b *bridgeProc) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", b.p.ws, path)
}

func (b *bridgeProc) stop() {
	if b.cmd.ProcessState == nil {
		b.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { b.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			b.cmd.Process.Kill()
			<-done
		}
	}
}

func (b *bridgeProc) status(t *testing.T) map[string]any {
	t.Helper()
	r, err := http.Get(b.url("/status"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var m map[string]any
	json.NewDecoder(r.Body).Decode(&m)
	return m
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func startScript(t *testing.T, p ports) *remotescript.Sim {
	t.Helper()
	return testkit.StartSim(t, p.command, p.events)
}

// stateEqualsSnapshot waits until GET /state equals a SNAPSHOT taken after
// the edits settled (trailing edges and polls included).
func stateEqualsSnapshot(t *testing.T, b *bridgeProc, commandPort int) {
	t.Helper()
	client := scriptclient.New(fmt.Sprintf("127.0.0.1:%d", commandPort))
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		snap, err := client.Snapshot(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			r, err := http.Get(b.url("/state"))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if testkit.SameJSON(body, snap.State) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Fatal("GET /state never equalled SNAPSHOT")
}

// nc sends a command exactly as Hammerspoon configs do.
func nc(t *testing.T, port int, line string) map[string]any {
	t.Helper()
	cmd := exec.Command("sh", "-c", fmt.Sprintf("echo %q | nc -w 1 127.0.0.1 %d", line, port))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nc %s: %v", line, err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("nc %s: not one JSON object: %q", line, out)
	}
	return m
}

const wsClient = `
import asyncio, json, sys, time
import websockets

async def main(url, want_events):
    async with websockets.connect(url) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello" and hello["protocol"] == 1, hello
        snap = json.loads(await ws.recv())
        while snap["type"] == "status":  # the connection state comes with the first frames
            snap = json.loads(await ws.recv())
        assert snap["type"] == "snapshot", snap["type"]
        seq, events, last = snap["seq"], 0, snap["seq"]
        await ws.send(json.dumps({"type": "command", "id": "py1", "command": "GET_VIEW", "args": []}))
        reply = None
        deadline = time.time() + 60
        recent = []
        while (events < want_events or reply is None) and time.time() < deadline:
            m = json.loads(await asyncio.wait_for(ws.recv(), 30))
            recent = (recent + [(m["type"], m.get("seq"), m.get("path"))])[-6:]
            if m["type"] == "event" and m["path"] != "/live/hello":
                if m["seq"] != last + 1:
                    print(json.dumps({"error": "out of order: %d after %d (%s; recent %s)" % (m["seq"], last, m["path"], recent)})); return
                last = m["seq"]; events += 1
            elif m["type"] == "reply":
                reply = m
            elif m["type"] == "snapshot":
                last = m["seq"]
        print(json.dumps({"snapshot_seq": seq, "events": events, "reply": reply}))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
`

func TestWholeChainAsUsersRunIt(t *testing.T) {
	for _, tool := range []string{"nc", "/usr/bin/python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (make deps installs it)", tool)
		}
	}
	p := newPorts(t)
	b := startBridge(t, p)
	sim := startScript(t, p)
	testkit.WaitFor(t, "streaming", 15*time.Second, func() bool { return b.status(t)["state"] == "streaming" })

	// A WebSocket client that is not ours: Python's websockets.
	py := exec.Command("/usr/bin/python3", "-c", wsClient, fmt.Sprintf("ws://127.0.0.1:%d/ws", p.ws), "300")
	var pyOut bytes.Buffer
	py.Stdout, py.Stderr = &pyOut, &pyOut
	if err := py.Start(); err != nil {
		t.Fatal(err)
	}

	// Random edits stream while a Hammerspoon-style client sends every command.
	done := make(chan struct{})
	go func() { defer close(done); testkit.Control(t, sim, "random 77 600") }()
	commands := map[string]func(map[string]any) bool{
		"PING":                func(m map[string]any) bool { return m["pong"] == true },
		"GET_VERSION":         func(m map[string]any) bool { return m["version"] == remotescript.Version() },
		"GET_VIEW":            func(m map[string]any) bool { v := m["view"]; return v == "session" || v == "arrangement" },
		"GET_STATE":           func(m map[string]any) bool { _, ok := m["tracks"].([]any); return ok },
		"GET_PROJECT_PATH":    func(m map[string]any) bool { _, ok := m["project_path"].(string); return ok },
		"GET_OBSERVER_STATUS": func(m map[string]any) bool { return m["stats"] != nil },
		"GET_LOG_STATS":       func(m map[string]any) bool { return m["stats"] != nil },
		"SELECT_FIRST_SCENE":  func(m map[string]any) bool { return m["scene"] == 0.0 },
		// gg/G follow the view (random edits switch it): a track in the Arrangement, a scene otherwise.
		"JUMP_TO_LAST": func(m map[string]any) bool {
			_, scene := m["scene"].(float64)
			_, track := m["track"].(float64)
			return scene != track
		},
		"SCROLL_TO_TOP":     func(m map[string]any) bool { return m["song_time"] == 0.0 },
		"SELECT_LAST_TRACK": func(m map[string]any) bool { _, ok := m["track"].(float64); return ok },
		"SNAPSHOT":          func(m map[string]any) bool { return m["state"] != nil },
		"NO_SUCH_COMMAND":   func(m map[string]any) bool { return m["error"] == "Unknown command: NO_SUCH_COMMAND" },
		"EXPORT_XML:/etc/passwd": func(m map[string]any) bool {
			return m["success"] == false && strings.Contains(m["error"].(string), ".als")
		},
	}
	for line, ok := range commands {
		if m := nc(t, p.command, line); !ok(m) {
			t.Errorf("%s → %v", line, m)
		}
	}
	<-done
	stateEqualsSnapshot(t, b, p.command)

	if err := py.Wait(); err != nil {
		t.Fatalf("python websockets client: %v\n%s", err, pyOut.String())
	}
	var res struct {
		Error  string
		Events int
		Reply  map[string]any
	}
	if err := json.Unmarshal(bytes.TrimSpace(pyOut.Bytes()), &res); err != nil || res.Error != "" {
		t.Fatalf("python client: %v %s\nbridge log:\n%s", err, pyOut.String(), b.logs.String())
	}
	if res.Events < 300 || res.Reply["id"] != "py1" || res.Reply["result"].(map[string]any)["success"] != true {
		t.Fatalf("python client saw %+v", res)
	}
	st := b.status(t)["metrics"].(map[string]any)
	if st["gaps"] != 0.0 || st["malformed"] != 0.0 || st["overflow_drops"] != 0.0 {
		t.Fatalf("loopback lost something: %v", st)
	}
}

// An OSC tool that is not ours decodes every event the script sends.
func TestOscdumpDecodesEveryEvent(t *testing.T) {
	if _, err := exec.LookPath("oscdump"); err != nil {
		t.Fatal("oscdump is needed (liblo-tools; make deps installs it)")
	}
	p := newPorts(t)
	dump := exec.Command("oscdump", strconv.Itoa(p.events))
	out, _ := dump.StdoutPipe()
	if err := dump.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { dump.Process.Kill(); dump.Wait() }()
	lines := make(chan string, 100000)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// oscdump prints nothing when ready: it is, once its port cannot be bound.
	testkit.WaitFor(t, "oscdump to bind its port", 5*time.Second, func() bool {
		c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p.events))
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	sim := startScript(t, p)
	testkit.Control(t, sim, "random 5 300")
	snap, err := scriptclient.New(fmt.Sprintf("127.0.0.1:%d", p.command)).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Every /live/seq line oscdump printed, numbered 1..N with nothing missing.
	// oscdump prints "<timetag> /live/seq idss… <seq> <timestamp> \"<path>\" …".
	seqRE := regexp.MustCompile(`^\S+ /live/seq id\S* (\d+) \d+\.\d+ "/live/`)
	var seen int64
	timeout := time.After(20 * time.Second)
	for seen < snap.Seq {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("oscdump stopped at %d of %d", seen, snap.Seq)
			}
			m := seqRE.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("oscdump printed an event it could not type: %q", l)
			}
			n, _ := strconv.ParseInt(m[1], 10, 64)
			if n != seen+1 {
				t.Fatalf("oscdump: seq %d after %d", n, seen)
			}
			seen = n
		case <-timeout:
			t.Fatalf("oscdump decoded %d of %d events", seen, snap.Seq)
		}
	}
}

// `vimabl install` into a fake User Library; the fake Live loads that copy.
func TestInstalledCopyLoadsInTheFakeLive(t *testing.T) {
	lib := t.TempDir()
	if out, err := exec.Command(vimabl, "install", "--user-library", lib, "--command-port", strconv.Itoa(testkit.FreePort(t, "tcp"))).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	fake := t.TempDir()
	if err := os.CopyFS(fake, remotescript.FakeLive()); err != nil {
		t.Fatal(err)
	}
	code := `
import sys
sys.path.insert(0, sys.argv[1])
from runtime import FakeLive
import sets
f = FakeLive()
sets.build_set(f, tracks=3, scenes=2)
s = f.load_script(sys.argv[2])
assert s is not None, "create_instance failed"
assert f.run_until(lambda: s.command_address() is not None, timeout=5), "no command port"
print("loaded", f.violations, f.errors)
f.close()
`
	out, err := exec.Command("python3", "-c", code, fake, filepath.Join(lib, "Remote Scripts", "VimAbl")).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "loaded 0 0" {
		t.Fatalf("%v\n%s", err, out)
	}
}

// Kill the script and start another; restart the bridge while the script
// streams: the bridge resynchronises each time and clients see it.
func TestScriptAndBridgeRestarts(t *testing.T) {
	p := newPorts(t)
	b := startBridge(t, p)
	sim := startScript(t, p)
	testkit.WaitFor(t, "streaming", 15*time.Second, func() bool { return b.status(t)["state"] == "streaming" })
	first := b.status(t)["session_id"]
	frames := watchFrames(t, p.ws)

	// The script dies without a word (Live crashed), then a new one starts.
	syscall.Kill(simPID(t, sim), syscall.SIGKILL)
	<-sim.Done()
	sim.Stop()
	testkit.WaitFor(t, "the bridge to notice", 15*time.Second, func() bool { return b.status(t)["state"] != "streaming" })
	// A client connected throughout is told (status frames follow the
	// bridge's once-a-second state check, so they may come a little later).
	down := 0
	testkit.WaitFor(t, "a status frame saying the script is gone", 5*time.Second, func() bool {
		down = frames.count("status")
		return down >= 1
	})
	sim2 := startScript(t, p)
	testkit.WaitFor(t, "streaming again", 15*time.Second, func() bool {
		s := b.status(t)
		return s["state"] == "streaming" && s["session_id"] != first
	})
	testkit.Control(t, sim2, "random 8 200")
	stateEqualsSnapshot(t, b, p.command)
	// ...and then that it streams again, with the new session's snapshot.
	testkit.WaitFor(t, "a status frame saying it streams again", 5*time.Second, func() bool {
		return frames.count("status") > down
	})
	testkit.WaitFor(t, "two snapshots (the first, then the new session's)", 5*time.Second, func() bool {
		return frames.count("snapshot") >= 2
	})

	// The bridge restarts while the script streams: it resyncs without a hello.
	b.stop()
	b2 := startBridge(t, p)
	testkit.Control(t, sim2, "random 9 100")
	stateEqualsSnapshot(t, b2, p.command)
}

func simPID(t *testing.T, sim *remotescript.Sim) int {
	t.Helper()
	pid := sim.PID()
	if pid <= 0 {
		t.Fatal("no sim process")
	}
	return pid
}

// Toggling the Control Surface 50 times leaves no port, thread or socket behind.
func TestControlSurfaceToggled50Times(t *testing.T) {
	p := newPorts(t)
	sim := startScript(t, p)
	pid := simPID(t, sim)
	count := func(what string) int {
		es, err := os.ReadDir(fmt.Sprintf("/proc/%d/%s", pid, what))
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	testkit.Control(t, sim, "restart") // warm: modules imported, first sockets made
	fds, threads := count("fd"), count("task")
	for i := 0; i < 50; i++ {
		testkit.Control(t, sim, "restart")
	}
	if m := nc(t, p.command, "PING"); m["pong"] != true {
		t.Fatalf("after 50 toggles: %v", m)
	}
	testkit.WaitFor(t, "threads of finished commands to end", 5*time.Second, func() bool { return count("task") <= threads })
	if f := count("fd"); f > fds {
		t.Fatalf("file descriptors grew from %d to %d over 50 toggles", fds, f)
	}
}

// Every listener — the bridge's UDP and HTTP ports, the script's command
// port — is bound to loopback by default.
func TestListenersAreOnLoopback(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) not installed")
	}
	p := newPorts(t)
	b := startBridge(t, p)
	startScript(t, p)
	testkit.WaitFor(t, "streaming", 15*time.Second, func() bool { return b.status(t)["state"] == "streaming" })
	out, err := exec.Command("ss", "-H", "-l", "-n", "-t", "-u").Output()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 5 {
			continue
		}
		local := f[4]
		for _, port := range []int{p.command, p.events, p.ws} {
			if strings.HasSuffix(local, ":"+strconv.Itoa(port)) {
				found++
				if !strings.HasPrefix(local, "127.0.0.1:") {
					t.Errorf("port %d listens on %s, not loopback", port, local)
				}
			}
		}
	}
	if found != 3 {
		t.Fatalf("found %d of the 3 listeners in:\n%s", found, out)
	}
}

// frameLog counts the frame types a WebSocket client receives.
type frameLog struct {
	mu     sync.Mutex
	counts map[string]int
}

func (f *frameLog) count(typ string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[typ]
}

func watchFrames(t *testing.T, wsPort int) *frameLog {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/ws", wsPort), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := &frameLog{counts: map[string]int{}}
	go func() {
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			var m struct{ Type string }
			json.Unmarshal(data, &m)
			f.mu.Lock()
			f.counts[m.Type]++
			f.mu.Unlock()
		}
	}()
	return f
}

// On Linux with the POSIX locale (CI machines, containers) a subcommand
// prints what it is asked for and nothing else: fyne complains while it
// initialises that "C" is not a language, and internal/initlog drops that.
func TestNoLocaleNoiseWithLANGC(t *testing.T) {
	cmd := exec.Command(vimabl, "version")
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("vimabl version: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Fatalf("vimabl version wrote to stderr with LC_ALL=C:\n%s", stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "vimabl ") {
		t.Fatalf("vimabl version printed %q", stdout.String())
	}
}
