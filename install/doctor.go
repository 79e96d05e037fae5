package install

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/vimabl/vimabl/bridge/portowner"
	"github.com/vimabl/vimabl/bridge/scriptclient"
	"github.com/vimabl/vimabl/internal/ports"
	"github.com/vimabl/vimabl/livepaths"
)

// DoctorOptions configures the diagnostic report.
type DoctorOptions struct {
	Options            // where to look (User Library override, ports)
	AppVersion  string // the app's version
	CommandAddr string // default 127.0.0.1:<CommandPort>
	EventsAddr  string // default 127.0.0.1:<EventsPort>
	WSAddr      string // default 127.0.0.1:8765
}

// Doctor returns a report a user can paste into a bug report: OS, versions,
// Live's folders, the User Library candidates, the install state, Log.txt,
// which ports are free and whether the Remote Script answers PING.
func Doctor(ctx context.Context, d DoctorOptions) string {
	d.Options.fill()
	if d.AppVersion == "" {
		d.AppVersion = d.Version
	}
	if d.CommandAddr == "" {
		d.CommandAddr = fmt.Sprintf("127.0.0.1:%d", d.CommandPort)
	}
	if d.EventsAddr == "" {
		d.EventsAddr = fmt.Sprintf("127.0.0.1:%d", d.EventsPort)
	}
	if d.WSAddr == "" {
		d.WSAddr = ports.Addr(ports.WS)
	}
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	line("VimAbl doctor — %s", time.Now().Format(time.RFC3339))
	line("OS:            %s/%s", runtime.GOOS, runtime.GOARCH)
	line("App version:   %s (bundled Remote Script %s)", d.AppVersion, d.Version)

	r, err := Inspect(d.Options)
	line("")
	line("Live versions (newest first):")
	if len(r.LiveVersions) == 0 {
		if root := livepaths.PrefsRoot(d.Env); root != "" {
			line("  none found under %s", root)
		} else {
			line("  none (Live does not run on this OS)")
		}
	}
	for _, v := range r.LiveVersions {
		line("  %-14s %s (last used %s)", v.Name, v.PrefsDir, v.ModTime.Format("2006-01-02 15:04"))
	}
	line("User Library candidates:")
	for _, l := range r.Libraries {
		switch {
		case l.Problem != "":
			line("  %-28s PROBLEM: %s", l.Source, l.Problem)
		default:
			line("  %-28s %s (exists: %v)", l.Source, l.Path, l.Exists)
		}
	}
	line("")
	if err != nil {
		line("Install state: unknown — %v", err)
	} else {
		line("Install state: %s", r.State)
		line("  folder:      %s (User Library %s: %s)", r.Dir, r.LibrarySource, r.UserLibrary)
		if r.InstalledVersion != "" {
			line("  installed:   %s, bundled: %s", r.InstalledVersion, r.BundledVersion)
		}
		if len(r.ModifiedFiles) > 0 {
			line("  manifest:    files differ: %s", strings.Join(r.ModifiedFiles, ", "))
		} else if r.State.Installed() && r.State != Foreign {
			line("  manifest:    every file matches its SHA-256")
		}
		for _, n := range r.Notes {
			line("  note:        %s", n)
		}
		backupReport(line, filepath.Dir(r.Dir))
	}
	line("")
	if len(r.LiveVersions) > 0 {
		p := livepaths.LogPath(r.LiveVersions[0])
		if info, err := os.Stat(p); err == nil {
			line("Live's log:    %s (%.1f MB, modified %s)", p, float64(info.Size())/1e6, info.ModTime().Format("2006-01-02 15:04:05"))
		} else {
			line("Live's log:    %s (not there yet)", p)
		}
	} else {
		line("Live's log:    not found (no Live preferences folder)")
	}
	line("Ports:")
	octx, ocancel := context.WithTimeout(ctx, 3*time.Second) // one budget for naming every holder
	defer ocancel()
	for _, p := range []struct {
		role, network, addr string
		ours                bool // the bridge binds it (a VimAbl holder is the running app)
	}{
		{"commands (the script)", "tcp", d.CommandAddr, false},
		{"events (the bridge)", "udp", d.EventsAddr, true},
		{"websocket (the bridge)", "tcp", d.WSAddr, true},
	} {
		state, notes := portState(octx, p.network, p.addr, p.ours)
		line("  %-22s %s %s  %s", p.role, strings.ToUpper(p.network), p.addr, state)
		for _, n := range notes {
			line("  %-22s %s", "", n)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if p, err := scriptclient.New(d.CommandAddr).WithTimeout(time.Second).Ping(pctx); err == nil {
		line("Remote Script: answers PING (version %s, session %s)", p.Version, p.SessionID)
	} else {
		line("Remote Script: no answer on %s (%v)", d.CommandAddr, err)
	}
	return b.String()
}

// backupReport lists the backups beside the script with their sizes, and
// the staging folders of interrupted installs, so a user can see what
// piles up in Remote Scripts and what --prune-backups would free.
func backupReport(line func(string, ...any), scripts string) {
	bs, err := Backups(scripts)
	switch {
	case err != nil:
		line("Backups:       unknown — %v", err)
	case len(bs) == 0:
		line("Backups:       none")
	default:
		var total int64
		for _, b := range bs {
			total += b.Size
		}
		line("Backups:       %d in %s, %s in all (vimabl install --prune-backups keeps the newest %d)", len(bs), scripts, formatBytes(total), KeepBackups)
		for _, b := range bs {
			line("  %-40s %s", b.Name, sizeText(b))
		}
	}
	if left := Leftovers(scripts); len(left) > 0 {
		line("Leftovers:     %d staging folder(s) of interrupted installs (the next install removes them)", len(left))
		for _, p := range left {
			line("  %s", filepath.Base(p))
		}
	}
}

// portState says whether a local port is free (we could bind it), taken —
// naming the process that holds it where the OS tells — or unusable for
// another reason, which is then given in the OS's words: only "address in
// use" is a conflict with another program. notes are further lines: the
// holder's command line and a "fix:" line. ours marks the bridge's own
// ports, where a VimAbl holder is simply the running app; on the commands
// port the holder is normally Live itself, so no advice is given there.
func portState(ctx context.Context, network, addr string, ours bool) (state string, notes []string) {
	var err error
	if network == "udp" {
		var c net.PacketConn
		if c, err = net.ListenPacket("udp", addr); err == nil {
			c.Close()
		}
	} else {
		var l net.Listener
		if l, err = net.Listen("tcp", addr); err == nil {
			l.Close()
		}
	}
	switch {
	case err == nil:
		return "free", nil
	case !portowner.IsAddrInUse(err):
		return "cannot be used here (" + shortCause(err) + ")",
			[]string{"fix: VimAbl cannot listen on " + addr + " on this system (the operating system's error above); choose another address or port"}
	}
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	o, lerr := portowner.Lookup(ctx, network, port)
	if lerr != nil {
		return "taken (" + shortCause(err) + "; " + lerr.Error() + ")", nil
	}
	state = fmt.Sprintf("taken by %s (pid %d)", nameOr(o.Name, "a program"), o.PID)
	if o.VimAbl {
		state += ", VimAbl itself"
	}
	if o.CommandLine != "" {
		notes = append(notes, "command: "+cutLine(o.CommandLine, 160))
	}
	if ours && !o.VimAbl {
		summary, fix := portowner.Describe(network, port, o)
		state = summary
		notes = append(notes, "fix: "+fix)
	}
	return state, notes
}

func nameOr(name, otherwise string) string {
	if name == "" {
		return otherwise
	}
	return name
}

// cutLine keeps a command line on one line and at most n bytes: it may hold
// newlines (a multi-line argument) and the path of the user's Set.
func cutLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

func shortCause(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
