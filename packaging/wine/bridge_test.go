//go:build linux

package wine

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/vimabl/vimabl/bridge"
	"github.com/vimabl/vimabl/internal/testkit"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// get fetches a URL of the bridge and returns the status code and body
// (0 and "" when nothing answers).
func get(url string) (int, string) {
	c := http.Client{Timeout: 2 * time.Second}
	r, err := c.Get(url)
	if err != nil {
		return 0, ""
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	return r.StatusCode, string(body)
}

// startBridge starts `vimabl.exe bridge` on the given ports and waits until
// its HTTP port answers.
func (b *machine) startBridge(t *testing.T, ws, events, command int) *proc {
	t.Helper()
	p := b.start(t, nil, "bridge", "--ws-port", strconv.Itoa(ws), "--events-port", strconv.Itoa(events),
		"--command-port", strconv.Itoa(command), "--live-log", b.appData()+`\Ableton\none\Log.txt`)
	testkit.WaitForEvery(t, "vimabl.exe bridge to answer /healthz", 60*time.Second, 100*time.Millisecond, func() bool {
		code, _ := get(fmt.Sprintf("http://127.0.0.1:%d/healthz", ws))
		if p.wait(0) != -1 {
			t.Fatalf("vimabl.exe bridge exited:\n%s", p.stderr.String())
		}
		return code != 0
	})
	return p
}

// issue 12: the Windows bridge serves Linux-side clients over TCP — /healthz,
// /status and /ws, with a WebSocket command forwarded over TCP to the real
// Remote Script in the fake Live (on Linux) and its reply coming back — and
// `status` calls Wine's refusal of UDP sockets what it is: the OS's error
// and that VimAbl cannot receive events, not a port conflict.
func TestBridgeServesLinuxClientsOverTCP(t *testing.T) {
	b := need(t)
	ws, command, events := testkit.FreePort(t, "tcp"), testkit.FreePort(t, "tcp"), testkit.FreePort(t, "udp")
	testkit.StartSim(t, command, events)
	p := b.startBridge(t, ws, events, command)
	base := fmt.Sprintf("http://127.0.0.1:%d", ws)

	if code, body := get(base + "/healthz"); !strings.HasPrefix(body, "port-") && !strings.HasPrefix(body, "not-installed") && !strings.HasPrefix(body, "waiting") && !strings.HasPrefix(body, "reachable") {
		t.Errorf("/healthz: %d %q", code, body)
	}
	var st bridge.StatusReport
	testkit.WaitForEvery(t, "/status to report the script's command port answering (PING over TCP to Linux)", 30*time.Second, 200*time.Millisecond, func() bool {
		_, body := get(base + "/status")
		return json.Unmarshal([]byte(body), &st) == nil && st.CommandPortOK
	})

	conn, _, err := websocket.DefaultDialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/ws", ws), nil)
	if err != nil {
		t.Fatalf("/ws: %v\n%s", err, p.stderr.String())
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	// The first frame (hello, status or snapshot, by protocol version).
	var first struct {
		Type string `json:"type"`
	}
	if err := conn.ReadJSON(&first); err != nil || first.Type == "" {
		t.Fatalf("first /ws frame: %+v %v", first, err)
	}
	if err := conn.WriteJSON(map[string]any{"type": "command", "id": "1", "command": "GET_VERSION", "args": []any{}}); err != nil {
		t.Fatal(err)
	}
	for {
		var f struct {
			Type   string          `json:"type"`
			ID     string          `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  string          `json:"error"`
		}
		if err := conn.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for the reply to GET_VERSION: %v", err)
		}
		if f.Type != "reply" || f.ID != "1" {
			continue
		}
		if f.Error != "" || !strings.Contains(string(f.Result), `"`+remotescript.Version()+`"`) {
			t.Fatalf("GET_VERSION through the Windows bridge: %s %s", f.Result, f.Error)
		}
		break
	}

	r := b.run(t, "status", "--ws-port", strconv.Itoa(ws))
	if r.code != 0 {
		t.Fatalf("status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	state, _, _ := strings.Cut(r.stdout, "\n")
	if strings.Contains(state, "port-conflict") || strings.Contains(r.stdout, "Quit the program") || strings.Contains(r.stdout, "used by another program") {
		t.Errorf("Wine's UDP refusal is reported as a port conflict:\n%s", r.stdout)
	}
	mustContain(t, "status", r.stdout, "winapi error #10045", "Port: events 127.0.0.1:"+strconv.Itoa(events)+" NOT bound: ")
	if !strings.Contains(strings.ToLower(r.stdout), "cannot receive") {
		t.Errorf("status does not say VimAbl cannot receive Live's events:\n%s", r.stdout)
	}
}

var pidLog = regexp.MustCompile(`msg="vimabl bridge" pid=(\d+)`)

// issue 12, one VimAbl at a time, under Wine: a second vimabl.exe bridge
// names the first one's Windows pid and exits 1; a second GUI .exe — which
// has no console — says the same in a message box and exits 1 once it is
// closed, instead of sitting in the tray beside the first.
func TestSecondVimAblUnderWine(t *testing.T) {
	b := need(t)
	ws, command, events := testkit.FreePort(t, "tcp"), testkit.FreePort(t, "tcp"), testkit.FreePort(t, "udp")
	first := b.startBridge(t, ws, events, command)
	m := pidLog.FindStringSubmatch(first.stderr.String())
	if m == nil {
		t.Fatalf("vimabl.exe bridge does not log its pid:\n%s", first.stderr.String())
	}
	want := fmt.Sprintf("VimAbl is already running (pid %s) on http://127.0.0.1:%d.", m[1], ws)
	args := []string{"--ws-port", strconv.Itoa(ws), "--events-port", strconv.Itoa(events), "--command-port", strconv.Itoa(command)}

	r := b.run(t, append([]string{"bridge"}, args...)...)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "vimabl bridge: "+want) {
		t.Errorf("second bridge: exit %d, want 1 and %q\n%s", r.code, want, r.stderr)
	}

	if b.display == "" {
		t.Skip("Xvfb is not installed: the second GUI .exe's message box is not checked")
	}
	needX(t, b)
	second := b.start(t, nil, args...)
	box := waitWindow(t, b.display, "the second app's message box", time.Minute, func(w xwin) bool {
		return w.name == "VimAbl" && w.prog == "vimabl.exe" && w.w >= 100 && w.h >= 60
	})
	mustContain(t, "the second app", second.stderr.String(), "vimabl: "+want)
	keep(t, "windows-already-running.png", settled(t, b.display, box.id, "the message box to be drawn", 8, func([]byte) bool { return true }))
	xdo(t, b.display, "windowfocus", "--sync", box.id)
	xdo(t, b.display, "key", "Return")
	if code := second.wait(20 * time.Second); code != 1 {
		t.Errorf("second app after OK: exit %d, want 1\n%s", code, second.stderr.String())
	}
	if code, _ := get(fmt.Sprintf("http://127.0.0.1:%d/healthz", ws)); code == 0 || first.wait(0) != -1 {
		t.Error("the first VimAbl stopped serving")
	}
}
