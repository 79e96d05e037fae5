package oscin

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchSize is how many datagrams one recvmmsg may return. 32 buffers of
// 64 KiB are 2 MiB of address space, of which a burst of small events
// touches only the first page of each; 32 per call already takes the
// reader's system calls from one per datagram to a few percent of that.
const batchSize = 32

// newReader returns a read function that fills b with up to batchSize
// datagrams in one recvmmsg (golang.org/x/net's ReadBatch, which waits in
// Go's network poller like any read), and b.
func newReader(conn *net.UDPConn) (read func(*batch) (int, error), b *batch) {
	b = newBatch(batchSize)
	var pc interface {
		ReadBatch(ms []ipv4.Message, flags int) (int, error)
	}
	if ua, ok := conn.LocalAddr().(*net.UDPAddr); ok && ua.IP.To4() == nil {
		pc = ipv6.NewPacketConn(conn)
	} else {
		pc = ipv4.NewPacketConn(conn)
	}
	ms := make([]ipv4.Message, batchSize)
	for i := range ms {
		ms[i].Buffers = [][]byte{b.bufs[i]}
	}
	return func(b *batch) (int, error) {
		k, err := pc.ReadBatch(ms, 0)
		if err != nil {
			return 0, err
		}
		for i := 0; i < k; i++ {
			b.n[i] = ms[i].N
			b.from[i] = netip.AddrPort{}
			if ua, ok := ms[i].Addr.(*net.UDPAddr); ok {
				b.from[i] = ua.AddrPort()
			}
		}
		return k, nil
	}, b
}
