// Package viewer tests the Set Viewer page (bridge/viewer) in a real
// headless Chromium driven over the DevTools protocol: against a stand-in
// bridge (the real wshub.Hub and the real viewer handler, fed patch frames
// the test generates) and against the whole chain (the engine and the real
// Remote Script in the fake Live). The benchmark of the page lives here too.
package viewer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/vimabl/vimabl/bridge/viewer"
	"github.com/vimabl/vimabl/bridge/wshub"
	"github.com/vimabl/vimabl/internal/testkit"
)

// evilHost is a name Chromium resolves to 127.0.0.1 (--host-resolver-rules)
// but that is not a loopback *name*: a page served from it is a foreign web
// origin on this machine, like a site that rebinds its DNS to 127.0.0.1.
const evilHost = "evil.test"

// chromiumPath finds Debian's chromium (make deps installs it).
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is needed for the viewer's browser tests (make deps installs Debian's chromium)")
	return ""
}

// browser starts a headless Chromium that reaches nothing but this machine
// and returns the context of its first tab; it is stopped when the test ends.
func browser(t testing.TB) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		// As root Chromium refuses to start sandboxed.
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		// No network here: without these Chromium keeps trying to reach Google.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("host-resolver-rules", "MAP "+evilHost+" 127.0.0.1"),
		// Timers and animation frames of a page in a background tab are
		// throttled; the tests and the benchmark measure a page in front.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("enable-precise-memory-info", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// do runs chromedp actions, failing the test on error.
func do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) in the page.
func eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %.80q: %v", js, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is true in the page.
func waitJS(t testing.TB, ctx context.Context, what string, d time.Duration, js string) {
	t.Helper()
	testkit.WaitFor(t, what, d, func() bool {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool]("!!("+js+")"))
		return err == nil && ok
	})
}

// colorScheme makes the page see the system's light or dark choice.
func colorScheme(t testing.TB, ctx context.Context, scheme string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		t.Fatal(err)
	}
}

// ---- the stand-in bridge ----

// standIn is the bridge's HTTP side without the engine: the real wshub.Hub
// serving the real viewer handler as the bridge does, fed by the test. Its state is
// changed only through patches, which it applies to its own copy (for the
// snapshots of clients that connect later) and broadcasts as patch-mode
// event frames (docs/protocol.md).
type standIn struct {
	t       testing.TB
	addr    string
	mu      sync.Mutex
	state   any
	session string
	seq     int64
	status  string

	hub    *wshub.Hub
	srv    *http.Server
	cancel context.CancelFunc
	done   chan struct{}
}

func newStandIn(t testing.TB, state any) *standIn {
	s := &standIn{t: t, state: state, session: "standin-1", status: "streaming"}
	s.start("127.0.0.1:0")
	t.Cleanup(s.stop)
	return s
}

func (s *standIn) url(path string) string { return "http://" + s.addr + path }

func (s *standIn) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("stand-in bridge: %v", err)
	}
	s.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.hub = wshub.New(wshub.Config{
		// The viewer as the bridge mounts it: behind the hub's Host guard.
		Page: viewer.Handler(),
		Snapshot: func() wshub.Frame {
			s.mu.Lock()
			defer s.mu.Unlock()
			data, _ := json.Marshal(s.state)
			return wshub.SnapshotFrame(s.session, s.seq, data)
		},
		State: func() (string, int64, []byte) {
			s.mu.Lock()
			defer s.mu.Unlock()
			data, _ := json.Marshal(s.state)
			return s.session, s.seq, data
		},
		StatusNow: func() wshub.Frame { return wshub.StatusFrame(s.statusObj()) },
		Status: func() []byte {
			data, _ := json.Marshal(s.statusObj())
			return data
		},
	})
	s.srv = &http.Server{Handler: s.hub.Handler(ctx), ReadHeaderTimeout: 5 * time.Second}
	s.done = make(chan struct{})
	go func() { s.hub.Run(ctx); close(s.done) }()
	go s.srv.Serve(ln)
}

func (s *standIn) statusObj() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{"state": s.status, "summary": "stand-in: " + s.status}
}

// setStatus changes the connection state and sends the status frame.
func (s *standIn) setStatus(state string) {
	s.mu.Lock()
	s.status = state
	s.mu.Unlock()
	s.hub.Broadcast(wshub.StatusFrame(s.statusObj()))
}

// stop ends the stand-in as a bridge that quits does: clients are closed.
func (s *standIn) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.srv.Close()
	s.cancel = nil
}

// serveAgain serves on the same port again, after stop, as a new session
// whose state is state: a bridge that was restarted.
func (s *standIn) serveAgain(state any, session string) {
	s.mu.Lock()
	s.state, s.session, s.seq = state, session, 0
	s.mu.Unlock()
	testkit.WaitFor(s.t, "the stand-in's port to be free again", 5*time.Second, func() bool {
		ln, err := net.Listen("tcp", s.addr)
		if err == nil {
			ln.Close()
		}
		return err == nil
	})
	s.start(s.addr)
}

// patch applies ops to the stand-in's state and broadcasts them as one
// event frame.
func (s *standIn) patch(ops ...op) {
	s.mu.Lock()
	var err error
	for _, o := range ops {
		if s.state, err = applyOp(s.state, o); err != nil {
			s.mu.Unlock()
			s.t.Fatalf("stand-in patch %+v: %v", o, err)
		}
	}
	s.seq++
	// The event frame as the engine makes it; the hub adds the patch for
	// clients in patch mode, as it does the mirror's.
	f := wshub.EventFrame(s.session, s.seq, time.Now(), "/stand-in/edit", nil)
	p, _ := json.Marshal(ops)
	f.Patch = rawPatch(p)
	s.mu.Unlock()
	s.hub.Broadcast(f)
}

// rawPatch is an encoded JSON Patch, as the hub wants one (wshub.PatchJSON).
type rawPatch []byte

func (p rawPatch) AppendJSON(b []byte) []byte { return append(b, p...) }

func (s *standIn) stateJSON() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, _ := json.Marshal(s.state)
	return data
}

// ---- a small JSON Patch applier for the stand-in's copy ----

// op is one RFC 6902 operation.
type op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	From  string `json:"from,omitempty"`
	Value any    `json:"value,omitempty"`
}

func pointer(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts
}

// applyOp applies add, remove, replace or move to doc (maps and slices of
// decoded JSON) and returns the new document.
func applyOp(doc any, o op) (any, error) {
	switch o.Op {
	case "add", "replace":
		return edit(doc, pointer(o.Path), func(parent any, key string) (any, error) {
			switch p := parent.(type) {
			case map[string]any:
				p[key] = o.Value
				return p, nil
			case []any:
				if key == "-" && o.Op == "add" {
					return append(p, o.Value), nil
				}
				i, err := strconv.Atoi(key)
				if err != nil || i < 0 || i > len(p) || (o.Op == "replace" && i == len(p)) {
					return nil, fmt.Errorf("index %q out of range", key)
				}
				if o.Op == "replace" {
					p[i] = o.Value
					return p, nil
				}
				return append(p[:i], append([]any{o.Value}, p[i:]...)...), nil
			}
			return nil, errors.New("not a container")
		})
	case "remove":
		return edit(doc, pointer(o.Path), func(parent any, key string) (any, error) {
			switch p := parent.(type) {
			case map[string]any:
				delete(p, key)
				return p, nil
			case []any:
				i, err := strconv.Atoi(key)
				if err != nil || i < 0 || i >= len(p) {
					return nil, fmt.Errorf("index %q out of range", key)
				}
				return append(p[:i:i], p[i+1:]...), nil
			}
			return nil, errors.New("not a container")
		})
	case "move":
		v, err := get(doc, pointer(o.From))
		if err != nil {
			return nil, err
		}
		if doc, err = applyOp(doc, op{Op: "remove", Path: o.From}); err != nil {
			return nil, err
		}
		return applyOp(doc, op{Op: "add", Path: o.Path, Value: v})
	}
	return nil, fmt.Errorf("op %q not supported by the stand-in", o.Op)
}

func get(doc any, tokens []string) (any, error) {
	for _, k := range tokens {
		switch d := doc.(type) {
		case map[string]any:
			doc = d[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(d) {
				return nil, fmt.Errorf("index %q out of range", k)
			}
			doc = d[i]
		default:
			return nil, errors.New("not a container")
		}
	}
	return doc, nil
}

// edit calls f on the parent of tokens' last member and stores what f
// returns (a slice may have grown) back into its own parent.
func edit(doc any, tokens []string, f func(parent any, key string) (any, error)) (any, error) {
	if len(tokens) == 0 {
		return nil, errors.New("the stand-in does not replace the root")
	}
	if len(tokens) == 1 {
		return f(doc, tokens[0])
	}
	child, err := get(doc, tokens[:1])
	if err != nil {
		return nil, err
	}
	nc, err := edit(child, tokens[1:], f)
	if err != nil {
		return nil, err
	}
	switch d := doc.(type) {
	case map[string]any:
		d[tokens[0]] = nc
	case []any:
		i, _ := strconv.Atoi(tokens[0])
		d[i] = nc
	}
	return doc, nil
}

// ---- generated Sets ----

var palette = []int{0xff5f5f, 0xffa64d, 0xf2d24b, 0x8bd45a, 0x3fc1c9, 0x4c8dff, 0xa66bf2, 0xf06ba8}
var trackNames = []string{"Drums", "Bass", "Keys", "Pad", "Lead", "Vox", "FX", "Perc"}
var deviceNames = [][2]string{{"EQ Eight", "Eq8"}, {"Compressor", "Compressor2"}, {"Reverb", "Reverb"}, {"Operator", "Operator"}, {"Auto Filter", "AutoFilter"}}
var sceneNames = []string{"Intro", "Verse", "Build", "Drop", "Break", "Chorus", "Bridge", "Outro"}

// genSet builds a Set in the shape of docs/protocol.md's state model:
// regular tracks (audio and MIDI alternating), two returns and the master,
// devices with parameters, and a clip in about half of the slots.
func genSet(tracks, scenes, devices, params int) map[string]any {
	track := func(i int, name, typ string, slots int) map[string]any {
		devs := []any{}
		for d := 0; d < devices; d++ {
			dn := deviceNames[(i+d)%len(deviceNames)]
			ps := []any{}
			for p := 0; p < params; p++ {
				ps = append(ps, map[string]any{"name": fmt.Sprintf("%s %d", []string{"Gain", "Freq", "Res", "Mix", "Attack", "Release", "Drive", "Width"}[p%8], p/8+1),
					"value": float64((i*7+d*3+p)%100) / 100, "min": 0.0, "max": 1.0})
			}
			devs = append(devs, map[string]any{"name": dn[0], "class_name": dn[1], "parameters": ps})
		}
		ss := []any{}
		for s := 0; s < slots; s++ {
			slot := map[string]any{"has_clip": false, "has_stop_button": true, "playing_status": 0, "color": 0, "clip": nil}
			if (i+s)%2 == 0 {
				c := palette[(i+s)%len(palette)]
				slot["has_clip"], slot["color"] = true, c
				slot["clip"] = map[string]any{"name": fmt.Sprintf("%s %d", trackNames[i%len(trackNames)], s+1), "color": c, "muted": false, "looping": true}
				if s == 1 {
					slot["playing_status"] = 1
				}
			}
			ss = append(ss, slot)
		}
		return map[string]any{"name": name, "type": typ, "mute": i%5 == 3, "solo": false, "arm": typ == "midi" && i%4 == 1,
			"volume": 0.85 - 0.05*float64(i%5), "color": palette[i%len(palette)], "devices": devs, "clip_slots": ss}
	}
	ts := []any{}
	for i := 0; i < tracks; i++ {
		typ := "audio"
		if i%2 == 1 {
			typ = "midi"
		}
		ts = append(ts, track(i, fmt.Sprintf("%d-%s", i+1, trackNames[i%len(trackNames)]), typ, scenes))
	}
	ts = append(ts, track(tracks, "A-Reverb", "return", 0), track(tracks+1, "B-Delay", "return", 0), track(tracks+2, "Master", "master", 0))
	sc := []any{}
	for s := 0; s < scenes; s++ {
		name := sceneNames[s%len(sceneNames)]
		if s >= len(sceneNames) {
			name = fmt.Sprintf("Scene %d", s+1)
		}
		color := 0
		if s%3 == 0 {
			color = palette[s%len(palette)]
		}
		sc = append(sc, map[string]any{"name": name, "color": color, "is_triggered": false})
	}
	return map[string]any{
		"view": "session", "project_path": "/Users/demo/Music/Rehearsal Project/Rehearsal.als",
		"transport": map[string]any{"playing": true, "tempo": 124.0},
		"cursor":    map[string]any{"track": 0, "scene": 0, "clip_slot": map[string]any{"track": 0, "scene": 0, "has_clip": true, "is_playing": false, "is_triggered": false}},
		"tracks":    ts, "scenes": sc,
	}
}

// roundTrip gives a generated Set the types JSON decoding gives (float64
// numbers, []any), so the stand-in's copy compares equal to /state.
func roundTrip(v any) any {
	data, _ := json.Marshal(v)
	var out any
	json.Unmarshal(data, &out)
	return out
}
