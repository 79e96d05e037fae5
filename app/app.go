package app

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/vimabl/vimabl/bridge"
	"github.com/vimabl/vimabl/bridge/livelog"
	"github.com/vimabl/vimabl/icons"
	"github.com/vimabl/vimabl/install"
)

// Rates: the window redraws at most 4 times a second, the tray menu once.
const (
	windowEvery   = 250 * time.Millisecond
	menuEvery     = time.Second
	inspectEvery  = 5 * time.Second
	logFetchBatch = 20000
)

// AutoStart turns start-at-login on and off (package autostart provides it).
type AutoStart interface {
	Enabled() (bool, error)
	Enable() error
	Disable() error
}

// Options configures Run.
type Options struct {
	Engine      Engine
	Install     install.Options // where the Install button installs
	AutoStart   AutoStart       // nil: the menu item is hidden behind a message
	Diagnostics func() string   // the `vimabl doctor` report
	Tab         string          // tab to show first: status, log, metrics, setup
	ShowWindow  bool            // open the window at start (always, without a tray)
	Size        fyne.Size       // window size; zero = 900×640
	Title       string          // window title; "" = "VimAbl"
	// ShowRequests brings the window up each time it yields: a second
	// VimAbl started while this one runs asks for that (over the bridge's
	// POST /app/show) and exits. nil: none come.
	ShowRequests <-chan struct{}
}

// ui is the running app: widgets plus the state the refresher fills.
type ui struct {
	o       Options
	fa      fyne.App
	win     fyne.Window
	tray    bool
	desk    desktop.App
	status  *statusTab
	logs    *logTab
	metrics *metricsTab
	setup   *setupTab
	tabs    *container.AppTabs

	// shown is whether the window is on screen: a hidden window's widgets
	// are not redrawn, so the tray costs next to nothing while you play.
	shown atomic.Bool

	mu          sync.Mutex
	inst        InstallView
	autoStart   bool
	lastMenu    time.Time
	lastMenuKey string
	lastSample  time.Time
	lastState   bridge.ConnState
}

// Run shows the tray (or, where none exists, the window) and blocks until
// the user quits.
func Run(o Options) error {
	if o.Engine == nil {
		return errors.New("app: no engine")
	}
	fa := fyneapp.NewWithID("app.vimabl.VimAbl")
	u := newUI(fa, o)
	u.start()
	fa.Run()
	return nil
}

func newUI(fa fyne.App, o Options) *ui {
	if o.Size.IsZero() {
		o.Size = fyne.NewSize(900, 640)
	}
	if o.Title == "" {
		o.Title = "VimAbl"
	}
	u := &ui{o: o, fa: fa, lastState: -1}
	fa.SetIcon(fyne.NewStaticResource("vimabl.png", icons.App()))
	u.inst.Bundled = o.Install.Version
	u.win = fa.NewWindow(o.Title)
	u.status = newStatusTab(u.openViewer)
	u.logs = newLogTab(func(s string) { fa.Clipboard().SetContent(s) })
	u.metrics = newMetricsTab()
	u.setup = newSetupTab(u.installScript, u.openScripts, u.copyDiagnostics)
	u.tabs = container.NewAppTabs(
		container.NewTabItem("Status", u.status.object()),
		container.NewTabItem("Log", u.logs.object()),
		container.NewTabItem("Metrics", u.metrics.object()),
		container.NewTabItem("Setup & Reload", u.setup.object()),
	)
	u.selectTab(o.Tab)
	u.win.SetContent(u.tabs)
	u.win.Resize(o.Size)
	if o.AutoStart != nil {
		u.autoStart, _ = o.AutoStart.Enabled()
	}
	return u
}

func (u *ui) selectTab(name string) {
	switch strings.ToLower(name) {
	case "log":
		u.tabs.SelectIndex(1)
	case "metrics":
		u.tabs.SelectIndex(2)
	case "setup":
		u.tabs.SelectIndex(3)
	default:
		u.tabs.SelectIndex(0)
	}
}

// start wires the tray (if there is one), shows the window when asked or
// when there is no tray, and starts the refresher and the install checker.
func (u *ui) start() {
	if desk, ok := u.fa.(desktop.App); ok && trayAvailable() {
		u.tray, u.desk = true, desk
		desk.SetSystemTrayMenu(buildTrayMenu(u.view(), u.actions()))
		desk.SetSystemTrayIcon(trayIcon(u.view()))
		// Closing the window keeps the tray (and the bridge) running.
		u.win.SetCloseIntercept(func() {
			u.shown.Store(false)
			u.win.Hide()
		})
	}
	if !u.tray || u.o.ShowWindow {
		u.showWindow()
	}
	if u.o.ShowRequests != nil {
		go func() {
			for range u.o.ShowRequests {
				fyne.Do(u.showWindow)
			}
		}()
	}
	go u.checkInstall()
	go u.refresher()
}

func trayIcon(v View) fyne.Resource {
	// macOS shows template images (adapting to light and dark menu bars);
	// elsewhere the coloured set reads better.
	template := v.OS == "darwin"
	state := trayState(v)
	return fyne.NewStaticResource("tray-"+state+".png", icons.Tray(state, template))
}

func (u *ui) actions() trayActions {
	return trayActions{
		open:            u.showWindow,
		openViewer:      u.openViewer,
		install:         u.installScript,
		openScripts:     u.openScripts,
		showLog:         func() { u.tabs.SelectIndex(1); u.showWindow() },
		howToReload:     func() { u.tabs.SelectIndex(3); u.showWindow() },
		copyDiagnostics: u.copyDiagnostics,
		toggleAutoStart: u.toggleAutoStart,
		quit:            func() { u.fa.Quit() },
	}
}

// showWindow brings the window up (UI thread).
func (u *ui) showWindow() {
	u.shown.Store(true)
	u.win.Show()
	u.win.RequestFocus()
}

// view gathers the engine's and the installer's state; never blocks long.
func (u *ui) view() View {
	u.mu.Lock()
	iv, auto := u.inst, u.autoStart
	u.mu.Unlock()
	return View{Status: u.o.Engine.Status(), Metrics: u.o.Engine.Metrics(), Install: iv, AutoStart: auto,
		OS: currentOS(), Now: time.Now()}
}

// refresher redraws on engine changes at a bounded rate; it is the only
// goroutine that schedules UI updates, so updates never pile up.
func (u *ui) refresher() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var fetched uint64 // newest log entry ID handed to the UI
	for {
		select {
		case <-u.o.Engine.Changes():
		case <-tick.C:
		}
		v := u.view()
		ring := u.o.Engine.Logs()
		entries := ring.Since(fetched, logFetchBatch)
		if len(entries) > 0 {
			fetched = entries[len(entries)-1].ID
		}
		comps := ring.Components()
		sample := time.Since(u.lastSample) >= time.Second
		if sample {
			u.lastSample = time.Now()
		}
		fyne.DoAndWait(func() {
			t0 := time.Now()
			u.render(v, entries, comps, sample)
			u.metrics.renderTook(time.Since(t0), t0)
		})
		time.Sleep(windowEvery)
	}
}

// render updates every widget from v; fyne's thread.
func (u *ui) render(v View, entries []livelog.Entry, comps []string, sample bool) {
	if sample {
		u.metrics.sample(v.Metrics) // the charts' history keeps running
	}
	u.logs.m.add(entries) // the log keeps collecting while hidden
	if u.shown.Load() || !u.tray {
		u.status.update(v)
		u.logs.append(nil, comps)
		u.metrics.update(v.Metrics)
		u.setup.update(v.Install)
	}
	if u.tray {
		key := fmt.Sprintf("%s|%s|%v|%v", summaryLine(v), installLabel(v.Install), installAction(v.Install), v.AutoStart)
		if key != u.lastMenuKey && time.Since(u.lastMenu) >= menuEvery {
			u.lastMenu, u.lastMenuKey = time.Now(), key
			u.desk.SetSystemTrayMenu(buildTrayMenu(v, u.actions()))
		}
		if v.Status.State != u.lastState {
			u.desk.SetSystemTrayIcon(trayIcon(v))
		}
	}
	if u.lastState != -1 && v.Status.State != u.lastState {
		u.notifyTransition(u.lastState, v.Status.State)
	}
	u.lastState = v.Status.State
}

// notifyTransition sends a system notification when Live connects or
// disconnects (if the user turned notifications on in the Setup tab).
func (u *ui) notifyTransition(from, to bridge.ConnState) {
	if !u.fa.Preferences().Bool("notifications") {
		return
	}
	if msg := transitionNotice(from, to); msg != "" {
		u.fa.SendNotification(fyne.NewNotification("VimAbl", msg))
	}
}

// transitionNotice is the notification for a change of state, "" for none:
// only crossing between connected and not connected is worth one. Degraded
// and two-scripts streams are still connected to Live.
func transitionNotice(from, to bridge.ConnState) string {
	switch {
	case liveConnected(to) && !liveConnected(from):
		return "Live connected"
	case liveConnected(from) && !liveConnected(to):
		return "Live disconnected"
	}
	return ""
}

func liveConnected(s bridge.ConnState) bool {
	// Live busy (its timer stalled by a dialog or a Set loading) is no
	// disconnect either: it carries on by itself.
	return s == bridge.StateStreaming || s == bridge.StateDegraded || s == bridge.StateTwoScripts || s == bridge.StateLiveBusy
}

// checkInstall inspects the install state every few seconds, off the UI thread.
func (u *ui) checkInstall() {
	for {
		r, err := install.Inspect(u.o.Install)
		u.mu.Lock()
		if !u.inst.Busy {
			u.inst.Known = err == nil
			u.inst.State, u.inst.Dir, u.inst.Installed, u.inst.Bundled, u.inst.Notes = r.State, r.Dir, r.InstalledVersion, r.BundledVersion, r.Notes
			if err != nil {
				u.inst.Notes = append(u.inst.Notes, err.Error())
			}
		}
		u.mu.Unlock()
		time.Sleep(inspectEvery)
	}
}

// installScript runs the installer in the background and reports the result.
func (u *ui) installScript() {
	u.mu.Lock()
	if u.inst.Busy {
		u.mu.Unlock()
		return
	}
	u.inst.Busy, u.inst.Result, u.inst.Failed = true, "", false
	u.mu.Unlock()
	go func() {
		opts := u.o.Install
		if st := u.inst.State; st == install.UpToDate || st == install.Modified || st == install.Unreadable {
			opts.Force = true // the user asked to reinstall
		}
		res, err := install.Install(opts)
		r, _ := install.Inspect(u.o.Install)
		u.mu.Lock()
		u.inst.Busy, u.inst.Known = false, true
		u.inst.State, u.inst.Dir, u.inst.Installed = r.State, r.Dir, r.InstalledVersion
		if err != nil {
			u.inst.Failed, u.inst.Result = true, "Install failed: "+err.Error()
		} else {
			msg := strings.Join(res.Actions, "\n")
			if res.BackupDir != "" {
				msg += "\nThe previous copy is kept at " + res.BackupDir
			}
			if res.NextSteps != "" {
				msg += "\n\nNext:\n" + res.NextSteps
			}
			u.inst.Result = msg
		}
		failed, result := u.inst.Failed, u.inst.Result
		u.mu.Unlock()
		title := "Remote Script installed"
		if failed {
			title = "Remote Script not installed"
		}
		u.fa.SendNotification(fyne.NewNotification(title, firstLine(result)))
	}()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// openViewer opens the Set Viewer in the default browser.
func (u *ui) openViewer() {
	addr := viewerURL(u.view())
	if addr == "" {
		return
	}
	target, err := url.Parse(addr)
	if err == nil {
		err = u.fa.OpenURL(target)
	}
	if err != nil {
		dialog.ShowError(fmt.Errorf("opening the Set Viewer at %s: %w", addr, err), u.win)
	}
}

// openScripts opens the Remote Scripts folder (or the User Library when it
// does not exist yet) in Finder / Explorer.
func (u *ui) openScripts() {
	u.mu.Lock()
	dir := u.inst.Dir
	u.mu.Unlock()
	if dir == "" {
		return
	}
	target := filepath.Dir(dir)
	for target != "" && !isDir(target) {
		parent := filepath.Dir(target)
		if parent == target {
			return
		}
		target = parent
	}
	if err := u.fa.OpenURL(&url.URL{Scheme: "file", Path: filepath.ToSlash(target)}); err != nil {
		dialog.ShowError(fmt.Errorf("opening %s: %w", target, err), u.win)
	}
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// copyDiagnostics puts the doctor report on the clipboard.
func (u *ui) copyDiagnostics() {
	if u.o.Diagnostics == nil {
		return
	}
	go func() {
		report := u.o.Diagnostics() // probes ports: off the UI thread
		fyne.Do(func() {
			u.fa.Clipboard().SetContent(report)
			u.fa.SendNotification(fyne.NewNotification("VimAbl", "Diagnostics copied to the clipboard"))
		})
	}()
}

func (u *ui) toggleAutoStart() {
	if u.o.AutoStart == nil {
		dialog.ShowInformation("Start at Login", "Starting at login is set up by the installed app (VimAbl.app or the Windows installer).", u.win)
		return
	}
	u.mu.Lock()
	on := !u.autoStart
	u.mu.Unlock()
	var err error
	if on {
		err = u.o.AutoStart.Enable()
	} else {
		err = u.o.AutoStart.Disable()
	}
	if err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	u.mu.Lock()
	u.autoStart = on
	u.mu.Unlock()
}

// Quit ends Run (from another goroutine, e.g. on a signal).
func Quit() {
	if a := fyne.CurrentApp(); a != nil {
		fyne.Do(a.Quit)
	}
}
