package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/vimabl/vimabl/bridge/portowner"
)

// One VimAbl at a time (issue 12): before binding anything, `vimabl` and
// `vimabl bridge` ask the HTTP port they would serve whether a VimAbl
// already answers there. A second `vimabl bridge` then says so and exits; a
// second app (the login item, then a double-click) asks the first to show its
// window and exits, instead of sitting in the tray with a red icon.

// instanceBudget bounds the whole question: nothing listening is answered
// at once (connection refused); a program that accepts and says nothing
// must not hold up VimAbl's start.
const instanceBudget = 1500 * time.Millisecond

// running is another VimAbl serving the HTTP port this one would bind.
type running struct {
	url string // e.g. "http://127.0.0.1:8765"
	pid int    // 0 when neither it nor the OS would say
}

// who is how the user reads it: "pid 4242", or "pid unknown".
func (r running) who() string {
	if r.pid <= 0 {
		return "pid unknown"
	}
	return "pid " + strconv.Itoa(r.pid)
}

// findRunning reports whether a VimAbl bridge (the app's or `vimabl
// bridge`) already serves host:port: its GET /status answers with VimAbl's
// status JSON — a state, the command port's address and the list of ports —
// which no other program sends. The pid is the answer's "pid" when the
// engine reports one, else the process the OS says listens on the port.
// Port 0 (a free port chosen at start) never clashes: false.
func findRunning(ctx context.Context, host string, port int) (running, bool) {
	if port == 0 {
		return running{}, false
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // listening on every address includes loopback
	}
	ctx, cancel := context.WithTimeout(ctx, instanceBudget)
	defer cancel()
	base := "http://" + net.JoinHostPort(host, strconv.Itoa(port))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/status", nil)
	if err != nil {
		return running{}, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return running{}, false
	}
	defer resp.Body.Close()
	var st struct {
		State       string            `json:"state"`
		CommandAddr string            `json:"command_addr"`
		Ports       []json.RawMessage `json:"ports"`
		PID         int               `json:"pid"`
	}
	body := io.LimitReader(resp.Body, 4<<20)
	if resp.StatusCode != http.StatusOK || json.NewDecoder(body).Decode(&st) != nil ||
		st.State == "" || st.CommandAddr == "" || len(st.Ports) == 0 {
		return running{}, false // another program's HTTP server: the engine reports the conflict
	}
	r := running{url: base, pid: st.PID}
	if r.pid <= 0 {
		if o, err := portowner.Lookup(ctx, "tcp", port); err == nil {
			r.pid = o.PID
		}
	}
	return r, true
}

// alreadyRunningMessage is what a second VimAbl says before it exits.
func alreadyRunningMessage(r running) string {
	return fmt.Sprintf("VimAbl is already running (%s) on %s. Use that one (its icon in the menu bar or notification area, or `vimabl status`), "+
		"or quit it first; a second one needs other ports (--ws-port, --events-port).", r.who(), r.url)
}

// showPath is the running app's "show your window" endpoint on its HTTP
// port (see appShowHandler).
const showPath = "/app/show"

// askToShow asks the running VimAbl to bring its window up and reports
// whether it did: an app answers 204; `vimabl bridge`, which has no window,
// or a VimAbl too old to know the request, answer 404 or 405.
func askToShow(ctx context.Context, r running) bool {
	ctx, cancel := context.WithTimeout(ctx, instanceBudget)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url+showPath, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusNoContent
}

// appShowHandler serves POST /app/show for a second VimAbl started while
// this app runs: show asks the UI to bring the window up (it must not block:
// app.Options.ShowRequests is a channel of one, sent to without waiting) and
// the answer is 204. It is mounted on the bridge's HTTP server, behind its
// guard that the Host is a loopback name (DNS rebinding); on top, it refuses
// any request with an Origin header: a second VimAbl sends none, while a web
// page — even one served from localhost, which the WebSocket accepts — must
// not raise windows.
func appShowHandler(show func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if r.Header.Get("Origin") != "" {
			http.Error(w, "VimAbl: not for web pages", http.StatusForbidden)
			return
		}
		show()
		w.WriteHeader(http.StatusNoContent)
	})
}

// showSignal returns a channel of one and a function that sends to it
// without ever blocking: requests that arrive while one waits are the same
// request.
func showSignal() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	return ch, func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
