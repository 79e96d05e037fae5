//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vimabl/vimabl/internal/testkit"
)

// startFirstBridge starts `vimabl bridge` on free ports and waits until it
// serves; it returns the process and its ports.
func startFirstBridge(t *testing.T) (pid int, args []string, ws int) {
	t.Helper()
	ws = testkit.FreePort(t, "tcp")
	args = []string{"--ws-port", strconv.Itoa(ws), "--events-port", strconv.Itoa(testkit.FreePort(t, "udp")),
		"--command-port", strconv.Itoa(testkit.FreePort(t, "tcp")), "--live-log", "/nonexistent/Log.txt"}
	cmd, stderr, _ := startVimabl(t, nil, append([]string{"bridge"}, args...)...)
	testkit.WaitFor(t, "the first bridge to serve /status", 15*time.Second, func() bool {
		_, ok := findRunning(context.Background(), "127.0.0.1", ws)
		return ok
	})
	if !strings.Contains(stderr.String(), fmt.Sprintf("pid=%d", cmd.Process.Pid)) {
		t.Errorf("`vimabl bridge` does not log its pid:\n%s", stderr.String())
	}
	return cmd.Process.Pid, args, ws
}

// waitExit waits for a child's exit and returns its code (-1 on timeout).
func waitExit(t *testing.T, exited <-chan error, d time.Duration) int {
	t.Helper()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitCode()
		}
		t.Fatalf("exit: %v", err)
		return -2
	case <-time.After(d):
		return -1
	}
}

// Guards issue 12 item "one VimAbl at a time": a second `vimabl bridge` on
// the same ports says VimAbl is already running, with the first one's pid,
// and exits 1 instead of calling its predecessor "another program"; the
// first one keeps serving.
func TestSecondBridgeSaysVimAblIsAlreadyRunning(t *testing.T) {
	pid, args, ws := startFirstBridge(t)
	_, stderr, exited := startVimabl(t, nil, append([]string{"bridge"}, args...)...)
	if code := waitExit(t, exited, 10*time.Second); code != 1 {
		t.Fatalf("second bridge: exit %d, want 1\n%s", code, stderr.String())
	}
	want := fmt.Sprintf("vimabl bridge: VimAbl is already running (pid %d) on http://127.0.0.1:%d.", pid, ws)
	if !strings.HasPrefix(stderr.String(), want) || strings.Contains(stderr.String(), "another program") {
		t.Errorf("second bridge said:\n%s\nwant it to start with %q", stderr.String(), want)
	}
	if _, ok := findRunning(context.Background(), "127.0.0.1", ws); !ok {
		t.Error("the first bridge stopped serving")
	}
}

// The same for a second app while `vimabl bridge` runs: the bridge has no
// window to bring up (it answers 404 to POST /app/show), so the app says
// VimAbl is running and exits 1 — before it looks for a display, so a
// headless machine hears about the real problem.
func TestSecondAppWithABridgeRunning(t *testing.T) {
	pid, args, _ := startFirstBridge(t)
	_, stderr, exited := startVimabl(t, map[string]string{"DISPLAY": "", "WAYLAND_DISPLAY": ""}, args...)
	if code := waitExit(t, exited, 10*time.Second); code != 1 {
		t.Fatalf("second app: exit %d, want 1\n%s", code, stderr.String())
	}
	if out := stderr.String(); !strings.HasPrefix(out, fmt.Sprintf("vimabl: VimAbl is already running (pid %d)", pid)) ||
		strings.Contains(out, "cannot open its window") {
		t.Errorf("second app said:\n%s", out)
	}
}

// findRunning knows VimAbl's /status from any other HTTP server's, and
// nothing listening from both.
func TestFindRunningRecognisesOnlyVimAbl(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"state":"ok"}`)
	}))
	defer other.Close()
	port := other.Listener.Addr().(*net.TCPAddr).Port
	if r, ok := findRunning(context.Background(), "127.0.0.1", port); ok {
		t.Errorf("another program's JSON taken for VimAbl: %+v", r)
	}
	free := testkit.FreePort(t, "tcp")
	start := time.Now()
	if _, ok := findRunning(context.Background(), "0.0.0.0", free); ok || time.Since(start) > time.Second {
		t.Errorf("nothing listening: found %v after %v", ok, time.Since(start))
	}
	if _, ok := findRunning(context.Background(), "127.0.0.1", 0); ok {
		t.Error("port 0 clashes with nothing")
	}
}

// Guards the second app's request (issue 12): POST /app/show raises the
// window through a signal of one (coalesced, never blocking the HTTP
// server), answers 204, which askToShow takes as done; a GET, or any request
// from a web page (an Origin header), is refused and raises nothing.
func TestAppShowHandler(t *testing.T) {
	requests, show := showSignal()
	srv := httptest.NewServer(appShowHandler(show))
	defer srv.Close()
	r := running{url: srv.URL}
	if !askToShow(context.Background(), r) || !askToShow(context.Background(), r) {
		t.Fatal("POST /app/show was not answered 204")
	}
	select {
	case <-requests:
	default:
		t.Fatal("no show request reached the app")
	}
	select {
	case <-requests:
		t.Fatal("two requests in a row must be one (the window is already coming up)")
	default:
	}
	for _, c := range []struct {
		method, origin string
		want           int
	}{{http.MethodGet, "", http.StatusMethodNotAllowed}, {http.MethodPost, "http://localhost:5173", http.StatusForbidden}, {http.MethodPost, "null", http.StatusForbidden}} {
		req, _ := http.NewRequest(c.method, srv.URL+showPath, nil)
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s with Origin %q: %d, want %d", c.method, c.origin, resp.StatusCode, c.want)
		}
	}
	select {
	case <-requests:
		t.Fatal("a refused request raised the window")
	default:
	}
	// `vimabl bridge` (no window) answers 404: not shown.
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	if askToShow(context.Background(), running{url: notFound.URL}) {
		t.Error("a 404 taken for a shown window")
	}
}
