//go:build !linux

package oscin

import "net"

// effectiveBuffer is not reported on this OS.
func effectiveBuffer(conn *net.UDPConn) int { return 0 }
