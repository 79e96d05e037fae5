// Package protocol holds docs/protocol.md to the wire: the real engine on
// loopback ports, the real Remote Script in the fake Live, and clients that
// know only the document — its own example clients (Python with Debian's
// websockets and jsonpatch, JavaScript under node), its key and metric
// lists, its event catalog and its examples — checked against what the
// bridge actually sends (issue 14, "Docs that match the wire").
package protocol

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vimabl/vimabl/bridge"
	"github.com/vimabl/vimabl/internal/testkit"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// live is a running engine with the real script streaming to it.
type live struct {
	e   *bridge.Engine
	sim *remotescript.Sim
}

// startLive starts an engine on free loopback ports and the fake Live
// running the real Remote Script, and waits until the bridge streams.
func startLive(t *testing.T) *live {
	t.Helper()
	command := testkit.FreePort(t, "tcp")
	e, err := bridge.New(bridge.Config{
		EventsAddr:  "127.0.0.1:0",
		WSAddr:      "127.0.0.1:0",
		CommandAddr: fmt.Sprintf("127.0.0.1:%d", command),
		LiveLogPath: filepath.Join(t.TempDir(), "Log.txt"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop() })
	testkit.WaitFor(t, "the engine's ports", 5*time.Second, func() bool { return e.EventsAddr() != "" && e.WSAddr() != "" })
	_, port, _ := net.SplitHostPort(e.EventsAddr())
	events, _ := strconv.Atoi(port)
	sim := testkit.StartSim(t, command, events)
	testkit.WaitFor(t, "streaming with the script's hello", 15*time.Second, func() bool {
		s := e.Status()
		return s.State == bridge.StateStreaming && s.ScriptVersion != "" && s.LiveVersion != ""
	})
	return &live{e: e, sim: sim}
}

func (l *live) url(path string) string { return "http://" + l.e.WSAddr() + path }

func (l *live) wsURL() string { return "ws://" + l.e.WSAddr() + "/ws" }

// get fetches a path and returns its body and headers.
func get(t *testing.T, url string) ([]byte, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return body, resp.Header
}

// frameLog is a WebSocket client that keeps every frame it receives.
type frameLog struct {
	conn   *websocket.Conn
	frames chan []byte
}

func dialFrames(t *testing.T, url string) *frameLog {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(-1)
	f := &frameLog{conn: c, frames: make(chan []byte, 1<<16)}
	t.Cleanup(func() { c.Close() })
	go func() {
		defer close(f.frames)
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			f.frames <- data
		}
	}()
	return f
}

// next returns the next frame decoded, failing after 10 s.
func (f *frameLog) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case data, ok := <-f.frames:
		if !ok {
			t.Fatal("the connection ended")
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("frame %s: %v", data, err)
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no frame for 10 s")
	}
	return nil
}

// repoFile reads a file of the repository (this package is e2e/protocol).
func repoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the text of the protocol.md section whose heading
// contains title, up to the next heading of the same or a higher level.
func section(t *testing.T, doc, title string) string {
	t.Helper()
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "#") || !strings.Contains(l, title) {
			continue
		}
		level := len(l) - len(strings.TrimLeft(l, "#"))
		var out []string
		for _, m := range lines[i+1:] {
			if strings.HasPrefix(m, "#") && len(m)-len(strings.TrimLeft(m, "#")) <= level {
				break
			}
			out = append(out, m)
		}
		return strings.Join(out, "\n")
	}
	t.Fatalf("docs/protocol.md has no section %q", title)
	return ""
}

// codeBlocks returns the fenced blocks of a language in text, in order.
func codeBlocks(text, lang string) []string {
	var blocks []string
	var cur []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case !in && strings.TrimSpace(l) == "```"+lang:
			in, cur = true, nil
		case in && strings.TrimSpace(l) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
		case in:
			cur = append(cur, l)
		}
	}
	return blocks
}

func ctxWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
