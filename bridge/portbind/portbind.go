// Package portbind binds one of the bridge's listening ports and, while it
// cannot, says why in words a user can act on and tries again.
//
// The UDP events port (bridge/oscin) and the HTTP port (bridge/wshub) both
// bind through Retry, so a port taken by another program reads the same on
// both, names the program where the OS tells (bridge/portowner), and frees
// itself once that program goes. Only "address in use" is a conflict with
// another program; any other refusal (no permission, an address that is not
// on this machine, Wine refusing a socket option) is reported in the OS's
// own words and never sends the user looking for a program to quit.
package portbind

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vimabl/vimabl/bridge/portowner"
)

// RetryEvery is how often a port that cannot be bound is tried again.
const RetryEvery = 2 * time.Second

// holderLookupEvery spaces the lookups of which process holds a taken
// port: on macOS each one starts processes (lsof, ps).
const holderLookupEvery = 10 * time.Second

// State is one listener's bind state, as the status shows it.
type State struct {
	Addr string // the address asked for; once bound, the bound one (port 0 resolved)
	OK   bool   // bound
	Err  string // why not, as a sentence; "" when bound or not tried yet
	// Conflict: Err is "another program holds the port", not another refusal.
	Conflict bool
	Fix      string // what to do about Err
}

// Config says which port to bind and whom to tell.
type Config struct {
	Network string // "udp" or "tcp": how the port is named and looked up
	Addr    string // host:port
	// Every overrides RetryEvery (tests); 0 = RetryEvery.
	Every time.Duration
	// Report gets every change of state, from Retry's goroutine; nil = none.
	Report func(State)
	Logger *slog.Logger // nil = discard
}

// Retry calls bind until it succeeds or ctx is done, reporting each change
// of state: why the port cannot be bound (once per change of words, not
// per try), then bound. bind returns the address it bound. Retry returns
// true once bound, false if ctx ended first.
func Retry(ctx context.Context, cfg Config, bind func() (net.Addr, error)) bool {
	every := cfg.Every
	if every <= 0 {
		every = RetryEvery
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	report := cfg.Report
	if report == nil {
		report = func(State) {}
	}
	var st State
	var lookedUp time.Time
	for {
		addr, err := bind()
		if err == nil {
			st = State{Addr: addr.String(), OK: true}
			log.Info("port bound", "addr", st.Addr)
			report(st)
			return true
		}
		next := State{Addr: cfg.Addr, Conflict: portowner.IsAddrInUse(err)}
		switch {
		case !next.Conflict:
			next.Err, next.Fix = refusedText(cfg.Network, cfg.Addr, err, every)
		case !st.Conflict || time.Since(lookedUp) >= holderLookupEvery:
			next.Err, next.Fix = conflictText(ctx, cfg.Network, cfg.Addr, every)
			lookedUp = time.Now()
		default:
			next.Err, next.Fix = st.Err, st.Fix
		}
		if next != st {
			st = next
			log.Error(st.Err, "err", err)
			report(st)
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// conflictText is the sentence and fix for a port another program holds,
// naming that program where the OS tells.
func conflictText(ctx context.Context, network, addr string, every time.Duration) (msg, fix string) {
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	if o, err := portowner.Lookup(ctx, network, port); err == nil {
		summary, fix := portowner.Describe(network, port, o)
		return summary + " VimAbl retries every " + every.String() + ".", fix
	}
	name, flag := "TCP, WebSocket", "--ws-port"
	if network == "udp" {
		name, flag = "UDP", "--events-port"
	}
	return fmt.Sprintf("Port %d (%s) is used by another program; VimAbl retries every %v. Quit that program or start VimAbl with %s.", port, name, every, flag),
		portFix(network, addr)
}

// portFix says how to get around a port another program holds: which
// flags move it, and for the events port, that the script must send there too.
func portFix(network, addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	other := strconv.Itoa(n + 10)
	if network == "udp" {
		return "Quit the program using UDP port " + port + ", or move VimAbl's events to a free port, e.g. " + other +
			": `vimabl install --events-port " + other + "` (then reload the script in Live) and start VimAbl with `--events-port " + other + "`."
	}
	return "Quit the program using TCP port " + port + ", or start VimAbl with `--ws-port " + other + "` and point your WebSocket clients there."
}

// refusedText is the sentence and fix for a bind that failed for another
// reason than a holder: the OS's error, and what VimAbl cannot do meanwhile.
func refusedText(network, addr string, err error, every time.Duration) (msg, fix string) {
	what := "VimAbl cannot serve WebSocket clients, /state or /status"
	if network == "udp" {
		what = "VimAbl cannot receive Live's events"
	}
	return fmt.Sprintf("Cannot listen on %s (%s): %s. %s.", addr, strings.ToUpper(network), osCause(err), what),
		"This system refuses that socket (the error above is its own words; no other program is involved). VimAbl retries every " + every.String() + "; if it persists, try another address or port."
}

// osCause is the operating system's part of a bind error ("bind: permission
// denied"), without the layers of context Go's net package adds.
func osCause(err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Error()
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return en.Error()
	}
	return err.Error()
}
