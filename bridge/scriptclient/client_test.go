package scriptclient

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vimabl/vimabl/internal/testkit"
)

// serve starts a TCP server on a free loopback port that answers each
// connection with handle(line, conn) and reports every line it read.
func serve(t *testing.T, handle func(line string, c net.Conn)) (addr string, lines <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 16)
	go testkit.ServeLines(ln, func(line string, c net.Conn) {
		ch <- line
		handle(line, c)
	})
	return ln.Addr().String(), ch
}

func TestCommandReturnsReplyAndSendsOneLine(t *testing.T) {
	addr, lines := serve(t, func(line string, c net.Conn) {
		io.WriteString(c, `{"success": true, "view": "session"}`+"\n")
	})
	raw, err := New(addr).Command(context.Background(), "GET_VIEW")
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"success": true, "view": "session"}` {
		t.Fatalf("reply = %s", raw)
	}
	if got := <-lines; got != "GET_VIEW" {
		t.Fatalf("server read %q, want GET_VIEW", got)
	}
}

func TestCommandErrorCarriesSentence(t *testing.T) {
	addr, _ := serve(t, func(line string, c net.Conn) {
		io.WriteString(c, `{"success": false, "error": "Unknown command: NOPE"}`+"\n")
	})
	_, err := New(addr).Command(context.Background(), "NOPE")
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *CommandError", err)
	}
	if ce.Message != "Unknown command: NOPE" || !strings.Contains(err.Error(), "Unknown command: NOPE") {
		t.Fatalf("err = %v", err)
	}
}

func TestCommandBadReplies(t *testing.T) {
	for name, reply := range map[string]string{
		"empty":      "",
		"not json":   "hello\n",
		"no success": `{"view": "session"}`,
		"array":      `[1,2]`,
	} {
		t.Run(name, func(t *testing.T) {
			addr, _ := serve(t, func(line string, c net.Conn) { io.WriteString(c, reply) })
			if _, err := New(addr).Command(context.Background(), "GET_VIEW"); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestCommandRejectsNewlineInLine(t *testing.T) {
	if _, err := New("127.0.0.1:1").Command(context.Background(), "A\nB"); err == nil {
		t.Fatal("want an error for a command with a newline")
	}
}

func TestCommandRefusedPortIsClearError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = New(addr).Command(context.Background(), "PING")
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("err = %v, want a connection error naming %s", err, addr)
	}
}

func TestCommandHonoursContextDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	addr, _ := serve(t, func(line string, c net.Conn) { <-release })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := New(addr).Command(ctx, "SNAPSHOT")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestCommandDefaultTimeoutWithoutDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	addr, _ := serve(t, func(line string, c net.Conn) { <-release })
	_, err := New(addr).WithTimeout(100*time.Millisecond).Command(context.Background(), "SNAPSHOT")
	if err == nil {
		t.Fatal("want a timeout error")
	}
}

func TestCommandReleasesPort(t *testing.T) {
	closed := make(chan error, 1)
	addr, _ := serve(t, func(line string, c net.Conn) {
		io.WriteString(c, `{"success": true}`)
		c.(*net.TCPConn).CloseWrite()
		// The client must close its side once it has the reply.
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Read(make([]byte, 1))
		closed <- err
	})
	if _, err := New(addr).Command(context.Background(), "PING_RAW"); err != nil {
		t.Fatal(err)
	}
	if err := <-closed; err != io.EOF {
		t.Fatalf("server saw %v, want EOF (client closed)", err)
	}
}

func TestCommandReplyTooLarge(t *testing.T) {
	addr, _ := serve(t, func(line string, c net.Conn) {
		chunk := []byte(strings.Repeat("x", 1<<20))
		for i := 0; i <= MaxReplySize>>20; i++ {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	_, err := New(addr).Command(context.Background(), "SNAPSHOT")
	if !errors.Is(err, ErrReplyTooLarge) {
		t.Fatalf("err = %v, want ErrReplyTooLarge", err)
	}
}

func TestPingAndSnapshot(t *testing.T) {
	addr, _ := serve(t, func(line string, c net.Conn) {
		switch line {
		case "PING":
			io.WriteString(c, `{"success": true, "pong": true, "version": "1.2.3", "session_id": "abc"}`+"\n")
		case "SNAPSHOT":
			io.WriteString(c, `{"success": true, "session_id": "abc", "seq": 42, "state": {"view": "session"}}`+"\n")
		}
	})
	cl := New(addr)
	p, err := cl.Ping(context.Background())
	if err != nil || p.Version != "1.2.3" || p.SessionID != "abc" {
		t.Fatalf("Ping = %+v, %v", p, err)
	}
	s, err := cl.Snapshot(context.Background())
	if err != nil || s.Seq != 42 || s.SessionID != "abc" || string(s.State) != `{"view": "session"}` {
		t.Fatalf("Snapshot = %+v, %v", s, err)
	}
}

func TestSnapshotWithoutStateIsError(t *testing.T) {
	addr, _ := serve(t, func(line string, c net.Conn) {
		io.WriteString(c, `{"success": true, "seq": 1}`)
	})
	if _, err := New(addr).Snapshot(context.Background()); err == nil {
		t.Fatal("want an error for a SNAPSHOT reply without state")
	}
}

// Issue 16 (scriptclient owns the 9001 line format): the line a WebSocket
// client's command becomes, argument by argument, is one line.
func TestLineFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []any
		want string
	}{
		{"GET_VIEW", nil, "GET_VIEW"},
		{"EXPORT_XML", []any{"/Users/me/My Set.als"}, "EXPORT_XML:/Users/me/My Set.als"},
		{"X", []any{float64(3), true, nil, 0.5, "a\r\nb"}, "X:3:true::0.5:ab"},
		{"X", []any{map[string]any{"k": "v"}, []any{1, "two"}}, `X:{"k":"v"}:[1,"two"]`},
	} {
		if got := Line(tc.name, tc.args...); got != tc.want {
			t.Errorf("Line(%q, %v) = %q, want %q", tc.name, tc.args, got, tc.want)
		}
	}
}
