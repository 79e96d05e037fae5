package portowner

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// procSocket is one socket from a /proc/net/{tcp,tcp6,udp,udp6} table.
type procSocket struct {
	Inode uint64 // the number in the fd link "socket:[inode]"
	UID   int    // the owner's user id, for the "cannot tell" message
}

// tcpListen is the kernel's TCP_LISTEN state as /proc/net/tcp prints it.
const tcpListen = "0A"

// parseProcNet reads a /proc/net/{tcp,tcp6,udp,udp6} table and returns the
// sockets whose local port is port; with listenOnly (TCP) only those in
// LISTEN state. A row looks like
//
//	sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
//	 0: 0100007F:2239 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000       0 56789 1 ...
//
// where the local port is the hex number after the colon. Rows with inode 0
// (a socket no process holds any more, e.g. in TIME_WAIT) are skipped, and
// so are rows this parser does not understand.
func parseProcNet(r io.Reader, port int, listenOnly bool) ([]procSocket, error) {
	var out []procSocket
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first { // the header
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		colon := strings.LastIndexByte(f[1], ':')
		if colon < 0 {
			continue
		}
		p, err := strconv.ParseUint(f[1][colon+1:], 16, 16)
		if err != nil || int(p) != port {
			continue
		}
		if listenOnly && !strings.EqualFold(f[3], tcpListen) {
			continue
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil || inode == 0 {
			continue
		}
		uid, _ := strconv.Atoi(f[7])
		out = append(out, procSocket{Inode: inode, UID: uid})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the socket table: %w", err)
	}
	return out, nil
}

// socketInode returns the inode of an fd link target "socket:[12345]".
func socketInode(link string) (uint64, bool) {
	rest, ok := strings.CutPrefix(link, "socket:[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return 0, false
	}
	n, err := strconv.ParseUint(rest[:len(rest)-1], 10, 64)
	return n, err == nil
}

// joinCmdline turns /proc/<pid>/cmdline (arguments, each ended by NUL) into
// one space-separated line.
func joinCmdline(raw []byte) string {
	s := strings.TrimRight(string(raw), "\x00")
	return strings.ReplaceAll(s, "\x00", " ")
}

// procName picks the executable's base name: comm is cut to 15 bytes by the
// kernel (TASK_COMM_LEN), so a cut comm is completed from the executable's
// base name when that starts with it.
func procName(comm, exeBase string) string {
	if comm == "" {
		return exeBase
	}
	if len(comm) == 15 && strings.HasPrefix(exeBase, comm) {
		return exeBase
	}
	return comm
}
