package viewer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vimabl/vimabl/internal/testkit"
)

// watchScript runs in every page before its own scripts (DevTools injects
// it; the page's CSP does not apply to it) and records uncaught errors and
// CSP violations, so a test can assert there were none.
const watchScript = `
window.__problems = [];
addEventListener("error", (e) => __problems.push("error: " + e.message));
addEventListener("unhandledrejection", (e) => __problems.push("rejection: " + e.reason));
document.addEventListener("securitypolicyviolation", (e) => __problems.push("csp: " + e.violatedDirective + " " + e.blockedURI));
`

// openViewer navigates the browser to the viewer at base and waits until
// it shows a Set.
func openViewer(t testing.TB, ctx context.Context, base string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watchScript}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(base+"/"))
	waitJS(t, ctx, "the viewer to render the snapshot", 10*time.Second, `document.querySelectorAll("#tree li[data-kind=track]").length > 0`)
}

// noProblems fails the test if the page threw or violated its CSP.
func noProblems(t testing.TB, ctx context.Context) {
	t.Helper()
	if p := eval[[]string](t, ctx, `window.__problems`); len(p) > 0 {
		t.Fatalf("the page had problems: %q", p)
	}
}

// domSet is what the page shows, read from its DOM with every fold open.
type domSet struct {
	Tracks []domTrack `json:"tracks"`
	Scenes []string   `json:"scenes"`
	Cols   []string   `json:"cols"`
	Cells  [][]string `json:"cells"`
}

type domTrack struct {
	Name    string      `json:"name"`
	Type    string      `json:"type"`
	Devices []domDevice `json:"devices"`
	Clips   []string    `json:"clips"`
}

type domDevice struct {
	Name   string   `json:"name"`
	Params []string `json:"params"`
}

// readDOM opens every fold (zR, as a user would) and reads the tree and the
// grid; ghosts of removed rows are not part of the Set.
const readDOM = `(() => {
  const txt = (e, sel) => { const x = e.querySelector(sel); return x ? x.textContent : null; };
  const kids = (li, kind) => Array.from(li.querySelectorAll(":scope > ul.children > li[data-kind=" + kind + "]"));
  const tracks = Array.from(document.querySelectorAll("#tree li[data-kind=track]")).map((li) => ({
    name: txt(li, ":scope > .row .name"), type: txt(li, ":scope > .row .type"),
    devices: kids(li, "device").map((d) => ({ name: txt(d, ":scope > .row .name"),
      params: kids(d, "param").map((p) => txt(p, ":scope > .row .name")) })),
    clips: kids(li, "slot").map((s) => txt(s, ":scope > .row .name")),
  }));
  const scenes = Array.from(document.querySelectorAll("#tree li[data-kind=scene]")).map((li) => txt(li, ":scope > .row .name"));
  const cols = Array.from(document.querySelectorAll("#grid .heads > .col")).map((th) => txt(th, ".name"));
  const cells = Array.from(document.querySelectorAll("#grid .grid-body > .grid-row")).map((tr) =>
    Array.from(tr.querySelectorAll(".cell")).map((td) => txt(td, ".name")));
  return { tracks, scenes, cols, cells };
})()`

// expectDOM is what the page must show for a state (docs/protocol.md's model).
func expectDOM(t testing.TB, stateJSON []byte) domSet {
	t.Helper()
	var st struct {
		Tracks []struct {
			Name, Type string
			Devices    []struct {
				Name       string
				Parameters []struct{ Name string }
			}
			ClipSlots []struct {
				Clip *struct{ Name string }
			} `json:"clip_slots"`
		}
		Scenes []struct{ Name string }
	}
	if err := json.Unmarshal(stateJSON, &st); err != nil {
		t.Fatal(err)
	}
	d := domSet{Tracks: []domTrack{}, Scenes: []string{}, Cols: []string{}, Cells: [][]string{}}
	for _, sc := range st.Scenes {
		d.Scenes = append(d.Scenes, sc.Name)
		d.Cells = append(d.Cells, []string{})
	}
	for _, tr := range st.Tracks {
		dt := domTrack{Name: tr.Name, Type: tr.Type, Devices: []domDevice{}, Clips: []string{}}
		for _, dev := range tr.Devices {
			dd := domDevice{Name: dev.Name, Params: []string{}}
			for _, p := range dev.Parameters {
				dd.Params = append(dd.Params, p.Name)
			}
			dt.Devices = append(dt.Devices, dd)
		}
		regular := tr.Type != "return" && tr.Type != "master"
		if regular {
			d.Cols = append(d.Cols, tr.Name)
		}
		for i, s := range tr.ClipSlots {
			name := "—"
			cell := ""
			if s.Clip != nil {
				name, cell = s.Clip.Name, s.Clip.Name
			}
			dt.Clips = append(dt.Clips, name)
			if regular && i < len(d.Cells) {
				d.Cells[i] = append(d.Cells[i], cell)
			}
		}
		d.Tracks = append(d.Tracks, dt)
	}
	return d
}

// showsState waits until the page, all folds open, shows exactly state.
func showsState(t testing.TB, ctx context.Context, stateJSON func() []byte) {
	t.Helper()
	var got, want domSet
	deadline := time.Now().Add(10 * time.Second)
	for {
		want = expectDOM(t, stateJSON())
		do(t, ctx, chromedp.KeyEvent("z"), chromedp.KeyEvent("R"))
		got = eval[domSet](t, ctx, readDOM)
		if reflect.DeepEqual(got, want) {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling the page for a condition, with a deadline
	}
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	t.Fatalf("the page does not show the Set:\n got %s\nwant %s", g, w)
}

// screenshot saves a PNG of the page into dir when dir is set.
func screenshot(t testing.TB, ctx context.Context, dir, name string) {
	t.Helper()
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s", filepath.Join(dir, name))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestViewerFollowsTheSet is issue 15 in a real Chromium against the
// stand-in bridge (the real hub and handler): the page renders the
// snapshot, applies patches generically (adds, removes, moves, replaces
// anywhere in the state) so that its tree and grid always equal the
// bridge's state; it marks added rows, follows and scrolls to Live's
// selection, obeys j/k/h/l/Enter and the / filter, says when Live is not
// connected, follows the system's colour scheme, and never trips its CSP.
func TestViewerFollowsTheSet(t *testing.T) {
	ctx := browser(t)
	s := newStandIn(t, roundTrip(genSet(40, 6, 2, 3)))
	openViewer(t, ctx, "http://"+s.addr)
	showsState(t, ctx, s.stateJSON) // issue 15 item "renders the snapshot"

	// Patches of every kind, anywhere: the DOM equals the state after them.
	newTrack := roundTrip(genSet(1, 6, 1, 2)).(map[string]any)["tracks"].([]any)[0].(map[string]any)
	newTrack["name"] = "New ~/ Track"
	s.patch(op{Op: "add", Path: "/tracks/2", Value: newTrack})
	s.patch(op{Op: "replace", Path: "/tracks/0/name", Value: "Drums Renamed"})
	s.patch(op{Op: "remove", Path: "/tracks/3/devices/0"})
	s.patch(op{Op: "replace", Path: "/tracks/4/clip_slots/1/clip", Value: map[string]any{"name": "Fresh Clip", "color": 0x3fc1c9, "muted": false, "looping": true}})
	s.patch(op{Op: "move", From: "/scenes/5", Path: "/scenes/0"})
	s.patch(op{Op: "replace", Path: "/tracks/5/devices/1/parameters/2/name", Value: "Cutoff"})
	s.patch(op{Op: "remove", Path: "/tracks/6"})
	// A scene added with its row of slots, slot by slot as the mirror does.
	sceneOps := []op{{Op: "add", Path: "/scenes/2", Value: map[string]any{"name": "Inserted", "color": 0, "is_triggered": false}}}
	for i := 0; i < 40; i++ {
		sceneOps = append(sceneOps, op{Op: "add", Path: fmt.Sprintf("/tracks/%d/clip_slots/2", i),
			Value: map[string]any{"has_clip": false, "has_stop_button": true, "playing_status": 0, "color": 0, "clip": nil}})
	}
	s.patch(sceneOps...)
	s.patch(op{Op: "add", Path: "/tracks/0/clip_slots/2/clip", Value: map[string]any{"name": "In the new scene", "color": 0xff5f5f, "muted": false, "looping": false}})
	showsState(t, ctx, s.stateJSON)

	t.Run("added track carries the added indicator", func(t *testing.T) {
		s.patch(op{Op: "add", Path: "/tracks/1", Value: roundTrip(newTrack)})
		waitJS(t, ctx, "the added track's row to be marked", 3*time.Second,
			`document.querySelectorAll("#tree li[data-kind=track]")[1].querySelector(":scope > .row").classList.contains("is-added")`)
		if eval[bool](t, ctx, `document.querySelectorAll("#tree li[data-kind=track]")[0].querySelector(":scope > .row").classList.contains("is-added")`) {
			t.Fatal("an unchanged track is marked as added")
		}
	})

	t.Run("highlight follows the selection and scrolls to it", func(t *testing.T) {
		for _, i := range []int{35, 3} {
			s.patch(op{Op: "replace", Path: "/cursor/track", Value: i})
			defer func() {
				if t.Failed() {
					t.Log(eval[string](t, ctx, fmt.Sprintf(`(() => { const rows = document.querySelectorAll("#tree li[data-kind=track] > .row");
						const r = rows[%d].getBoundingClientRect(), v = document.getElementById("tree").getBoundingClientRect();
						return JSON.stringify({cls: rows[%d].className, n: document.querySelectorAll("#tree li[data-kind=track] > .row.cursor").length, r: [r.top, r.bottom], v: [v.top, v.bottom], cur: vimablViewer.state.cursor}); })()`, i, i)))
				}
			}()
			waitJS(t, ctx, fmt.Sprintf("track %d to be highlighted", i), 3*time.Second, fmt.Sprintf(`(() => {
				const rows = document.querySelectorAll("#tree li[data-kind=track] > .row");
				const r = rows[%d].getBoundingClientRect(), v = document.getElementById("tree").getBoundingClientRect();
				return rows[%d].classList.contains("cursor") && document.querySelectorAll("#tree li[data-kind=track] > .row.cursor").length === 1 &&
					r.top >= v.top - 1 && r.bottom <= v.bottom + 1;
			})()`, i, i))
		}
	})

	t.Run("keys: zM, j/k, Enter, h/l, / filter", func(t *testing.T) {
		do(t, ctx, chromedp.KeyEvent("z"), chromedp.KeyEvent("M"), chromedp.KeyEvent("g"), chromedp.KeyEvent("j"), chromedp.KeyEvent("j"))
		focused := `(() => { const f = document.querySelector("#tree .row.focus"); return f ? f.querySelector(".name").textContent : ""; })()`
		second := eval[string](t, ctx, `document.querySelectorAll("#tree li[data-kind=track] > .row .name")[2].textContent`)
		if got := eval[string](t, ctx, focused); got != second {
			t.Fatalf("g j j focuses %q, want the third track %q", got, second)
		}
		do(t, ctx, chromedp.KeyEvent("k"))
		do(t, ctx, chromedp.KeyEvent("\r"))
		open := `document.querySelector("#tree .row.focus").parentElement.classList.contains("open")`
		if !eval[bool](t, ctx, open) {
			t.Fatal("Enter does not open the focused track")
		}
		do(t, ctx, chromedp.KeyEvent("h"))
		if eval[bool](t, ctx, open) {
			t.Fatal("h does not close the focused track")
		}
		do(t, ctx, chromedp.KeyEvent("l"))
		if !eval[bool](t, ctx, open) {
			t.Fatal("l does not open the focused track")
		}
		do(t, ctx, chromedp.KeyEvent("/"), chromedp.KeyEvent("bass"))
		visible := `Array.from(document.querySelectorAll("#tree li[data-kind=track]")).filter((li) => li.offsetParent !== null).map((li) => li.querySelector(".name").textContent)`
		names := eval[[]string](t, ctx, visible)
		if len(names) == 0 {
			t.Fatalf("the filter %q hides every track", eval[string](t, ctx, `document.getElementById("filter").value`))
		}
		for _, n := range names {
			if !strings.Contains(strings.ToLower(n), "bass") {
				t.Fatalf("the filter 'bass' shows %q (all shown: %q)", n, names)
			}
		}
		do(t, ctx, chromedp.KeyEvent(kbEscape))
		if n := len(eval[[]string](t, ctx, visible)); n != 44 {
			t.Fatalf("Escape leaves %d tracks shown, want all 44", n)
		}
	})

	t.Run("banner says Live is not connected", func(t *testing.T) {
		s.setStatus("waiting")
		waitJS(t, ctx, "the banner to say Live is not connected", 3*time.Second,
			`!document.getElementById("banner").hidden && document.getElementById("banner-text").textContent.includes("Live is not connected")`)
		s.setStatus("streaming")
		waitJS(t, ctx, "the banner to go", 3*time.Second, `document.getElementById("banner").hidden`)
	})

	t.Run("dark and light follow the system", func(t *testing.T) {
		bg := `getComputedStyle(document.body).backgroundColor`
		colorScheme(t, ctx, "dark")
		dark := eval[string](t, ctx, bg)
		colorScheme(t, ctx, "light")
		light := eval[string](t, ctx, bg)
		if dark != "rgb(22, 24, 28)" || light != "rgb(246, 247, 249)" {
			t.Fatalf("background dark %s, light %s", dark, light)
		}
	})
	noProblems(t, ctx)
}

// TestViewerReconnects is issue 15's reconnect item: when the bridge goes,
// the banner says so and that it is reconnecting; when it is back (a new
// session, another Set) the page starts again from the new snapshot by
// itself.
func TestViewerReconnects(t *testing.T) {
	ctx := browser(t)
	s := newStandIn(t, roundTrip(genSet(3, 2, 1, 2)))
	openViewer(t, ctx, "http://"+s.addr)
	showsState(t, ctx, s.stateJSON)
	s.stop()
	waitJS(t, ctx, "the banner to say the bridge is gone and it is reconnecting", 5*time.Second,
		`!document.getElementById("banner").hidden && /gone.*Reconnecting in \d+ s/.test(document.getElementById("banner-text").textContent)`)
	s.serveAgain(roundTrip(genSet(5, 4, 2, 2)), "standin-2")
	showsState(t, ctx, s.stateJSON)
	waitJS(t, ctx, "the banner to go", 5*time.Second, `document.getElementById("banner").hidden`)
	noProblems(t, ctx)
}

// foreignPage tries, from whatever origin serves it, to open the bridge's
// WebSocket and to read its /state, and puts the outcome in its title.
const foreignPage = `<!doctype html><title>running</title><script>
const out = {ws: "pending", state: "pending"};
const done = () => { if (out.ws !== "pending" && out.state !== "pending") document.title = JSON.stringify(out); };
const ws = new WebSocket("ws://BRIDGE/ws?patch=1");
ws.onmessage = () => { out.ws = "open"; done(); };
ws.onerror = () => { if (out.ws === "pending") { out.ws = "refused"; done(); } };
fetch("http://BRIDGE/state").then((r) => r.text()).then(() => { out.state = "read"; done(); }, () => { out.state = "refused"; done(); });
</script>`

// TestViewerForeignOriginRefused is issue 15's safety item: a page from a
// foreign origin on this machine (evil.test, resolved to 127.0.0.1) can
// neither open the WebSocket the viewer uses nor read /state, while a page
// from another localhost port can (so the test can tell the two apart);
// and the viewer is not served under a foreign Host name.
func TestViewerForeignOriginRefused(t *testing.T) {
	ctx := browser(t)
	s := newStandIn(t, roundTrip(genSet(2, 2, 1, 1)))
	other := httptestServer(t, strings.ReplaceAll(foreignPage, "BRIDGE", s.addr))
	port := other[strings.LastIndex(other, ":")+1:]
	for _, c := range []struct{ origin, want string }{
		{"http://" + evilHost + ":" + port, `{"ws":"refused","state":"refused"}`},
		{"http://localhost:" + port, `{"ws":"open","state":"read"}`},
	} {
		do(t, ctx, chromedp.Navigate(c.origin+"/"))
		testkit.WaitFor(t, "the page at "+c.origin+" to finish", 10*time.Second, func() bool {
			return eval[string](t, ctx, "document.title") != "running"
		})
		if got := eval[string](t, ctx, "document.title"); got != c.want {
			t.Errorf("a page from %s: %s, want %s", c.origin, got, c.want)
		}
	}
	// DNS rebinding: the viewer itself, asked for under a foreign name
	// that resolves to 127.0.0.1, is refused by the Host rule of /ws.
	do(t, ctx, chromedp.Navigate("http://"+evilHost+":"+s.addr[strings.LastIndex(s.addr, ":")+1:]+"/"))
	if body := eval[string](t, ctx, "document.body.innerText"); !strings.Contains(body, "requests must address localhost") {
		t.Errorf("the viewer under a foreign Host name answered %q", body)
	}
}

// TestPatchApplier runs RFC 6902's examples (appendix A) and RFC 6901's
// pointer escapes against the page's own patch.js, in the browser.
func TestPatchApplier(t *testing.T) {
	ctx := browser(t)
	s := newStandIn(t, roundTrip(genSet(1, 1, 1, 1)))
	openViewer(t, ctx, "http://"+s.addr)
	fails := eval[[]string](t, ctx, patchVectors)
	if len(fails) > 0 {
		t.Fatalf("patch.js: %q", fails)
	}
}

// patchVectors returns the list of failed cases (empty: all pass).
const patchVectors = `import("/patch.js").then(({ applyPatch, parsePointer }) => {
  const fails = [];
  const ok = (name, doc, ops, want) => {
    try {
      const got = applyPatch(JSON.parse(JSON.stringify(doc)), ops);
      if (JSON.stringify(got) !== JSON.stringify(want)) fails.push(name + ": got " + JSON.stringify(got));
    } catch (e) { fails.push(name + ": threw " + e.message); }
  };
  const bad = (name, doc, ops) => {
    try { applyPatch(JSON.parse(JSON.stringify(doc)), ops); fails.push(name + ": did not fail"); } catch (e) {
      if (e.name !== "Error" && !(e instanceof Error)) fails.push(name + ": wrong error " + e);
    }
  };
  ok("A.1 add member", {foo: "bar"}, [{op: "add", path: "/baz", value: "qux"}], {foo: "bar", baz: "qux"});
  ok("A.2 add array element", {foo: ["bar", "baz"]}, [{op: "add", path: "/foo/1", value: "qux"}], {foo: ["bar", "qux", "baz"]});
  ok("A.3 remove member", {baz: "qux", foo: "bar"}, [{op: "remove", path: "/baz"}], {foo: "bar"});
  ok("A.4 remove element", {foo: ["bar", "qux", "baz"]}, [{op: "remove", path: "/foo/1"}], {foo: ["bar", "baz"]});
  ok("A.5 replace", {baz: "qux", foo: "bar"}, [{op: "replace", path: "/baz", value: "boo"}], {baz: "boo", foo: "bar"});
  ok("A.6 move member", {foo: {bar: "baz", waldo: "fred"}, qux: {corge: "grault"}}, [{op: "move", from: "/foo/waldo", path: "/qux/thud"}],
     {foo: {bar: "baz"}, qux: {corge: "grault", thud: "fred"}});
  ok("A.7 move element", {foo: ["all", "grass", "cows", "eat"]}, [{op: "move", from: "/foo/1", path: "/foo/3"}], {foo: ["all", "cows", "eat", "grass"]});
  ok("A.8 test", {baz: "qux", foo: ["a", 2, "c"]}, [{op: "test", path: "/baz", value: "qux"}, {op: "test", path: "/foo/1", value: 2}], {baz: "qux", foo: ["a", 2, "c"]});
  bad("A.9 test fails", {baz: "qux"}, [{op: "test", path: "/baz", value: "bar"}]);
  ok("A.10 add nested", {foo: "bar"}, [{op: "add", path: "/child", value: {grandchild: {}}}], {foo: "bar", child: {grandchild: {}}});
  bad("A.12 add to nonexistent", {foo: "bar"}, [{op: "add", path: "/baz/bat", value: "qux"}]);
  ok("A.14 ~ escapes", {"/": 9, "~1": 10}, [{op: "test", path: "/~01", value: 10}], {"/": 9, "~1": 10});
  ok("A.16 append with -", {foo: ["bar"]}, [{op: "add", path: "/foo/-", value: ["abc", "def"]}], {foo: ["bar", ["abc", "def"]]});
  ok("copy", {a: {b: 1}}, [{op: "copy", from: "/a", path: "/c"}], {a: {b: 1}, c: {b: 1}});
  ok("replace root", {a: 1}, [{op: "replace", path: "", value: [1]}], [1]);
  ok("~1 is a slash", {"a/b": 1}, [{op: "replace", path: "/a~1b", value: 2}], {"a/b": 2});
  bad("index out of range", {a: [1]}, [{op: "add", path: "/a/2", value: 0}]);
  bad("leading zero index", {a: [1, 2]}, [{op: "remove", path: "/a/01"}]);
  bad("replace missing", {a: 1}, [{op: "replace", path: "/b", value: 2}]);
  bad("unknown op", {}, [{op: "frob", path: "/a"}]);
  bad("move into itself", {a: {b: {}}}, [{op: "move", from: "/a", path: "/a/b/c"}]);
  if (JSON.stringify(parsePointer("/a~1b/~0c/")) !== JSON.stringify(["a/b", "~c", ""])) fails.push("parsePointer");
  return fails;
})`

// kbEscape is the Escape key for chromedp.KeyEvent.
const kbEscape = "\u001b"

// httptestServer serves one HTML page (with inline script: it is the other
// site, not ours) on a loopback port and returns its address.
func httptestServer(t testing.TB, html string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(html))
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}
