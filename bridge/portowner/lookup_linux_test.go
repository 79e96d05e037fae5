package portowner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vimabl/vimabl/internal/testkit"
)

// issue 11: a port held by a process whose command line is VimAbl's Python
// server's is named, with its pid, and recognised, for TCP and for UDP.
func TestLookupFindsVimAblPythonServer(t *testing.T) {
	pid, tcpPort, udpPort, _ := testkit.StartPythonServerStandIn(t)
	for _, c := range []struct {
		network string
		port    int
	}{{"tcp", tcpPort}, {"udp", udpPort}} {
		start := time.Now()
		o, err := Lookup(context.Background(), c.network, c.port)
		if err != nil {
			t.Fatalf("%s %d: %v", c.network, c.port, err)
		}
		t.Logf("%s %d in %v: pid %d, name %q, exe %q, VimAblPython %v", c.network, c.port, time.Since(start), o.PID, o.Name, o.Exe, o.VimAblPython)
		if o.PID != pid {
			t.Errorf("%s %d: pid %d, want the stand-in's %d", c.network, c.port, o.PID, pid)
		}
		if !strings.HasPrefix(o.Name, "python") {
			t.Errorf("%s %d: name %q, want python…", c.network, c.port, o.Name)
		}
		if !strings.Contains(o.CommandLine, "-m src.main x.xml --mode=websocket --ws-port=8765 --no-signals") {
			t.Errorf("%s %d: command line %q lacks the arguments", c.network, c.port, o.CommandLine)
		}
		if !o.VimAblPython || o.VimAbl {
			t.Errorf("%s %d: VimAblPython=%v VimAbl=%v, want true false", c.network, c.port, o.VimAblPython, o.VimAbl)
		}
		summary, fix := Describe(c.network, c.port, o)
		if want := fmt.Sprintf("%s port %d is held by %s (pid %d): VimAbl's old Python server.", strings.ToUpper(c.network), c.port, o.Name, pid); summary != want {
			t.Errorf("summary %q, want %q", summary, want)
		}
		if !strings.Contains(fix, "websocket_manager") || !strings.HasSuffix(fix, fmt.Sprintf("`kill %d`", pid)) {
			t.Errorf("fix %q", fix)
		}
	}
}

// issue 11: TCP counts listeners only: the local port of a client
// connection is not "held" in the sense a bind conflict means.
func TestLookupTCPIgnoresClientSockets(t *testing.T) {
	_, tcpPort, _, _ := testkit.StartPythonServerStandIn(t)
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tcpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().(*net.TCPAddr).Port
	if o, err := Lookup(context.Background(), "tcp", local); !errors.Is(err, ErrNotFound) {
		t.Errorf("client port %d: got %+v, %v; want ErrNotFound", local, o, err)
	}
}

// issue 11: a port held by this very process gives our own pid and counts
// as VimAbl itself.
func TestLookupFindsThisProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	self, _ := os.Executable()
	for network, port := range map[string]int{"tcp": ln.Addr().(*net.TCPAddr).Port, "udp": pc.LocalAddr().(*net.UDPAddr).Port} {
		o, err := Lookup(context.Background(), network, port)
		if err != nil {
			t.Fatalf("%s %d: %v", network, port, err)
		}
		if o.PID != os.Getpid() || !o.VimAbl || o.VimAblPython {
			t.Errorf("%s %d: %+v, want pid %d, VimAbl", network, port, o, os.Getpid())
		}
		if o.Exe != self {
			t.Errorf("%s %d: exe %q, want %q", network, port, o.Exe, self)
		}
	}
}

// issue 11: a port nobody holds is a clear "not found", not a guess.
func TestLookupFreePort(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		port := testkit.FreePort(t, network)
		_, err := Lookup(context.Background(), network, port)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s %d: %v, want ErrNotFound", network, port, err)
		}
		if want := fmt.Sprintf("%s port %d: ", strings.ToUpper(network), port); !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q does not start with %q", err, want)
		}
	}
}

// A cancelled context ends the /proc scan with "cannot tell" instead of
// running on.
func TestLookupCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lookup(ctx, "tcp", ln.Addr().(*net.TCPAddr).Port); !errors.Is(err, ErrCannotTell) || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want ErrCannotTell wrapping context.Canceled", err)
	}
}

func TestLookupRejectsBadArguments(t *testing.T) {
	for _, c := range []struct {
		network string
		port    int
	}{{"sctp", 80}, {"tcp", 0}, {"udp", 70000}} {
		if _, err := Lookup(context.Background(), c.network, c.port); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("%s %d: %v, want an argument error", c.network, c.port, err)
		}
	}
}
