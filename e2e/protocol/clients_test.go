package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vimabl/vimabl/bridge/mirror"
	"github.com/vimabl/vimabl/bridge/scriptclient"
	"github.com/vimabl/vimabl/internal/testkit"
)

// pyHarness runs docs/protocol.md's Python client (imported from the file
// the test writes) and, beside it, samples /state: each sample is compared
// with the client's own copy at the very seq /state reports. On "final" on
// stdin it compares once more, after the edits, and prints
// "checked <n> problems <m> <first problem>".
const pyHarness = `
import asyncio, collections, json, sys, threading, urllib.request
sys.path.insert(0, sys.argv[1])
import vimabl_client
ws_url, base = sys.argv[2], sys.argv[3]
lock = threading.Lock()
history = collections.OrderedDict()  # (session, seq) -> the copy, as sorted JSON
latest = [None, -1]
problems, checked = [], [0]

def on_change(state, frame):
    with lock:
        if frame["type"] == "snapshot":
            latest[0] = frame["session_id"]
        latest[1] = frame["seq"]
        history[(latest[0], latest[1])] = json.dumps(state, sort_keys=True)
        while len(history) > 200:
            history.popitem(last=False)

def check():
    """Compare /state with the copy at the same seq; False if the copy never held it."""
    with urllib.request.urlopen(base + "/state") as r:
        key = (r.headers["X-VimAbl-Session"], int(r.headers["X-VimAbl-Seq"]))
        want = json.dumps(json.loads(r.read()), sort_keys=True)
    done = threading.Event()
    for _ in range(2000):  # up to 10 s for the copy to reach that seq
        with lock:
            have = history.get(key)
            passed = latest[0] == key[0] and latest[1] >= key[1]
        if have is not None or passed:
            break
        done.wait(0.005)
    else:
        problems.append("the copy never reached %s/%d" % key)
        return True
    if have is None:
        return False
    checked[0] += 1
    if have != want:
        problems.append("the copy differs from /state at %s/%d" % key)
    return True

stop = threading.Event()
def sampler():
    while not stop.is_set():
        check()
        stop.wait(0.05)

def final():
    sys.stdin.readline()
    stop.set()
    for _ in range(100):
        if check():
            break
    print("checked %d problems %d %s" % (checked[0], len(problems), problems[:1]), flush=True)
    import os
    os._exit(0)

threading.Thread(target=sampler, daemon=True).start()
threading.Thread(target=final, daemon=True).start()
asyncio.run(vimabl_client.follow(ws_url, on_change=on_change))
`

// jsHarness runs docs/protocol.md's browser client under node (its
// WebSocket is the browser's API); on "final" on stdin it fetches /state and
// compares it with its copy at the same seq, and prints "same" or a reason.
const jsHarness = `
const [wsURL, base] = process.argv.slice(2);
const history = new Map();
let session = null;
const sorted = (v) => Array.isArray(v) ? v.map(sorted) : v && typeof v === "object"
  ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])])) : v;
followSet(wsURL, (state, frame) => {
  if (frame.type === "snapshot") session = frame.session_id;
  history.set(session + "/" + frame.seq, JSON.stringify(sorted(state)));
  if (history.size > 200) history.delete(history.keys().next().value);
});
process.stdin.once("data", async () => {
  for (let i = 0; i < 100; i++) {
    const r = await fetch(base + "/state");
    const key = r.headers.get("x-vimabl-session") + "/" + r.headers.get("x-vimabl-seq");
    const want = JSON.stringify(sorted(await r.json()));
    for (let j = 0; j < 200 && !history.has(key); j++) await new Promise((ok) => setTimeout(ok, 10));
    if (history.has(key)) {
      console.log(history.get(key) === want ? "same" : "differs at " + key);
      process.exit(0);
    }
  }
  console.log("never held the seq of /state");
  process.exit(0);
});
`

// docClient extracts the example client of a language from the end of
// docs/protocol.md.
func docClient(t *testing.T, lang string) string {
	t.Helper()
	blocks := codeBlocks(section(t, repoFile(t, "docs/protocol.md"), "Two complete clients"), lang)
	if len(blocks) != 1 {
		t.Fatalf("docs/protocol.md has %d %s clients, want 1", len(blocks), lang)
	}
	return blocks[0]
}

// proc is a client process whose stdout lines are collected.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   chan string
}

func startProc(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(name, args...)
	in, _ := cmd.StdinPipe()
	outPipe, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdin: in, out: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(outPipe)
		for sc.Scan() {
			p.out <- sc.Text()
		}
		close(p.out)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("%s stderr:\n%s", filepath.Base(name), stderr.String())
		}
	})
	return p
}

// final asks the harness for its last comparison and returns its answer.
func (p *proc) final(t *testing.T) string {
	t.Helper()
	io.WriteString(p.stdin, "final\n")
	select {
	case line, ok := <-p.out:
		if !ok {
			t.Fatalf("%s ended without an answer", p.cmd.Path)
		}
		return line
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not answer", p.cmd.Path)
	}
	return ""
}

// eventClient is a client in event mode (no patches) that applies the
// catalog's rules — the bridge's mirror package, as a Go client would use
// it — and checks the lifecycle and the fence on every frame.
type eventClient struct {
	mu        sync.Mutex
	m         *mirror.Mirror
	session   string
	seq       int64
	frames    int
	snapshots int
	lastSnap  string // the last snapshot frame, while no event followed it
	problems  []string
}

func followEvents(t *testing.T, l *live) *eventClient {
	t.Helper()
	f := dialFrames(t, l.wsURL())
	c := &eventClient{m: mirror.New()}
	go func() {
		for data := range f.frames {
			c.frame(data)
		}
	}()
	return c
}

func (c *eventClient) fail(format string, a ...any) {
	if len(c.problems) < 10 {
		c.problems = append(c.problems, fmt.Sprintf(format, a...))
	}
}

func (c *eventClient) frame(data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var f struct {
		Type      string          `json:"type"`
		Protocol  int             `json:"protocol"`
		SessionID string          `json:"session_id"`
		Seq       int64           `json:"seq"`
		Path      string          `json:"path"`
		Args      []any           `json:"args"`
		State     json.RawMessage `json:"state"`
	}
	if err := dec.Decode(&f); err != nil {
		c.fail("frame %s: %v", data, err)
		return
	}
	c.frames++
	switch {
	case c.frames == 1 && (f.Type != "hello" || f.Protocol != 1):
		c.fail("first frame %s, want hello with protocol 1", data)
	case c.frames == 2 && f.Type != "status":
		c.fail("second frame %s, want the status", data)
	case c.frames == 3 && f.Type != "snapshot":
		c.fail("third frame %s, want the snapshot", data)
	}
	switch f.Type {
	case "snapshot":
		if string(data) == c.lastSnap {
			c.fail("the same snapshot twice in a row (%s/%d)", f.SessionID, f.Seq)
		}
		c.lastSnap = string(data)
		c.snapshots++
		if err := c.m.LoadSnapshotJSON(append([]byte(`{"success":true,"session_id":"`+f.SessionID+`","seq":`+strconv.FormatInt(f.Seq, 10)+`,"state":`), append(f.State, '}')...)); err != nil {
			c.fail("snapshot: %v", err)
		}
		c.session, c.seq = f.SessionID, f.Seq
	case "event":
		c.lastSnap = ""
		if c.snapshots == 0 {
			c.fail("event %d before any snapshot", f.Seq)
		}
		if f.Seq != c.seq+1 {
			c.fail("event %d after %s/%d: not the next of the session", f.Seq, c.session, c.seq)
		}
		c.seq = f.Seq
		for i, a := range f.Args {
			if n, ok := a.(json.Number); ok {
				if v, err := n.Int64(); err == nil {
					f.Args[i] = v
				} else {
					f.Args[i], _ = n.Float64()
				}
			}
		}
		if _, err := c.m.Apply(f.Path, f.Args); err != nil {
			c.fail("event %d did not apply by the catalog's rules: %v", f.Seq, err)
		}
	}
}

// sameAsState waits until the client holds the session and seq /state
// reports, and compares the two.
func (c *eventClient) sameAsState(t *testing.T, l *live) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		body, h := get(t, l.url("/state"))
		session := h.Get("X-VimAbl-Session")
		seq, _ := strconv.ParseInt(h.Get("X-VimAbl-Seq"), 10, 64)
		var held []byte
		testkit.WaitFor(t, "the client to reach /state's seq", 10*time.Second, func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.session != session || c.seq < seq {
				return false
			}
			if c.seq == seq {
				held = c.m.JSON()
			}
			return true
		})
		if held == nil {
			continue // it moved past that seq: take /state again
		}
		if !testkit.SameJSON(held, body) {
			t.Errorf("an event-mode client's copy differs from /state at %s/%d", session, seq)
		}
		return
	}
	t.Error("an event-mode client never held the seq /state reported")
}

// issue 14 items 1 and 5, and the docs' two clients: through random edits,
// a script restart and a Set load (each a new session), the Python client
// of docs/protocol.md (Debian's websockets and jsonpatch) and its browser
// client (under node) keep in patch mode a copy equal to /state, compared
// at the very seq /state reports; event-mode clients that connected before,
// during the edits and right after the restart get hello, status, snapshot
// and then only the next event of their snapshot's session — never a new
// session's event before its snapshot, never the same snapshot twice — and
// their copies by the catalog's rules equal /state too.
func TestDocClientsKeepAnExactCopyThroughRestartsAndSetLoads(t *testing.T) {
	py := "/usr/bin/python3" // Debian's: the pyenv python3 first on PATH does not see python3-jsonpatch
	if err := exec.Command(py, "-c", "import jsonpatch, websockets").Run(); err != nil {
		t.Skipf("%s lacks python3-jsonpatch or python3-websockets (scripts/install-deps.sh installs them): %v", py, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vimabl_client.py"), []byte(docClient(t, "python")), 0o644); err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(dir, "client.js")
	os.WriteFile(js, []byte(docClient(t, "javascript")), 0o644)
	node, nodeErr := exec.LookPath("node")
	if nodeErr == nil {
		if out, err := exec.Command(node, "--check", js).CombinedOutput(); err != nil {
			t.Fatalf("node --check on the browser client: %v\n%s", err, out)
		}
		os.WriteFile(js, []byte(docClient(t, "javascript")+jsHarness), 0o644)
	}

	l := startLive(t)
	testkit.WaitFor(t, "the Set in the mirror", 10*time.Second, func() bool { return l.e.Status().Tracks > 0 })
	base := "http://" + l.e.WSAddr()
	pyc := startProc(t, py, "-c", pyHarness, dir, l.wsURL()+"?patch=1", base)
	var jsc *proc
	if nodeErr == nil {
		jsc = startProc(t, node, "--experimental-websocket", "--no-warnings", js, l.wsURL(), base)
	}
	early := followEvents(t, l)
	edits := make(chan error, 1)
	go func() {
		ctx, cancel := ctxWithTimeout(2 * time.Minute)
		defer cancel()
		edits <- l.sim.Control(ctx, "random 61 250")
	}()
	mid := followEvents(t, l) // connects while the edits run
	if err := <-edits; err != nil {
		t.Fatal(err)
	}
	testkit.Control(t, l.sim, "restart")
	late := followEvents(t, l) // around the new session's snapshot
	testkit.Control(t, l.sim, "random 62 150")
	testkit.Control(t, l.sim, "set-load")
	testkit.Control(t, l.sim, "random 63 150")
	waitSession(t, l)

	for name, c := range map[string]*eventClient{"early": early, "mid": mid, "late": late} {
		c.sameAsState(t, l)
		c.mu.Lock()
		for _, p := range c.problems {
			t.Errorf("event-mode client %s: %s", name, p)
		}
		if c.snapshots < 2 && name != "late" {
			t.Errorf("client %s got %d snapshots; the restart and the Set load must bring new ones", name, c.snapshots)
		}
		c.mu.Unlock()
	}
	answer := pyc.final(t)
	var checked, problems int
	if _, err := fmt.Sscanf(answer, "checked %d problems %d", &checked, &problems); err != nil || problems != 0 || checked < 5 {
		t.Errorf("the docs' Python client: %q, want at least 5 comparisons with /state and no problem", answer)
	}
	t.Logf("the docs' Python client matched /state %d times", checked)
	if jsc != nil {
		if a := jsc.final(t); a != "same" {
			t.Errorf("the docs' browser client under node: %q", a)
		}
	} else {
		t.Log("no node here: the browser client was not run")
	}
	if m := l.e.Metrics(); m.Gaps != 0 || m.Malformed != 0 {
		t.Errorf("loopback lost events (gaps %d, malformed %d): the fence checks assume none", m.Gaps, m.Malformed)
	}
}

// waitSession waits until the mirror follows the script's current session.
func waitSession(t *testing.T, l *live) {
	t.Helper()
	client := scriptclient.New(l.sim.CommandAddr())
	testkit.WaitFor(t, "the mirror on the script's session", 20*time.Second, func() bool {
		ctx, cancel := ctxWithTimeout(2 * time.Second)
		defer cancel()
		r, err := client.Ping(ctx)
		_, h := get(t, l.url("/state"))
		return err == nil && h.Get("X-VimAbl-Session") == r.SessionID
	})
}
