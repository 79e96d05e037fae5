//go:build !linux

package oscin

import "net"

// newReader returns a read function that reads one datagram per call into
// b, and b: recvmmsg is Linux's (golang.org/x/net reads one message per
// call elsewhere anyway), so the plain loop is kept.
func newReader(conn *net.UDPConn) (read func(*batch) (int, error), b *batch) {
	b = newBatch(1)
	return func(b *batch) (int, error) {
		n, from, err := conn.ReadFromUDPAddrPort(b.bufs[0])
		if err != nil {
			return 0, err
		}
		b.n[0], b.from[0] = n, from
		return 1, nil
	}, b
}
