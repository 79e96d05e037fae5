// Package app is VimAbl's menu-bar app: a tray icon and menu that show the
// connection at a glance, and one window with Status, Log, Metrics and Setup
// tabs. It reads the engine (package bridge) and the installer (package
// install); neither knows the UI exists.
//
// Widgets hold no logic: a plain View is computed from the engine off the UI
// thread, then rendered on fyne's thread (fyne.Do) at a bounded rate.
package app

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/vimabl/vimabl/bridge"
	"github.com/vimabl/vimabl/bridge/livelog"
	"github.com/vimabl/vimabl/bridge/metrics"
	"github.com/vimabl/vimabl/install"
)

// Engine is what the app needs of the bridge; *bridge.Engine provides it.
type Engine interface {
	Status() bridge.Status
	Metrics() metrics.Snapshot
	Logs() *livelog.Ring
	Changes() <-chan struct{}
	Resync(ctx context.Context) error
}

// InstallView is the installer's state as the UI shows it.
type InstallView struct {
	Known     bool // an Inspect has completed
	State     install.State
	Dir       string
	Installed string // installed version, "" if none
	Bundled   string
	Notes     []string
	Busy      bool   // an install is running
	Result    string // the last install's outcome, for the Setup tab
	Failed    bool
}

// View is everything the UI shows, computed off the UI thread.
type View struct {
	Status    bridge.Status
	Metrics   metrics.Snapshot
	Install   InstallView
	AutoStart bool
	OS        string // "darwin", "windows", "linux"
	Now       time.Time
}

// trayState maps the connection to one of the tray icon's four looks.
func trayState(v View) string {
	switch v.Status.State {
	case bridge.StateNotInstalled:
		return "not-installed"
	case bridge.StateWaiting, bridge.StateReachable, bridge.StateLiveBusy:
		return "waiting"
	case bridge.StateStreaming:
		return "streaming"
	}
	return "problem"
}

// installLabel is the tray's install item: what clicking it will do, with versions.
func installLabel(iv InstallView) string {
	switch {
	case iv.Busy:
		return "Installing Remote Script…"
	case !iv.Known:
		return "Install Remote Script"
	}
	switch iv.State {
	case install.NotInstalled:
		return fmt.Sprintf("Install Remote Script (%s)", iv.Bundled)
	case install.Older:
		return fmt.Sprintf("Update Remote Script (%s › %s)", iv.Installed, iv.Bundled)
	case install.Modified:
		return fmt.Sprintf("Reinstall Remote Script (%s, files were edited)", iv.Bundled)
	case install.Newer:
		return fmt.Sprintf("Remote Script %s is newer than this app (%s)", iv.Installed, iv.Bundled)
	case install.Foreign:
		return "Remote Script folder not made by VimAbl"
	case install.Unreadable:
		return "Reinstall Remote Script (cannot read the installed one)"
	}
	return fmt.Sprintf("Reinstall Remote Script (%s)", iv.Bundled)
}

// installAction reports whether the install item does something when clicked.
func installAction(iv InstallView) bool {
	if iv.Busy {
		return false
	}
	return !iv.Known || iv.State != install.Newer && iv.State != install.Foreign
}

// Row is one line of the Status tab.
type Row struct {
	Title  string
	Detail string
	OK     bool
	Fix    string // shown when !OK
}

// statusRows is the Status tab, one row per link of the chain.
func statusRows(v View) []Row {
	s, m := v.Status, v.Metrics
	var rows []Row

	inst := Row{Title: "Remote Script installed", OK: v.Install.Known && v.Install.State.Installed()}
	switch {
	case !v.Install.Known:
		inst.Detail = "checking…"
		inst.OK = s.Installed
	case inst.OK:
		inst.Detail = fmt.Sprintf("%s in %s (%s)", orDash(v.Install.Installed), v.Install.Dir, v.Install.State)
	default:
		inst.Detail = v.Install.State.String()
		inst.Fix = "Setup tab › Install, then restart Live."
	}
	rows = append(rows, inst)

	logRow := Row{Title: "Live's log found", OK: s.LiveLogFound, Detail: orDash(s.LiveLogPath)}
	if !logRow.OK {
		logRow.Fix = "Start Live once (it writes Log.txt), or pass --live-log FILE."
	}
	rows = append(rows, logRow)

	cmd := Row{Title: "Command port answering", OK: s.CommandPortOK, Detail: s.CommandAddr}
	if s.CommandPortOK {
		cmd.Detail += " — PING answered " + ago(v.Now, s.LastPing)
	} else {
		cmd.Fix = "Choose VimAbl as Control Surface in Live (Preferences › Link, Tempo & MIDI)."
	}
	rows = append(rows, cmd)

	ev := Row{Title: "Events streaming", OK: s.State == bridge.StateStreaming}
	if s.LastEvent.IsZero() {
		ev.Detail = "no event yet"
	} else {
		ev.Detail = fmt.Sprintf("%.0f events/s, last %s", m.EventsPerSec10s, ago(v.Now, s.LastEvent))
	}
	if !ev.OK {
		ev.Fix = s.Fix
		if ev.Fix == "" {
			ev.Fix = s.Summary
		}
	}
	rows = append(rows, ev)

	rows = append(rows, Row{Title: "WebSocket clients", OK: true, Detail: fmt.Sprintf("%d connected", m.WSClients)})
	for _, p := range s.Ports {
		r := Row{Title: "Bridge port: " + p.Name, OK: p.OK, Detail: p.Addr}
		if !p.OK {
			// What is wrong goes in the detail, what to do in the fix line
			// (the engine's fix names the program holding the port, if any).
			r.Detail, r.Fix = p.Addr+": "+p.Err, p.Fix
			if r.Fix == "" {
				r.Fix = p.Err
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// summaryLine is the first, disabled line of the tray menu.
func summaryLine(v View) string {
	if v.Status.Summary == "" {
		return "Starting…"
	}
	return v.Status.Summary
}

// reloadSteps explains enabling and reloading the script for this OS.
func reloadSteps(goos string) string {
	prefs := "Live › Settings… (Preferences) › Link, Tempo & MIDI"
	if goos == "windows" {
		prefs = "Options › Preferences… › Link, Tempo & MIDI"
	}
	return strings.Join([]string{
		"Enable the script (once):",
		"  1. After installing for the first time, quit and restart Live.",
		"  2. Open " + prefs + ".",
		"  3. In a free Control Surface slot choose \"VimAbl\"; set Input and Output to None.",
		"",
		"Reload it after an update (no restart needed):",
		"  Set that Control Surface slot to None, then back to \"VimAbl\".",
		"  Opening another Set reloads it too.",
	}, "\n")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	}
	return t.Format("15:04")
}

func currentOS() string { return runtime.GOOS }

// setText changes a label only when its text differs: a refresh redraws, and
// the window updates several times a second.
func setText(l interface {
	SetText(string)
}, old, s string) {
	if old != s {
		l.SetText(s)
	}
}
