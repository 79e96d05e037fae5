package oscin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/vimabl/vimabl/bridge/metrics"
)

// Defaults of the receiver.
const (
	// SocketBuffer is the receive buffer asked of the OS: a 100 000-event
	// burst at loopback speed must fit while the consumer catches up. The OS
	// may cap it (Linux: net.core.rmem_max); EffectiveBuffer reports what it gave.
	SocketBuffer = 8 << 20
	// QueueLen bounds how many datagrams wait for the consumer: a burst of
	// 100 000 ordinary events (under 128 bytes each) is absorbed whole while
	// the consumer catches up (docs/performance.md).
	QueueLen = 1 << 17
	// QueueBytes bounds the bytes of the datagrams waiting for the consumer
	// (each is a copy): QueueLen alone let a flood of 60 KB /live/log
	// datagrams queue gigabytes (the headless bridge peaked at 343 MB).
	// QueueLen datagrams of 128 bytes fit in it, so the slot count still
	// decides for ordinary events; large ones are dropped beyond it.
	QueueBytes = 16 << 20
)

// Datagram is one raw datagram, who sent it and when it arrived.
type Datagram struct {
	Data     []byte
	Received time.Time
	// From is the sender's address (IPv4 addresses unmapped). A Remote
	// Script instance sends everything from one socket, so this is what
	// ties an ordinary event to the instance whose hello came from there.
	From netip.AddrPort
}

// ErrPortInUse is wrapped when the events port is taken by another program.
var ErrPortInUse = errors.New("port is used by another program")

// Receiver reads datagrams from one UDP socket.
type Receiver struct {
	conn   *net.UDPConn
	queue  chan Datagram
	queued queueLedger // owned by Run
	c      *metrics.Counters
	rcvbuf int
}

// queueLedger counts the bytes of the datagrams in the queue from the
// reader's side alone, so the consumer needs no part in it: it remembers the
// size of every datagram it queued, in order. Only the reader sends and the
// consumer takes the oldest first, so the datagrams still queued are always
// the newest len(queue) of those sent; settle forgets the others.
type queueLedger struct {
	sizes       []uint32 // a ring of the sizes of the datagrams sent, oldest at head
	head, count int
	bytes       int // the sum of the sizes in the ring
}

// settle forgets the datagrams the consumer took: queued is len(queue),
// read after the last send (the consumer may have taken more since; then
// bytes overstates the queue, never understates it).
func (l *queueLedger) settle(queued int) {
	for l.count > queued {
		l.bytes -= int(l.sizes[l.head])
		l.head = (l.head + 1) % len(l.sizes)
		l.count--
	}
}

// push records a datagram of n bytes just queued.
func (l *queueLedger) push(n int) {
	l.sizes[(l.head+l.count)%len(l.sizes)] = uint32(n)
	l.count++
	l.bytes += n
}

// Listen binds addr (host:port). A taken port returns an error wrapping
// ErrPortInUse that names the port.
func Listen(addr string, c *metrics.Counters) (*Receiver, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("events address %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.Errno(10048)) { // 10048: WSAEADDRINUSE
			return nil, fmt.Errorf("UDP port %d %w: %w", ua.Port, ErrPortInUse, err)
		}
		return nil, fmt.Errorf("listening for events on %s: %w", addr, err)
	}
	if c == nil {
		c = metrics.New()
	}
	r := &Receiver{conn: conn, queue: make(chan Datagram, QueueLen), c: c,
		queued: queueLedger{sizes: make([]uint32, QueueLen)}}
	_ = conn.SetReadBuffer(SocketBuffer) // best effort; the OS caps it
	r.rcvbuf = effectiveBuffer(conn)
	return r, nil
}

// LocalAddr is the bound address (useful with port 0).
func (r *Receiver) LocalAddr() *net.UDPAddr { return r.conn.LocalAddr().(*net.UDPAddr) }

// EffectiveBuffer is the socket receive buffer the OS granted, in bytes
// (0 if unknown).
func (r *Receiver) EffectiveBuffer() int { return r.rcvbuf }

// Datagrams is the hand-off queue; the consumer reads it in order. It is
// closed when Run returns.
func (r *Receiver) Datagrams() <-chan Datagram { return r.queue }

// Run reads until ctx is done or Close is called. It never blocks on the
// consumer: a datagram that finds the queue full (QueueLen datagrams, or
// QueueBytes of them) is dropped and counted as an overflow.
//
// Where the OS can, one system call reads a whole batch of datagrams
// (recvmmsg on Linux, read_linux.go): a burst at loopback speed then costs
// the reader a call per batch instead of one per datagram, so the few
// moments it gets a core on a busy machine drain the socket before the
// kernel's buffer overflows. The batch's buffers are reused; the datagrams
// that are queued are copied out into one allocation per batch.
func (r *Receiver) Run(ctx context.Context) error {
	defer close(r.queue)
	stop := context.AfterFunc(ctx, func() { r.conn.Close() })
	defer stop()
	read, b := newReader(r.conn)
	for {
		k, err := read(b)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			// A transient error (e.g. ICMP on some OSes): keep reading.
			continue
		}
		now := time.Now()
		r.c.Received.Add(uint64(k))
		// Decide which datagrams fit before copying any, so those that do
		// share one allocation.
		r.queued.settle(len(r.queue))
		total := 0
		for i := 0; i < k; i++ {
			n := b.n[i]
			switch {
			case n > MaxDatagram:
				r.c.Malformed.Add(1)
				b.n[i] = -1
			case r.queued.count == QueueLen || r.queued.bytes+n > QueueBytes:
				r.c.OverflowDrops.Add(1)
				b.n[i] = -1
			default:
				r.queued.push(n)
				total += n
			}
		}
		slab := make([]byte, total)
		for i := 0; i < k; i++ {
			n := b.n[i]
			if n < 0 {
				continue
			}
			data := slab[:n:n]
			slab = slab[n:]
			copy(data, b.bufs[i][:n])
			from := netip.AddrPortFrom(b.from[i].Addr().Unmap(), b.from[i].Port())
			// The ledger counted it: the queue has room, and only this
			// goroutine sends, so this never blocks.
			r.queue <- Datagram{Data: data, Received: now, From: from}
		}
	}
}

// batch is the reader's buffers, reused for every read: a datagram each,
// its length and its sender.
type batch struct {
	bufs [][]byte
	n    []int
	from []netip.AddrPort
}

func newBatch(size int) *batch {
	b := &batch{bufs: make([][]byte, size), n: make([]int, size), from: make([]netip.AddrPort, size)}
	// One allocation for all: a buffer holds the largest datagram and one
	// byte more, so an oversized one is seen as such.
	all := make([]byte, size*(MaxDatagram+1))
	for i := range b.bufs {
		b.bufs[i] = all[i*(MaxDatagram+1) : (i+1)*(MaxDatagram+1)]
	}
	return b
}

// Close stops Run and releases the port.
func (r *Receiver) Close() error {
	err := r.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
