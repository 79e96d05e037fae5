package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vimabl/vimabl/bridge"
	"github.com/vimabl/vimabl/bridge/livelog"
	"github.com/vimabl/vimabl/install"
	"github.com/vimabl/vimabl/internal/testkit"
	"github.com/vimabl/vimabl/livepaths"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

func menuLabels(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		if !it.IsSeparator {
			out = append(out, it.Label)
		}
	}
	return out
}

func TestTrayMenuFollowsState(t *testing.T) {
	v := View{
		Status:  bridge.Status{State: bridge.StateStreaming, Summary: "Live connected · 12 tracks · 120 BPM"},
		Install: InstallView{Known: true, State: install.Older, Installed: "0.0.9", Bundled: "0.1.0"},
	}
	m := buildTrayMenu(v, trayActions{})
	labels := menuLabels(m)
	want := []string{"Live connected · 12 tracks · 120 BPM", "Open VimAbl…", "Open Set Viewer", "Update Remote Script (0.0.9 › 0.1.0)",
		"Open Remote Scripts Folder", "Show Live Log", "How to Reload the Script", "Copy Diagnostics", "Start at Login", "Quit VimAbl"}
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Fatalf("menu %q", labels)
	}
	if !m.Items[0].Disabled {
		t.Error("the status line is information, not an action")
	}
	// issue 15: the Set Viewer can be opened only while the HTTP port is bound.
	if !m.Items[3].Disabled {
		t.Error("Open Set Viewer must be disabled while the bridge's HTTP port is not bound")
	}
	bound := v
	bound.Status.Ports = []bridge.PortStatus{{Name: "events", Addr: "127.0.0.1:9002", OK: true}, {Name: "websocket", Addr: "127.0.0.1:8765", OK: true}}
	if it := buildTrayMenu(bound, trayActions{}).Items[3]; it.Disabled || viewerURL(bound) != "http://127.0.0.1:8765/" {
		t.Errorf("bound: %+v, url %q", it, viewerURL(bound))
	}
	if last := m.Items[len(m.Items)-1]; !last.IsQuit {
		t.Error("Quit must be marked IsQuit so fyne adds no second one")
	}
	for st, want := range map[install.State]string{install.NotInstalled: "Install Remote Script (0.1.0)", install.UpToDate: "Reinstall Remote Script (0.1.0)"} {
		v.Install.State = st
		if got := buildTrayMenu(v, trayActions{}).Items[4].Label; got != want {
			t.Errorf("%v: %q, want %q", st, got, want)
		}
	}
	v.Install.Busy = true
	if it := buildTrayMenu(v, trayActions{}).Items[4]; !it.Disabled || it.Label != "Installing Remote Script…" {
		t.Errorf("busy: %+v", it)
	}
	v.AutoStart = true
	if !buildTrayMenu(v, trayActions{}).Items[10].Checked {
		t.Error("Start at Login must be checked when enabled")
	}
	for st, icon := range map[bridge.ConnState]string{bridge.StateNotInstalled: "not-installed", bridge.StateWaiting: "waiting",
		bridge.StateReachable: "waiting", bridge.StateStreaming: "streaming", bridge.StateDegraded: "problem", bridge.StatePortConflict: "problem",
		bridge.StatePortError: "problem", bridge.StateTwoScripts: "problem", bridge.StateLiveBusy: "waiting"} {
		if got := trayState(View{Status: bridge.Status{State: st}}); got != icon {
			t.Errorf("%v → %s, want %s", st, got, icon)
		}
	}
}

// Commands in a fix line lose their backticks, which the italic face draws
// over the letter before them (issue 12, seen under Linux and Wine).
func TestFixTextHasNoBackticks(t *testing.T) {
	if got := fixText("quit that process: `kill 42`"); got != `quit that process: "kill 42"` {
		t.Errorf("fixText: %q", got)
	}
}

// A second script streaming, or a burst of lost events, is no disconnect:
// only crossing between connected and not connected notifies.
func TestTransitionNotice(t *testing.T) {
	for _, c := range []struct {
		from, to bridge.ConnState
		want     string
	}{
		{bridge.StateWaiting, bridge.StateStreaming, "Live connected"},
		{bridge.StateReachable, bridge.StateTwoScripts, "Live connected"},
		{bridge.StateStreaming, bridge.StateTwoScripts, ""},
		{bridge.StateTwoScripts, bridge.StateStreaming, ""},
		{bridge.StateStreaming, bridge.StateDegraded, ""},
		{bridge.StateDegraded, bridge.StateWaiting, "Live disconnected"},
		{bridge.StateTwoScripts, bridge.StatePortConflict, "Live disconnected"},
		{bridge.StateWaiting, bridge.StatePortError, ""},
		{bridge.StateStreaming, bridge.StateLiveBusy, ""},
		{bridge.StateLiveBusy, bridge.StateStreaming, ""},
	} {
		if got := transitionNotice(c.from, c.to); got != c.want {
			t.Errorf("%v → %v: %q, want %q", c.from, c.to, got, c.want)
		}
	}
}

func TestStatusRowsShowFixesWhenRed(t *testing.T) {
	v := View{Now: time.Now(), Status: bridge.Status{
		State: bridge.StatePortConflict, Summary: "Port 9002 (UDP) is used by another program",
		Ports: []bridge.PortStatus{{Name: "events", Addr: "127.0.0.1:9002", Err: "Port 9002 (UDP) is used by another program"}},
	}}
	a := test.NewTempApp(t)
	st := newStatusTab(nil)
	w := a.NewWindow("t")
	w.SetContent(st.object())
	st.update(v)
	if st.headline.Text != "Port 9002 (UDP) is used by another program" {
		t.Fatalf("headline %q", st.headline.Text)
	}
	var port *statusRow
	for _, r := range st.rows {
		if r.title.Text == "Bridge port: events" {
			port = r
		}
	}
	if port == nil || port.dot.FillColor != red || !port.fix.Visible() || !strings.Contains(port.fix.Text, "used by another program") {
		t.Fatalf("the port row must be red with its fix: %+v", port)
	}
	// With the engine's fix (naming the holder), the fix line says what to
	// do and the detail what is wrong.
	v.Status.Ports[0].Fix = "Quit python3, or move VimAbl's events to another port"
	st.update(v)
	if !strings.HasPrefix(port.fix.Text, "Fix: Quit python3") || !strings.Contains(port.detail.Text, "used by another program") {
		t.Fatalf("fix %q, detail %q", port.fix.Text, port.detail.Text)
	}
	v.Status.Ports[0].OK, v.Status.Ports[0].Err, v.Status.Ports[0].Fix = true, "", ""
	st.update(v)
	if port.dot.FillColor != green || port.fix.Visible() {
		t.Fatal("a fixed row turns green and drops its fix")
	}
}

func entries(n int) []livelog.Entry {
	out := make([]livelog.Entry, n)
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for i := range out {
		e := livelog.Entry{ID: uint64(i + 1), Time: t0.Add(time.Duration(i) * time.Millisecond), Level: livelog.LevelInfo,
			Component: "Observers", Message: fmt.Sprintf("line %d", i)}
		if i%10 == 0 {
			e.Level, e.Component, e.Message = livelog.LevelWarning, "Server", fmt.Sprintf("port busy %d", i)
		}
		if i%1000 == 999 {
			e.Level, e.Source, e.Component = livelog.LevelError, livelog.SourceScriptError, "Traceback"
			e.Traceback = []string{"Traceback (most recent call last):", `  File "x.py", line 1`, "ValueError: boom"}
			e.Message = "ValueError: boom"
		}
		out[i] = e
	}
	return out
}

func TestLogFilterSearchAndClear(t *testing.T) {
	a := test.NewTempApp(t)
	var copied string
	lt := newLogTab(func(s string) { copied = s })
	w := a.NewWindow("log")
	w.SetContent(lt.object())
	w.Resize(fyne.NewSize(800, 600))
	// 80 000 lines: within both of the view's bounds (entries and bytes).
	lt.append(entries(80000), []string{"Observers", "Server", "Traceback"})
	if got := len(lt.m.visible); got != 80000 {
		t.Fatalf("visible %d", got)
	}
	// issue 11 item 1: the filter names the level WARN, as the script does
	// (SetSelected ignores a text that is not an option).
	lt.level.SetSelected("WARN and above")
	if got := len(lt.m.visible); got != 8080 { // 8 000 warnings and 80 tracebacks
		t.Fatalf("WARN+: %d, want 8080", got)
	}
	lt.level.SetSelected(levelChoices[0])
	lt.component.SetSelected("Traceback")
	if got := len(lt.m.visible); got != 80 {
		t.Fatalf("component filter: %d", got)
	}
	lt.component.SetSelected("All components")
	test.Type(lt.search, "port busy 79990")
	if got := len(lt.m.visible); got != 1 {
		t.Fatalf("search: %d", got)
	}
	lt.search.SetText("")
	// Tracebacks are grouped: one row, the exception in the row, every line in the detail.
	lt.component.SetSelected("Traceback")
	lt.list.Select(0)
	if !strings.Contains(lt.detail.Text, `File "x.py", line 1`) || !strings.Contains(oneLine(lt.m.at(0)), "Traceback (3 lines) — ValueError: boom") {
		t.Fatalf("detail %q", lt.detail.Text)
	}
	if lt.follow.Checked {
		t.Error("selecting a line pauses following")
	}
	test.Tap(lt.copyBtn)
	if !strings.Contains(copied, "ValueError: boom") {
		t.Fatalf("copied %q", copied)
	}
	test.Tap(lt.clearBtn)
	if len(lt.m.visible) != 0 {
		t.Fatal("clear view hides what was there")
	}
	more := entries(80005)[80000:]
	lt.append(more, nil)
	lt.component.SetSelected("All components")
	if got := len(lt.m.visible); got != 5 {
		t.Fatalf("after clear, only new lines show: %d", got)
	}
}

func TestLogKeepsUpWithAThousandLinesPerSecond(t *testing.T) {
	// Not a timing assertion: a bounded model. 300 appends of 1 000 lines
	// keep at most maxLogEntries and the newest line is last.
	var m logModel
	all := entries(300000)
	for i := 0; i < len(all); i += 1000 {
		m.add(all[i : i+1000])
	}
	if len(m.entries) > maxLogEntries || m.entries[len(m.entries)-1].ID != 300000 {
		t.Fatalf("kept %d, last %d", len(m.entries), m.entries[len(m.entries)-1].ID)
	}
}

func TestSetupInstallsForReal(t *testing.T) {
	home := t.TempDir()
	env := livepaths.Env{OS: "darwin", Home: home, UserProfile: home}
	if err := os.MkdirAll(livepaths.DefaultUserLibrary(env), 0o755); err != nil {
		t.Fatal(err)
	}
	opts := install.Options{Env: env}
	for st, want := range map[install.State]string{install.NotInstalled: "Install Remote Script", install.Older: "Update Remote Script",
		install.UpToDate: "Reinstall", install.Modified: "Reinstall (keep a backup)"} {
		if got, ok := buttonText(InstallView{Known: true, State: st}); got != want || !ok {
			t.Errorf("%v: %q %v", st, got, ok)
		}
	}
	if _, ok := buttonText(InstallView{Known: true, State: install.Foreign}); ok {
		t.Error("a folder VimAbl did not make is not replaced from a button")
	}

	eng, err := bridge.New(bridge.Config{EventsAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", CommandAddr: freeAddr(t),
		LiveLogPath: filepath.Join(home, "Log.txt")})
	if err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	u := newUI(a, Options{Engine: eng, Install: opts})
	u.mu.Lock()
	u.inst = InstallView{Known: true, State: install.NotInstalled, Bundled: remotescript.Version()}
	u.mu.Unlock()
	u.setup.update(u.view().Install)
	if u.setup.button.Text != "Install Remote Script" || u.setup.button.Disabled() {
		t.Fatalf("button %q disabled %v", u.setup.button.Text, u.setup.button.Disabled())
	}
	test.Tap(u.setup.button)
	deadline := time.Now().Add(10 * time.Second)
	for {
		u.mu.Lock()
		iv := u.inst
		u.mu.Unlock()
		if !iv.Busy && iv.Result != "" {
			if iv.Failed || iv.State != install.UpToDate || !strings.Contains(iv.Result, "restart Live") {
				t.Fatalf("install: %+v", iv)
			}
			u.setup.update(iv)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("install did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if u.setup.button.Text != "Reinstall" || !strings.Contains(u.setup.state.Text, "up to date") {
		t.Fatalf("after install: %q / %q", u.setup.button.Text, u.setup.state.Text)
	}
	if _, err := os.Stat(filepath.Join(livepaths.DefaultUserLibrary(env), "Remote Scripts", "VimAbl", "__init__.py")); err != nil {
		t.Fatal("the button did not install the script")
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The status view follows a real engine as the real script connects.
func TestStatusFollowsTheEngineWithTheRealScript(t *testing.T) {
	cmd := freeAddr(t)
	eng, err := bridge.New(bridge.Config{EventsAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", CommandAddr: cmd,
		LiveLogPath: filepath.Join(t.TempDir(), "Log.txt")})
	if err != nil {
		t.Fatal(err)
	}
	eng.Start(context.Background())
	defer eng.Stop()
	for eng.EventsAddr() == "" {
		time.Sleep(10 * time.Millisecond)
	}
	a := test.NewTempApp(t)
	u := newUI(a, Options{Engine: eng})
	u.render(u.view(), nil, nil, true)
	if !strings.HasPrefix(u.status.headline.Text, "Waiting for Live") {
		t.Fatalf("before Live: %q", u.status.headline.Text)
	}
	_, ep, _ := net.SplitHostPort(eng.EventsAddr())
	_, cp, _ := net.SplitHostPort(cmd)
	var events, command int
	fmt.Sscan(ep, &events)
	fmt.Sscan(cp, &command)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sim, err := remotescript.StartSim(ctx, remotescript.SimOptions{EventsPort: events, CommandPort: command})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Stop()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.HasPrefix(u.status.headline.Text, "Live connected · 8 tracks") {
		if time.Now().After(deadline) {
			t.Fatalf("headline %q", u.status.headline.Text)
		}
		time.Sleep(100 * time.Millisecond)
		u.render(u.view(), nil, nil, true)
	}
	if trayState(u.view()) != "streaming" {
		t.Fatal("tray icon must show streaming")
	}
}

// A failed install (here: no User Library, Live never started) shows the
// installer's sentence on the Setup tab and leaves the button usable.
func TestSetupShowsAFailedInstall(t *testing.T) {
	home := t.TempDir() // no User Library in it
	env := livepaths.Env{OS: "darwin", Home: home, UserProfile: home}
	eng, err := bridge.New(bridge.Config{EventsAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", CommandAddr: freeAddr(t),
		LiveLogPath: filepath.Join(home, "Log.txt")})
	if err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	u := newUI(a, Options{Engine: eng, Install: install.Options{Env: env}})
	u.mu.Lock()
	u.inst = InstallView{Known: true, State: install.NotInstalled, Bundled: remotescript.Version()}
	u.mu.Unlock()
	u.setup.update(u.view().Install)
	test.Tap(u.setup.button)
	var iv InstallView
	testkit.WaitFor(t, "the install to finish", 10*time.Second, func() bool {
		u.mu.Lock()
		iv = u.inst
		u.mu.Unlock()
		return !iv.Busy && iv.Result != ""
	})
	if !iv.Failed || !strings.Contains(iv.Result, "does not exist") {
		t.Fatalf("want a failure naming the missing User Library, got %+v", iv)
	}
	u.setup.update(iv)
	if !strings.Contains(u.setup.result.Text, "does not exist") || u.setup.button.Disabled() {
		t.Fatalf("Setup tab after a failed install: result %q, button disabled %v", u.setup.result.Text, u.setup.button.Disabled())
	}
	if _, err := os.Stat(filepath.Join(home, "Music")); err == nil {
		t.Fatal("a failed install wrote outside the folders the user chose")
	}
}
