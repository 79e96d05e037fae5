package remotescript

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitFor polls cond until it holds, failing the test after d. (testkit's
// WaitFor cannot be used here: testkit imports this package.)
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

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
	// An event reaches the UDP socket: a /live/seq message, or a bundle of
	// them when several were queued (issue 16).
	udp.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65536)
	n, _, err := udp.ReadFrom(buf)
	if got := string(buf[:n]); err != nil || !strings.HasPrefix(got, "/live/seq") && !(strings.HasPrefix(got, "#bundle\x00") && strings.Contains(got, "/live/seq")) {
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

const parentHelperEnv = "VIMABL_SIM_PARENT_HELPER"

// TestSimDiesWithItsParent guards issue 10 item 5a: `kill -9` of `vimabl sim`
// left its python child serving the command port and sending events, with
// its temporary folder, so the next `vimabl sim` failed after 30 s. The
// parent here is this test binary run again as a helper that starts the sim
// (as `vimabl sim` does) and is then killed with SIGKILL.
func TestSimDiesWithItsParent(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("probes processes with signal 0; the stdin pipe the sim watches works the same on Windows")
	}
	helper := exec.Command(os.Args[0], "-test.run=^TestSimParentHelper$")
	helper.Env = append(os.Environ(), parentHelperEnv+"=1")
	helperIn, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer helperIn.Close() // if the test fails early, the helper stops its sim cleanly
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var helperErr bytes.Buffer
	helper.Stderr = &helperErr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "sim-started ") {
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	var child int
	var addr, dir string
	select {
	case line, ok := <-lines:
		if !ok {
			helper.Wait()
			t.Fatalf("the helper exited before the sim started: %s", helperErr.String())
		}
		if _, err := fmt.Sscanf(line, "sim-started child=%d command=%s dir=%s", &child, &addr, &dir); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
	case <-time.After(ReadyTimeout + 10*time.Second):
		helper.Process.Kill()
		t.Fatalf("the helper never started the sim: %s", helperErr.String())
	}
	t.Cleanup(func() { // if the sim outlived its parent after all, it must not outlive the test
		if alive(child) {
			if p, err := os.FindProcess(child); err == nil {
				p.Kill()
			}
		}
		os.RemoveAll(dir)
	})
	if !alive(child) {
		t.Fatalf("the sim (pid %d) is not running before its parent is killed", child)
	}
	if _, err := os.Stat(filepath.Join(dir, "VimAbl")); err != nil {
		t.Fatalf("the sim's folder should hold the script while it runs: %v", err)
	}

	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	helper.Wait()

	waitFor(t, "the sim to exit after its parent was killed", 10*time.Second, func() bool { return !alive(child) })
	waitFor(t, "the command port to be free", 5*time.Second, func() bool {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		ln.Close()
		return true
	})
	waitFor(t, "the sim's temporary folder to be removed", 5*time.Second, func() bool {
		_, err := os.Stat(dir)
		return os.IsNotExist(err)
	})
}

// TestSimParentHelper is the parent process of TestSimDiesWithItsParent:
// it starts a sim, prints its pid, address and folder, and waits to be
// killed (or for its stdin to close, when it stops the sim cleanly).
func TestSimParentHelper(t *testing.T) {
	if os.Getenv(parentHelperEnv) != "1" {
		t.Skip("run by TestSimDiesWithItsParent")
	}
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	sim, err := StartSim(context.Background(), SimOptions{EventsPort: udp.LocalAddr().(*net.UDPAddr).Port})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Stop()
	fmt.Printf("sim-started child=%d command=%s dir=%s\n", sim.PID(), sim.CommandAddr(), filepath.Dir(sim.LogPath()))
	io.Copy(io.Discard, os.Stdin)
}

// alive says whether pid is a running process. A zombie counts as gone: it
// holds no port, and nobody may reap it (the sim's parent is dead and PID 1
// in a container may never call wait).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil || p.Signal(syscall.Signal(0)) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc (macOS): signal 0 is the answer
	}
	// pid (comm) STATE ...; comm may hold spaces and parentheses.
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	f := strings.Fields(string(rest))
	return len(f) == 0 || f[0] != "Z"
}
