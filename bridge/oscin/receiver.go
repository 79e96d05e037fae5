package oscin

import (
	"context"
	"errors"
	"fmt"
	"net"
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
	// QueueLen bounds datagrams waiting for the consumer.
	QueueLen = 1 << 17
)

// Datagram is one raw datagram and when it arrived.
type Datagram struct {
	Data     []byte
	Received time.Time
}

// ErrPortInUse is wrapped when the events port is taken by another program.
var ErrPortInUse = errors.New("port is used by another program")

// Receiver reads datagrams from one UDP socket.
type Receiver struct {
	conn    *net.UDPConn
	queue   chan Datagram
	c       *metrics.Counters
	rcvbuf  int
	stopped chan struct{}
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
			return nil, fmt.Errorf("UDP port %d %w: %v", ua.Port, ErrPortInUse, err)
		}
		return nil, fmt.Errorf("listening for events on %s: %w", addr, err)
	}
	if c == nil {
		c = metrics.New()
	}
	r := &Receiver{conn: conn, queue: make(chan Datagram, QueueLen), c: c, stopped: make(chan struct{})}
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
// consumer: a full queue drops the datagram and counts it.
func (r *Receiver) Run(ctx context.Context) error {
	defer close(r.queue)
	defer close(r.stopped)
	stop := context.AfterFunc(ctx, func() { r.conn.Close() })
	defer stop()
	buf := make([]byte, MaxDatagram+1)
	for {
		n, _, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			// A transient error (e.g. ICMP on some OSes): keep reading.
			continue
		}
		now := time.Now()
		r.c.Received.Add(1)
		if n > MaxDatagram {
			r.c.Malformed.Add(1)
			continue
		}
		d := Datagram{Data: append([]byte(nil), buf[:n]...), Received: now}
		select {
		case r.queue <- d:
		default:
			r.c.OverflowDrops.Add(1)
		}
	}
}

// Close stops Run and releases the port.
func (r *Receiver) Close() error {
	err := r.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
