package wshub

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
)

// flushConn buffers what gorilla/websocket writes and sends it on Flush.
//
// Why: gorilla writes every frame with its own write system call. With 50
// clients at 10 000 events/s that is 500 000 calls a second, more than a
// 2-core machine has time for. The writer goroutine writes a whole batch of
// queued frames and flushes once, so a burst costs one call per client per
// batch while a single event still goes out at once.
type flushConn struct {
	net.Conn
	mu sync.Mutex
	w  *bufio.Writer
}

func (c *flushConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}

// Flush sends everything buffered.
func (c *flushConn) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Flush()
}

// hijacker hands gorilla a flushConn instead of the raw connection.
type hijacker struct {
	http.ResponseWriter
	conn *flushConn
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("connection cannot be taken over for a WebSocket")
	}
	c, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &flushConn{Conn: c, w: bufio.NewWriterSize(c, 16<<10)}
	return h.conn, brw, nil
}
