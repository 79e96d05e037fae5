package install

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"

	"github.com/vimabl/vimabl/internal/testkit"
)

// issue 11: when VimAbl's old Python server (started by Hammerspoon's
// websocket_manager) holds the bridge's ports, doctor names it with its pid
// and says how to stop it for good, for the UDP events port and the TCP
// WebSocket port.
func TestDoctorNamesVimAblPythonServerOnBridgePorts(t *testing.T) {
	if !portOwnersVisible() {
		t.Skip("this OS does not tell which process holds a port")
	}
	pid, tcpPort, udpPort, _ := testkit.StartPythonServerStandIn(t)
	o := home(t, "darwin")
	report := Doctor(context.Background(), DoctorOptions{
		Options:     o,
		CommandAddr: fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t, "tcp")),
		EventsAddr:  fmt.Sprintf("127.0.0.1:%d", udpPort),
		WSAddr:      fmt.Sprintf("127.0.0.1:%d", tcpPort),
	})
	for _, role := range []string{"events (the bridge)", "websocket (the bridge)"} {
		l := lineWith(report, role)
		if !strings.Contains(l, fmt.Sprintf("(pid %d)", pid)) || !strings.Contains(l, "VimAbl's old Python server") {
			t.Errorf("%s: want the holder's pid %d and what it is, got %q\n%s", role, pid, l, report)
		}
	}
	if n := strings.Count(report, "websocket_manager"); n != 2 {
		t.Errorf("want one fix line naming websocket_manager per taken port, got %d:\n%s", n, report)
	}
	if !strings.Contains(report, fmt.Sprintf("kill %d", pid)) {
		t.Errorf("want the command that stops the holder:\n%s", report)
	}
}

// issue 12: a bind that fails for another reason than "in use" is shown as
// what it is, not as a port taken by another program.
func TestDoctorPortStateOtherBindErrors(t *testing.T) {
	// 192.0.2.1 (TEST-NET-1) is on no interface here: binding it fails with
	// "cannot assign requested address" without sending anything.
	state, notes := portState(context.Background(), "udp", "192.0.2.1:9002", true)
	if strings.Contains(state, "taken") || !strings.Contains(state, "cannot be used here") || len(notes) == 0 {
		t.Errorf("state %q notes %q: want the OS error shown as such, not a conflict", state, notes)
	}
	// A port this test holds itself: taken, by VimAbl's own process (the
	// test binary is not named vimabl, but it is this process).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	state, notes = portState(context.Background(), "tcp", l.Addr().String(), true)
	if !strings.HasPrefix(state, "taken") {
		t.Errorf("held port: state %q", state)
	}
	if portOwnersVisible() && (!strings.Contains(state, "VimAbl itself") || strings.Contains(strings.Join(notes, "\n"), "fix:")) {
		t.Errorf("held by this very process: state %q notes %q, want VimAbl itself and no advice", state, notes)
	}
}

// portOwnersVisible: Lookup can name a holder on this OS here (Linux's /proc).
func portOwnersVisible() bool { return runtime.GOOS == "linux" }
