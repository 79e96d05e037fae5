package remotescript

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func command(t *testing.T, addr, line string) map[string]any {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		t.Fatal(err)
	}
	reply, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	var m map[string]any
	if err := json.Unmarshal(reply, &m); err != nil {
		t.Fatalf("%s: %v in %q", line, err, reply)
	}
	return m
}

func TestSimRunsTheEmbeddedScript(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	sim, err := StartSim(ctx, SimOptions{EventsPort: udp.LocalAddr().(*net.UDPAddr).Port})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Stop()

	ping := command(t, sim.CommandAddr(), "PING")
	if ping["pong"] != true || ping["version"] != Version() {
		t.Fatalf("PING = %v", ping)
	}
	// An event reaches the UDP socket.
	udp.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65536)
	n, _, err := udp.ReadFrom(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "/live/seq") {
		t.Fatalf("no /live/seq datagram: %v %q", err, buf[:n])
	}

	if err := sim.Control(ctx, `edit {"op":"rename_track","track":0,"name":"From Go"}`); err != nil {
		t.Fatal(err)
	}
	state := command(t, sim.CommandAddr(), "GET_STATE")
	if name := state["tracks"].([]any)[0].(map[string]any)["name"]; name != "From Go" {
		t.Fatalf("track 0 is %v after the edit", name)
	}
	if err := sim.Control(ctx, `edit {"op":"nope"}`); err == nil || !strings.Contains(err.Error(), "unknown edit op") {
		t.Fatalf("a bad edit must be refused with the reason, got %v", err)
	}
	before := ping["session_id"]
	if err := sim.Control(ctx, "restart"); err != nil {
		t.Fatal(err)
	}
	if after := command(t, sim.CommandAddr(), "PING")["session_id"]; after == before {
		t.Fatal("restart must create a new script instance (new session id)")
	}
	if err := sim.Control(ctx, "random 1 50"); err != nil {
		t.Fatal(err)
	}
	logPath := sim.LogPath()
	if err := sim.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sim.Done():
	default:
		t.Fatal("Stop returned before python exited")
	}
	if _, err := os.Stat(logPath); !os.IsNotExist(err) {
		t.Fatalf("the sim's temp folder (with its Log.txt) should be gone: %v", err)
	}
}

func TestSimReportsAMissingPython(t *testing.T) {
	_, err := StartSim(context.Background(), SimOptions{Python: "no-such-python-vimabl"})
	if err == nil || !strings.Contains(err.Error(), "python3 is required") {
		t.Fatalf("want a clear python3 error, got %v", err)
	}
}
