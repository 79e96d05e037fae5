package portowner

import (
	"encoding/binary"
	"strings"
	"testing"
)

// issue 11: the heuristic that recognises VimAbl's old Python server from
// its command line (as websocket_manager.lua starts it) and nothing else.
func TestIsVimAblPythonCommand(t *testing.T) {
	for cmd, want := range map[string]bool{
		"/Users/me/Development/python/VimAbl/.venv/bin/python3 -u -m src.main /Users/me/Set/.vimabl/Set.xml --mode=websocket --ws-port=8765 --no-signals": true,
		"python -m src.main x.xml --ws-port 9000":            true,
		"python -m src.main x.xml --mode=cli":                false, // not the WebSocket mode: binds nothing of ours
		"python3 -m http.server --mode=websocket":            false,
		"/Applications/TouchOSC.app/Contents/MacOS/TouchOSC": false,
		"": false, // Windows hides command lines
	} {
		if got := IsVimAblPythonCommand(cmd); got != want {
			t.Errorf("IsVimAblPythonCommand(%q) = %v, want %v", cmd, got, want)
		}
	}
}

// issue 11: "VimAbl itself" is this process, our binary's name, or the same
// executable file.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		o            Owner
		vimabl, py   bool
		selfPID      int
		selfExe, why string
	}{
		{Owner{PID: 10, Name: "vimabl"}, true, false, 1, "/x/y", "macOS bundle binary"},
		{Owner{PID: 10, Name: "VimAbl.exe"}, true, false, 1, "", "installed on Windows"},
		{Owner{PID: 10, Name: "vimabl-0.3.0-windows-amd64.exe"}, true, false, 1, "", "a release download run in place"},
		{Owner{PID: 10, Name: "vim"}, false, false, 1, "", "a different program"},
		{Owner{PID: 10, Name: "portowner.test", Exe: "/tmp/go-build1/b001/portowner.test"}, true, false, 1, "/tmp/go-build1/b001/portowner.test", "same executable"},
		{Owner{PID: 7, Name: "anything"}, true, false, 7, "", "this very process"},
		{Owner{PID: 10, Name: "python3", CommandLine: "python3 -u -m src.main a.xml --mode=websocket"}, false, true, 1, "/usr/bin/vimabl", "the Python server"},
	} {
		got := classify(c.o, c.selfPID, c.selfExe)
		if got.VimAbl != c.vimabl || got.VimAblPython != c.py {
			t.Errorf("%s: VimAbl=%v VimAblPython=%v, want %v %v", c.why, got.VimAbl, got.VimAblPython, c.vimabl, c.py)
		}
	}
}

// issue 11: the Linux socket tables: the local port is the hex number after
// the colon, TCP counts only LISTEN (0A), UDP any bound socket, and inode 0
// (no process) never counts.
func TestParseProcNet(t *testing.T) {
	const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2239 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D431 0100007F:2239 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:2239 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:2239 0100007F:D432 06 00000000:00000000 03:00000CD2 00000000     0        0 0 3 0000000000000000
garbage line
`
	got, err := parseProcNet(strings.NewReader(tcp), 0x2239, true)
	if err != nil || len(got) != 1 || got[0] != (procSocket{Inode: 111, UID: 1000}) {
		t.Errorf("TCP 8761 listeners = %+v, %v; want inode 111 only", got, err)
	}
	// The client side of a connection is no listener.
	if got, _ := parseProcNet(strings.NewReader(tcp), 0xD431, true); len(got) != 0 {
		t.Errorf("TCP client port counted as a listener: %+v", got)
	}
	const udp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  512: 00000000000000000000000000000000:2332 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   501        0 4444 2 0000000000000000 0
`
	got, err = parseProcNet(strings.NewReader(udp6), 9010, false)
	if err != nil || len(got) != 1 || got[0] != (procSocket{Inode: 4444, UID: 501}) {
		t.Errorf("UDP6 9010 = %+v, %v; want inode 4444 of uid 501", got, err)
	}
}

func TestProcHelpers(t *testing.T) {
	if n, ok := socketInode("socket:[98765]"); !ok || n != 98765 {
		t.Errorf("socketInode = %d %v", n, ok)
	}
	for _, l := range []string{"pipe:[98765]", "/dev/null", "socket:[x]", "socket:[12"} {
		if _, ok := socketInode(l); ok {
			t.Errorf("socketInode(%q) took it for a socket", l)
		}
	}
	if got := joinCmdline([]byte("python3\x00-m\x00src.main\x00x y.xml\x00")); got != "python3 -m src.main x y.xml" {
		t.Errorf("joinCmdline = %q", got)
	}
	// The kernel cuts comm to 15 bytes; the executable completes it.
	if got := procName("vimabl-0.3.0-li", "vimabl-0.3.0-linux-amd64"); got != "vimabl-0.3.0-linux-amd64" {
		t.Errorf("procName cut = %q", got)
	}
	if got := procName("python3", "python3.11"); got != "python3" {
		t.Errorf("procName = %q, want the name it was started as", got)
	}
	if got := procName("", "Foo"); got != "Foo" {
		t.Errorf("procName without comm = %q", got)
	}
}

// issue 11: lsof's field output (macOS; the format is lsof's own and the
// same on Linux, where the first sample was captured with
// `lsof -nP -iUDP:35486 -Fpcn`). A process that only sends to the port
// (remote side) must not be taken for its holder.
func TestParseLsofFields(t *testing.T) {
	for _, c := range []struct {
		name, out string
		port, pid int
		command   string
		ok        bool
	}{
		{"bound and connected UDP in one process", "p14111\ncpython3\nn127.0.0.1:35486\nn127.0.0.1:33437->127.0.0.1:35486\n", 35486, 14111, "python3", true},
		{"macOS, with f fields, IPv6 listener", "p4242\ncPython\nf5\nn[::1]:8765\nf6\nn*:8765\n", 8765, 4242, "Python", true},
		{"only a sender to the port", "p321\ncLive\nf40\nn127.0.0.1:50123->127.0.0.1:9002\np4242\ncPython\nf7\nn*:9002\n", 9002, 4242, "Python", true},
		{"only a sender, nobody bound", "p321\ncLive\nf40\nn127.0.0.1:50123->127.0.0.1:9002\n", 9002, 0, "", false},
		{"a port that only shares digits", "p1\ncfoo\nn*:19002\n", 9002, 0, "", false},
		{"empty (lsof listed nothing)", "", 9002, 0, "", false},
		{"CRLF and a command with spaces", "p88\r\ncMy App\r\nn127.0.0.1:8765\r\n", 8765, 88, "My App", true},
	} {
		pid, cmd, ok := parseLsofFields(c.out, c.port)
		if pid != c.pid || cmd != c.command || ok != c.ok {
			t.Errorf("%s: got %d %q %v, want %d %q %v", c.name, pid, cmd, ok, c.pid, c.command, c.ok)
		}
	}
}

// issue 11: Windows' owner-pid tables, built by hand as the API fills them:
// a little-endian row count, then rows whose port DWORD holds the port in
// network byte order in its first two bytes.
func TestOwnerPIDForPort(t *testing.T) {
	type row struct {
		port int
		pid  uint32
	}
	build := func(l rowLayout, rows ...row) []byte {
		b := make([]byte, 4+len(rows)*l.size)
		binary.LittleEndian.PutUint32(b, uint32(len(rows)))
		for i, r := range rows {
			off := 4 + i*l.size
			for j := 0; j < l.size; j++ {
				b[off+j] = 0xEE // every other field: noise the parser must not read as port or pid
			}
			b[off+l.portOff], b[off+l.portOff+1] = byte(r.port>>8), byte(r.port)
			b[off+l.portOff+2], b[off+l.portOff+3] = 0, 0
			binary.LittleEndian.PutUint32(b[off+l.pidOff:], r.pid)
		}
		return b
	}
	for name, l := range map[string]rowLayout{"tcp4": tcp4Rows, "tcp6": tcp6Rows, "udp4": udp4Rows, "udp6": udp6Rows} {
		buf := build(l, row{9001, 11}, row{8765, 4242}, row{9002, 77})
		if pid, ok, err := ownerPIDForPort(buf, l, 8765); err != nil || !ok || pid != 4242 {
			t.Errorf("%s: port 8765 -> %d %v %v, want 4242", name, pid, ok, err)
		}
		// 8765 is 0x223D; read little-endian it would be 0x3D22 = 15650.
		if _, ok, _ := ownerPIDForPort(buf, l, 0x3D22); ok {
			t.Errorf("%s: the port was read in the wrong byte order", name)
		}
		if _, ok, err := ownerPIDForPort(buf, l, 1234); ok || err != nil {
			t.Errorf("%s: an absent port was found (%v)", name, err)
		}
		if _, _, err := ownerPIDForPort(buf[:len(buf)-1], l, 9002); err == nil {
			t.Errorf("%s: a truncated table was accepted", name)
		}
	}
	if _, _, err := ownerPIDForPort(nil, tcp4Rows, 1); err == nil {
		t.Error("an empty buffer was accepted")
	}
}
