package oscin

import (
	"net"
	"syscall"
)

// effectiveBuffer asks the kernel for SO_RCVBUF (Linux reports twice the
// usable size, bookkeeping included).
func effectiveBuffer(conn *net.UDPConn) int {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0
	}
	size := 0
	raw.Control(func(fd uintptr) {
		size, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	})
	return size
}
