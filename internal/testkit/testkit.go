// Package testkit holds the helpers the Go tests (and tools/bridgebench)
// share: waiting on a condition with a deadline (never a fixed sleep), free
// loopback ports, comparing JSON by value, a stand-in for a line-per-
// connection command port, and driving the fake Live.
package testkit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	remotescript "github.com/vimabl/vimabl/remote_script"
)

// WaitFor polls cond until it holds, failing the test after d.
func WaitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	WaitForEvery(t, what, d, 10*time.Millisecond, cond)
}

// WaitForEvery is WaitFor checking every interval: for conditions that cost
// a process each time they are checked (xwininfo, a Wine command).
func WaitForEvery(t testing.TB, what string, d, interval time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(interval)
	}
}

// FreePort returns a loopback port nobody listens on ("tcp" or "udp").
func FreePort(t testing.TB, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// SameJSON compares two JSON documents by value (key order and number
// spelling do not matter).
func SameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// StartSim runs the real Remote Script in the fake Live with these ports
// and stops it when the test ends.
func StartSim(t testing.TB, commandPort, eventsPort int) *remotescript.Sim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sim, err := remotescript.StartSim(ctx, remotescript.SimOptions{CommandPort: commandPort, EventsPort: eventsPort})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Stop() })
	return sim
}

// Control sends a control line to the fake Live and waits for its "ok".
func Control(t testing.TB, sim *remotescript.Sim, line string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := sim.Control(ctx, line); err != nil {
		t.Fatal(err)
	}
}

// ServeLines answers connections on ln like the Remote Script's command
// port does: it reads one line from each (within 5 s) and hands it, without
// its line end, to handle with the connection, which is closed afterwards.
// It returns when ln is closed.
func ServeLines(ln net.Listener, handle func(line string, c net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			handle(strings.TrimRight(line, "\r\n"), c)
		}()
	}
}
