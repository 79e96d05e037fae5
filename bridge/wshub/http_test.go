package wshub

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vimabl/vimabl/bridge/portbind"
	"github.com/vimabl/vimabl/internal/testkit"
)

// serve runs h.Serve on a free loopback port until the test ends and
// returns the address it bound.
func serve(t *testing.T, h *Hub) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var addr string
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Serve(ctx, "127.0.0.1:0", func(s portbind.State) {
			mu.Lock()
			if s.OK {
				addr = s.Addr
			}
			mu.Unlock()
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	testkit.WaitFor(t, "the hub's port", 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return addr != ""
	})
	return addr
}

// Issue 10 item 5: the HTTP server closes a keep-alive connection that sits
// idle, instead of holding it (and its socket) forever. (Issue 16: the hub
// owns its http.Server, so the test moved here from the engine's.)
func TestIdleKeepAliveConnectionIsClosed(t *testing.T) {
	const idle = 300 * time.Millisecond
	addr := serve(t, New(Config{IdleTimeout: idle, Snapshot: func() Frame { return Frame{} }}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, close %v: the test needs a kept-alive connection", resp.StatusCode, resp.Close)
	}
	answered := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("an idle keep-alive connection was not closed by the server: %v", err)
	}
	if d := time.Since(answered); d < idle/2 {
		t.Fatalf("closed after %v, before the idle timeout of %v", d, idle)
	}
	if IdleTimeout <= 0 || IdleTimeout > 5*time.Minute {
		t.Fatalf("IdleTimeout %v", IdleTimeout)
	}
}

// issue 14 item 9: a web view served from another localhost port may read
// /state (CORS, by the rule that lets it open /ws), with the session and seq
// the state contains; a page from any other origin gets no CORS answer, so
// its browser keeps the body from it.
func TestStateForLocalhostPagesWithItsSeq(t *testing.T) {
	_, url := startHub(t, Config{
		State:  func() (string, int64, []byte) { return "s1", 42, []byte(`{"view":"session"}`) },
		Status: func() []byte { return []byte(`{}`) },
	}, nil)
	base := "http" + strings.TrimSuffix(strings.TrimPrefix(url, "ws"), "/ws")
	for origin, allowed := range map[string]bool{"http://localhost:5173": true, "http://127.0.0.1:3000": true, "https://evil.example": false, "": false} {
		for _, path := range []string{"/state", "/status"} {
			req, _ := http.NewRequest("GET", base+path, nil)
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin"); (got == origin && origin != "") != allowed || (!allowed && got != "") {
				t.Errorf("%s from %q: Access-Control-Allow-Origin %q", path, origin, got)
			}
			if path == "/state" && (resp.Header.Get("X-VimAbl-Session") != "s1" || resp.Header.Get("X-VimAbl-Seq") != "42") {
				t.Errorf("/state headers %v, want session s1 and seq 42", resp.Header)
			}
		}
	}
}
