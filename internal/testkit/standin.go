package testkit

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// pythonServerStandIn binds a TCP listener and a UDP socket on free loopback
// ports, then prints "ready <pid> <tcp port> <udp port>" and waits for stdin
// to close. It runs as `python3 -c <it> -m src.main …`: Python ignores the
// argv after the code, so the command line is VimAbl's Python server's
// (websocket_manager.lua starts `python -m src.main <xml> --mode=websocket
// --ws-port=8765 --no-signals`).
const pythonServerStandIn = `
import os, socket, sys
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("127.0.0.1", 0))
t.listen(1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
print("ready", os.getpid(), t.getsockname()[1], u.getsockname()[1], flush=True)
sys.stdin.read()
`

// StartPythonServerStandIn starts a real process that looks like VimAbl's
// old Python server and holds a TCP and a UDP loopback port, and returns its
// pid and ports once both are bound. It is killed when the test ends, or
// earlier by stop (which returns once the process is gone and its ports free).
func StartPythonServerStandIn(t testing.TB) (pid, tcpPort, udpPort int, stop func()) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed (make deps installs it)")
	}
	cmd := exec.Command(python, "-c", pythonServerStandIn, "-m", "src.main", "x.xml", "--mode=websocket", "--ws-port=8765", "--no-signals")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			stdin.Close()
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(stop)
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		if _, err := fmt.Sscanf(l, "ready %d %d %d", &pid, &tcpPort, &udpPort); err != nil {
			t.Fatalf("stand-in said %q: %v", l, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("timed out after 10s waiting for the stand-in to bind its ports")
	}
	return pid, tcpPort, udpPort, stop
}
