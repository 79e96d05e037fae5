package portowner

import (
	"encoding/binary"
	"fmt"
)

// rowLayout describes one row type of the tables that Windows'
// GetExtendedTcpTable / GetExtendedUdpTable fill: a DWORD row count, then
// the rows back to back (every field is a DWORD or a byte array, so there is
// no padding). Offsets are in bytes from the row's start.
type rowLayout struct {
	size, portOff, pidOff int
}

// The four row types Lookup asks for (iphlpapi's tcpmib.h / udpmib.h).
var (
	// MIB_TCPROW_OWNER_PID: state, local addr, local port, remote addr,
	// remote port, owning pid.
	tcp4Rows = rowLayout{size: 24, portOff: 8, pidOff: 20}
	// MIB_TCP6ROW_OWNER_PID: local addr[16], scope id, local port, remote
	// addr[16], scope id, remote port, state, owning pid.
	tcp6Rows = rowLayout{size: 56, portOff: 20, pidOff: 52}
	// MIB_UDPROW_OWNER_PID: local addr, local port, owning pid.
	udp4Rows = rowLayout{size: 12, portOff: 4, pidOff: 8}
	// MIB_UDP6ROW_OWNER_PID: local addr[16], scope id, local port, owning pid.
	udp6Rows = rowLayout{size: 28, portOff: 20, pidOff: 24}
)

// ownerPIDForPort returns the owning pid of the first row of an
// owner-pid table (as the API filled buf, native little-endian) whose local
// port is port. The port DWORD holds the port in network byte order in its
// low 16 bits, i.e. its first two bytes in memory are the port, big-endian.
func ownerPIDForPort(buf []byte, l rowLayout, port int) (pid uint32, found bool, err error) {
	if len(buf) < 4 {
		return 0, false, fmt.Errorf("socket table of %d bytes has no row count", len(buf))
	}
	n := int(binary.LittleEndian.Uint32(buf))
	if n < 0 || n > (len(buf)-4)/l.size {
		return 0, false, fmt.Errorf("socket table says %d rows but holds %d bytes", n, len(buf))
	}
	for i := 0; i < n; i++ {
		row := buf[4+i*l.size : 4+(i+1)*l.size]
		if int(row[l.portOff])<<8|int(row[l.portOff+1]) == port {
			return binary.LittleEndian.Uint32(row[l.pidOff:]), true, nil
		}
	}
	return 0, false, nil
}
