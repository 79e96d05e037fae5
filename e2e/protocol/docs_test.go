package protocol

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vimabl/vimabl/bridge"
	"github.com/vimabl/vimabl/bridge/mirror"
	"github.com/vimabl/vimabl/internal/testkit"
)

// keyRow matches a table row whose first cell is a backquoted key.
var keyRow = regexp.MustCompile("^\\| `([^`]+)` \\| ([^|]*)\\|")

// statusDoc reads the /status key table: every key, and whether it is
// optional.
func statusDoc(t *testing.T) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	for _, l := range strings.Split(section(t, repoFile(t, "docs/protocol.md"), "`GET /status`"), "\n") {
		if m := keyRow.FindStringSubmatch(l); m != nil {
			keys[m[1]] = strings.HasPrefix(strings.TrimSpace(m[2]), "optional")
		}
	}
	if len(keys) < 40 {
		t.Fatalf("read only %d keys from the /status table", len(keys))
	}
	return keys
}

// flatten lists the keys of a JSON object as the table writes them:
// metrics.script.tracks, ports[].name. The reasons under
// clients_dropped_by_reason are the flow-control table's, checked apart.
func flatten(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			out[key] = true
			if k != "clients_dropped_by_reason" {
				flatten(key, c, out)
			}
		}
	case []any:
		for _, c := range x {
			flatten(prefix+"[]", c, out)
		}
	}
}

func statusKeys(t *testing.T, url string) (map[string]bool, map[string]any) {
	t.Helper()
	body, _ := get(t, url)
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	flatten("", v, out)
	return out, v
}

// compareKeys reports keys sent but not documented, and documented
// always-present keys not sent.
func compareKeys(t *testing.T, when string, sent, doc map[string]bool) {
	t.Helper()
	for k := range sent {
		if _, ok := doc[k]; !ok {
			t.Errorf("%s: /status sends %q, which docs/protocol.md does not list", when, k)
		}
	}
	for k, optional := range doc {
		if !optional && !sent[k] {
			t.Errorf("%s: docs/protocol.md says %q is always in /status; it is not", when, k)
		}
	}
}

// issue 14 item 11: every key /status sends is in docs/protocol.md's table
// and every key the table calls always-present is sent — with Live absent
// and with the script streaming; the optional ones (script_version,
// live_version, live_log, …) appear once there is something to say. The
// reasons of clients_dropped_by_reason are the flow-control table's.
func TestStatusKeysAreTheDocumentedOnes(t *testing.T) {
	doc := statusDoc(t)
	// No script: waiting, with a fix and no session.
	e, err := bridge.New(bridge.Config{EventsAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0",
		CommandAddr: fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t, "tcp")), LiveLogPath: filepath.Join(t.TempDir(), "Log.txt")})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background())
	t.Cleanup(func() { e.Stop() })
	testkit.WaitFor(t, "the HTTP port", 5*time.Second, func() bool { return e.WSAddr() != "" })
	alone, _ := statusKeys(t, "http://"+e.WSAddr()+"/status")
	compareKeys(t, "without Live", alone, doc)

	l := startLive(t)
	testkit.WaitFor(t, "an event of the followed session", 10*time.Second, func() bool {
		k, _ := statusKeys(t, l.url("/status"))
		return k["last_event"]
	})
	streaming, v := statusKeys(t, l.url("/status"))
	compareKeys(t, "streaming", streaming, doc)
	for k, optional := range doc {
		if optional && !alone[k] && !streaming[k] && !strings.HasPrefix(k, "ports[].") {
			t.Errorf("optional key %q was never sent", k)
		}
	}
	var reasons []string
	for r := range v["metrics"].(map[string]any)["clients_dropped_by_reason"].(map[string]any) {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	documented := tableKeys(t, repoFile(t, "docs/protocol.md"), "| reason | the connection ended because |")
	sort.Strings(documented)
	if strings.Join(reasons, " ") != strings.Join(documented, " ") {
		t.Errorf("clients_dropped_by_reason has %v; the reason table lists %v", reasons, documented)
	}
}

// tableKeys returns the first cells (backquoted) of the table whose header
// line is header.
func tableKeys(t *testing.T, doc, header string) []string {
	t.Helper()
	i := strings.Index(doc, header+"\n")
	if i < 0 {
		t.Fatalf("docs/protocol.md has no table %q", header)
	}
	var keys []string
	for _, l := range strings.Split(doc[i:], "\n")[2:] {
		m := keyRow.FindStringSubmatch(l)
		if m == nil {
			break
		}
		keys = append(keys, m[1])
	}
	return keys
}

// issue 14 item 11: every metric family on /metrics, with its type, is in
// docs/protocol.md's table, and every family there is served.
func TestMetricsFamiliesAreTheDocumentedOnes(t *testing.T) {
	doc := map[string]string{}
	for _, l := range strings.Split(section(t, repoFile(t, "docs/protocol.md"), "`GET /metrics`"), "\n") {
		if m := keyRow.FindStringSubmatch(l); m != nil && strings.HasPrefix(m[1], "vimabl_") {
			doc[m[1]] = strings.TrimSpace(m[2])
		}
	}
	e, err := bridge.New(bridge.Config{EventsAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0",
		CommandAddr: fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t, "tcp")), LiveLogPath: filepath.Join(t.TempDir(), "Log.txt")})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(context.Background())
	t.Cleanup(func() { e.Stop() })
	testkit.WaitFor(t, "the HTTP port", 5*time.Second, func() bool { return e.WSAddr() != "" })
	body, _ := get(t, "http://"+e.WSAddr()+"/metrics")
	served := map[string]string{}
	help := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 4 && f[0] == "#" && f[1] == "TYPE":
			served[f[2]] = f[3]
		case len(f) >= 3 && f[0] == "#" && f[1] == "HELP":
			help[f[2]] = true
		case len(f) == 2 && !strings.HasPrefix(f[0], "#"):
			name := f[0]
			if i := strings.IndexByte(name, '{'); i >= 0 {
				name = name[:i]
			}
			if _, ok := served[name]; !ok {
				t.Errorf("sample %q comes before (or without) its # TYPE", f[0])
			}
		}
	}
	for name, typ := range served {
		if doc[name] != typ {
			t.Errorf("/metrics serves %s (%s); docs/protocol.md says %q", name, typ, doc[name])
		}
		if !help[name] {
			t.Errorf("%s has no # HELP", name)
		}
	}
	for name := range doc {
		if _, ok := served[name]; !ok {
			t.Errorf("docs/protocol.md lists %s; /metrics does not serve it", name)
		}
	}
}

// catalogRow is one row of the OSC catalog.
type catalogRow struct{ path, state string }

func catalog(t *testing.T) map[string]catalogRow {
	t.Helper()
	rows := map[string]catalogRow{}
	for _, l := range strings.Split(section(t, repoFile(t, "docs/protocol.md"), "### Catalog"), "\n") {
		if !strings.HasPrefix(l, "| `/live/") {
			continue
		}
		cells := strings.Split(l, " | ")
		path := strings.Trim(strings.TrimPrefix(cells[0], "| "), "`")
		rows[path] = catalogRow{path: path, state: strings.TrimSuffix(strings.TrimSpace(cells[len(cells)-1]), " |")}
	}
	return rows
}

// issue 14 item 11: every OSC path the Remote Script can send is in the
// catalog with its apply rule (a fourth column), and the rule agrees with
// the bridge's mirror: a row whose state is "none" is one the mirror leaves
// alone; any other is one it applies (it checks the arguments).
func TestEveryScriptPathIsInTheCatalogWithItsRule(t *testing.T) {
	rows := catalog(t)
	literal := regexp.MustCompile(`["'](/live/[a-z_/]+)["']`)
	sent := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join("..", "..", "remote_script", "*.py"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			if m[1] != "/live/seq" { // the wrapper, not an event
				sent[m[1]] = true
			}
		}
	}
	if len(sent) < 40 {
		t.Fatalf("found only %d paths in the script; the scan is broken", len(sent))
	}
	for p := range sent {
		if _, ok := rows[p]; !ok {
			t.Errorf("the script sends %s; the catalog has no row for it", p)
		}
	}
	for p, r := range rows {
		if !sent[p] {
			t.Errorf("the catalog lists %s; the script never sends it", p)
		}
		none := strings.HasPrefix(r.state, "none")
		if r.state == "" {
			t.Errorf("%s: no apply rule", p)
			continue
		}
		// Without arguments, an event the mirror applies is refused
		// (argument 0 missing); one it ignores changes nothing.
		patch, err := mirror.New().ApplyPatch(p, nil)
		switch {
		case none && (err != nil || len(patch) > 0):
			t.Errorf("%s: the catalog says it carries no state; the mirror applies it (%v)", p, err)
		case !none && err == nil:
			t.Errorf("%s: the catalog gives a rule (%q); the mirror ignores it", p, r.state)
		}
	}
}

// shapeOf describes a JSON value's shape: the keys of objects (recursively,
// lists by their first element) and the JSON type of leaves.
func shapeOf(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+":"+shapeOf(x[k]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		return "[" + shapeOf(x[0]) + "]"
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return "null"
}

// issue 14 item 10: the document's examples are the wire's: the SNAPSHOT
// reply and every example frame have exactly the keys and JSON types the
// real ones have, and numbers that the wire writes without a fraction are
// written so (tempo 124, not 120.0).
func TestDocExamplesHaveTheWireShape(t *testing.T) {
	doc := repoFile(t, "docs/protocol.md")
	if m := regexp.MustCompile(`[0-9]\.0[,}\] ]`).FindString(strings.Join(codeBlocks(doc, "json"), "")); m != "" {
		t.Errorf("an example writes %q: the wire writes floats without a fraction as integers", m)
	}
	l := startLive(t)
	testkit.WaitFor(t, "the Set in the mirror", 10*time.Second, func() bool { return l.e.Status().Tracks > 0 })
	ex := codeBlocks(section(t, doc, "The state model"), "json")
	var example map[string]any
	if err := json.Unmarshal([]byte(ex[0]), &example); err != nil {
		t.Fatalf("the SNAPSHOT example is not JSON: %v", err)
	}
	state, _ := get(t, l.url("/state"))
	var real map[string]any
	json.Unmarshal(state, &real)
	if got, want := shapeOf(example["state"]), shapeOf(real); got != want {
		t.Errorf("SNAPSHOT example state\n  %s\nthe wire's\n  %s", got, want)
	}
	if tempo := example["state"].(map[string]any)["transport"].(map[string]any)["tempo"]; tempo != real["transport"].(map[string]any)["tempo"] {
		t.Errorf("the example's tempo %v is not the demo Set's %v", tempo, real["transport"].(map[string]any)["tempo"])
	}

	// Real frames of every type the example block shows.
	f := dialFrames(t, l.wsURL())
	realFrames := map[string]map[string]any{}
	for len(realFrames) < 3 {
		m := f.next(t)
		realFrames[m["type"].(string)] = m
	}
	f.conn.WriteMessage(1, []byte(`{"type":"command","id":"7","command":"GET_VIEW","args":[]}`))
	for realFrames["reply"] == nil || realFrames["event"] == nil {
		m := f.next(t)
		if m["type"] == "event" && m["path"] != "/live/track/renamed" {
			if realFrames["event"] == nil && m["path"] == "/live/heartbeat" {
				// any event has the event frame's keys
				realFrames["event"] = m
			}
			continue
		}
		realFrames[m["type"].(string)] = m
	}
	block := codeBlocks(section(t, doc, "A connection, from the first frame to the last"), "json")[0]
	statusDoc := statusDoc(t)
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("example frame %s: %v", line, err)
		}
		typ := m["type"].(string)
		r := realFrames[typ]
		switch typ {
		case "snapshot":
			if shapeOf(m["state"]) != shapeOf(map[string]any{"view": "", "project_path": "", "transport": map[string]any{"playing": false, "tempo": 0.0},
				"cursor": map[string]any{"track": 0.0, "scene": 0.0, "clip_slot": nil}, "tracks": []any{}, "scenes": []any{}}) {
				t.Errorf("the empty snapshot example has the wrong shape: %s", line)
			}
			m["state"], r["state"] = nil, nil
		case "status":
			keys := map[string]bool{}
			flatten("", m["status"], keys)
			for k := range keys {
				if _, ok := statusDoc[k]; !ok {
					t.Errorf("the status example has %q, which /status does not document", k)
				}
			}
			m["status"], r["status"] = nil, nil
		case "reply":
			m["result"], r["result"] = nil, nil
		case "event":
			m["args"], r["args"] = nil, nil
		}
		if shapeOf(m) != shapeOf(r) {
			t.Errorf("example %s frame\n  %s\nthe wire's\n  %s", typ, shapeOf(m), shapeOf(r))
		}
	}
}

// nc sends one line to a command port the way `nc` does and returns every
// byte the server sent before closing.
func nc(t *testing.T, addr, data string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if data != "" {
		c.Write([]byte(data))
	}
	var out strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			return out.String()
		}
	}
}

// issue 14 item 10: port 9001's line rules as docs/protocol.md states them:
// any case, extra arguments ignored, only the first line answered (one
// reply, then the server closes), 2 s to send the line.
func TestPort9001LineRules(t *testing.T) {
	l := startLive(t)
	addr := l.sim.CommandAddr()
	one := func(out string) map[string]any {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 1 {
			t.Fatalf("%d reply lines %q, want exactly one", len(lines), out)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
			t.Fatalf("reply %q: %v", out, err)
		}
		return m
	}
	if r := one(nc(t, addr, "get_view:whatever:else\n")); r["success"] != true || r["view"] == nil {
		t.Errorf("lower case with extra arguments: %v", r)
	}
	if r := one(nc(t, addr, "PING\nGET_VIEW\nGET_STATE\n")); r["pong"] != true {
		t.Errorf("three lines: the first must be the one answered: %v", r)
	}
	start := time.Now()
	r := one(nc(t, addr, ""))
	if d := time.Since(start); r["success"] != false || d < 1500*time.Millisecond || d > 5*time.Second {
		t.Errorf("a silent client: %v after %v, want an error after about 2 s", r, d)
	}
}
