package wshub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vimabl/vimabl/bridge/metrics"
)

// client is one WebSocket connection.
type client struct {
	hub        *Hub
	conn       *websocket.Conn
	fc         *flushConn // buffers conn's writes until the batch is flushed
	remote     string
	registered chan struct{}
	// What the client's copy of the Set is: owned by the hub goroutine.
	session string // of the last snapshot it was sent
	seq     int64  // the last event it was sent, or that snapshot's seq
	snapSum uint64 // that snapshot's checksum
	pending bool   // registered during a resync: nothing until a snapshot frame
	patch   bool   // asked for patch mode (/ws?patch=1)

	mu        sync.Mutex
	queue     []queued
	queued    int
	closing   bool
	closeCode int
	closeMsg  string
	ended     bool // why the connection ends is recorded (and counted if a drop)
	wake      chan struct{}
}

// takes reports whether frame f goes to the client, and records what the
// client then has; only the hub goroutine calls it. This is the fence of
// docs/protocol.md: a client gets an event only on top of a snapshot of the
// event's session that does not already contain it, so no event of a new
// session reaches a client before that session's snapshot, whenever the
// client connected. A snapshot is not sent again to a client that has
// exactly it and nothing since (the snapshot taken when it connected and the
// engine's frame for the same resync are often the same).
func (cl *client) takes(f Frame) bool {
	switch {
	case f.Snapshot:
		if !cl.pending && f.Session == cl.session && f.Seq == cl.seq && f.sum == cl.snapSum {
			return false
		}
		cl.session, cl.seq, cl.snapSum, cl.pending = f.Session, f.Seq, f.sum, false
	case f.Event:
		// An unnumbered event (seq 0) has no place in the stream: never sent.
		if cl.pending || f.Session != cl.session || f.Seq <= cl.seq {
			return false
		}
		cl.seq = f.Seq
	}
	return true
}

// queued is one frame waiting for a client.
type queued struct {
	data     []byte
	received time.Time
}

// push queues one frame; false (and the client is being closed) when the
// client is too far behind.
func (cl *client) push(data []byte) bool {
	return cl.pushFrame(data, time.Time{})
}

// pushFrame queues a frame; false when the client is closing, either
// already or because this frame pushed it past its bound (then the drop is
// counted here, once).
func (cl *client) pushFrame(data []byte, received time.Time) bool {
	cl.mu.Lock()
	if cl.closing {
		cl.mu.Unlock()
		return false
	}
	if limit := cl.hub.cfg.QueueBytes; cl.queued+len(data) > limit {
		cl.closing = true
		cl.closeCode = websocket.ClosePolicyViolation
		cl.closeMsg = fmt.Sprintf("VimAbl: client fell more than %d KiB behind; reconnect for a fresh snapshot", limit>>10)
		cl.queue, cl.queued = nil, 0
		first := !cl.ended
		cl.ended = true
		cl.mu.Unlock()
		if first {
			cl.hub.c.ClientDropped(metrics.DropSlowQueue)
			cl.hub.log.Warn("websocket client fell behind; closed", "remote", cl.remote, "limit_bytes", limit)
		}
		cl.signal()
		return false
	}
	cl.queue = append(cl.queue, queued{data, received})
	cl.queued += len(data)
	cl.mu.Unlock()
	cl.signal()
	return true
}

func (cl *client) close(code int, reason string) {
	cl.mu.Lock()
	if !cl.closing {
		cl.closing, cl.closeCode, cl.closeMsg = true, code, reason
	}
	cl.mu.Unlock()
	cl.signal()
}

// markEnded records that the connection's end has a cause; only the first
// call returns true. The failure of the other pump on the connection the
// first one closed is an effect, not a second drop.
func (cl *client) markEnded() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.ended {
		return false
	}
	cl.ended = true
	return true
}

// endClean records an end that is no drop: the client closed, or the
// bridge is stopping.
func (cl *client) endClean() { cl.markEnded() }

// drop counts the client under reason r unless its end was already
// recorded.
func (cl *client) drop(r metrics.DropReason, err error) {
	if !cl.markEnded() {
		return
	}
	cl.hub.c.ClientDropped(r)
	log := cl.hub.log.Warn
	if r == metrics.DropReadError {
		log = cl.hub.log.Info // mostly a client that exited without a close frame
	}
	log("websocket client dropped", "remote", cl.remote, "reason", r.String(), "err", err)
}

// writeFailed records why a write failed: a deadline means the client
// stopped reading (its socket buffers are full).
func (cl *client) writeFailed(err error) {
	switch {
	case errors.Is(err, websocket.ErrCloseSent):
		// A close frame went out first (ours or the answer to the
		// client's): that close decided how the connection ends.
	case isTimeout(err):
		cl.drop(metrics.DropWriteTimeout, err)
	default:
		cl.drop(metrics.DropWriteError, err)
	}
}

// readFailed records why reading failed. A close frame from the client is
// its own choice; gorilla reports a connection closed without one as 1006.
func (cl *client) readFailed(err error) {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
		cl.endClean()
	case errors.Is(err, websocket.ErrReadLimit):
		cl.drop(metrics.DropFrameTooLarge, err)
	case isTimeout(err):
		cl.drop(metrics.DropPingTimeout, err)
	default:
		cl.drop(metrics.DropReadError, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (cl *client) signal() {
	select {
	case cl.wake <- struct{}{}:
	default:
	}
}

// writePump is the only writer of the connection: queued frames in order,
// pings, and the close frame.
func (cl *client) writePump() {
	writeWait := cl.hub.writeWait
	ticker := time.NewTicker(cl.hub.pongWait * 9 / 10)
	defer func() {
		ticker.Stop()
		cl.conn.Close()
	}()
	c := cl.hub.c
	var batch []queued
	for {
		select {
		case <-cl.wake:
		case <-ticker.C:
			cl.conn.SetWriteDeadline(time.Now().Add(writeWait))
			err := cl.conn.WriteMessage(websocket.PingMessage, nil)
			if err == nil {
				err = cl.fc.Flush()
			}
			if err != nil {
				cl.writeFailed(err)
				cl.gone()
				return
			}
			continue
		}
		cl.mu.Lock()
		batch, cl.queue = cl.queue, batch[:0]
		cl.queued = 0
		closing, code, msg := cl.closing, cl.closeCode, cl.closeMsg
		cl.mu.Unlock()
		for i, q := range batch {
			// One deadline per 1024 frames rather than per frame: setting it
			// reads the clock and re-arms a runtime timer, which at 500 000
			// frames/s cost more than writing into the buffer. A client must
			// take each 1024 frames within writeWait.
			if i%1024 == 0 {
				cl.conn.SetWriteDeadline(time.Now().Add(writeWait))
			}
			if err := cl.conn.WriteMessage(websocket.TextMessage, q.data); err != nil {
				cl.writeFailed(err)
				cl.gone()
				return
			}
			c.FramesSent.Add(1)
		}
		if len(batch) > 0 {
			cl.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := cl.fc.Flush(); err != nil {
				cl.writeFailed(err)
				cl.gone()
				return
			}
			// The oldest frame of the batch waited longest: one sample per
			// flush keeps the measurement cheap at 500 000 frames/s.
			if r := batch[0].received; !r.IsZero() {
				now := time.Now()
				c.WSOut(now, now.Sub(r))
			}
		}
		clear(batch)
		if closing {
			cl.conn.SetWriteDeadline(time.Now().Add(writeWait))
			cl.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, msg))
			cl.fc.Flush()
			cl.gone()
			return
		}
	}
}

func (cl *client) gone() {
	select {
	case cl.hub.unregister <- cl:
	case <-cl.hub.done:
	}
}

// readPump reads commands until the connection fails. Commands run on
// their own goroutines, at most MaxCommandsInFlight at a time, under a
// context that ends with the connection: a client that goes takes its
// commands with it. readPump returns once they have returned.
func (cl *client) readPump(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	slots := make(chan struct{}, MaxCommandsInFlight)
	var running sync.WaitGroup
	defer func() {
		cancel()
		cl.close(websocket.CloseNormalClosure, "")
		cl.gone()
		running.Wait()
	}()
	pongWait := cl.hub.pongWait
	cl.conn.SetReadLimit(MaxCommandFrame)
	cl.conn.SetReadDeadline(time.Now().Add(pongWait))
	cl.conn.SetPongHandler(func(string) error {
		cl.conn.SetReadDeadline(time.Now().Add(pongWait))
		return nil
	})
	for {
		kind, data, err := cl.conn.ReadMessage()
		if err != nil {
			cl.readFailed(err)
			return
		}
		cl.conn.SetReadDeadline(time.Now().Add(pongWait))
		var req request
		var ref *refusal
		if kind == websocket.BinaryMessage {
			ref = &refusal{CodeBadFrame, "binary frames are not read; send each command as a JSON text frame"}
		} else {
			req, ref = parseCommand(data)
		}
		if ref == nil && cl.hub.cfg.Command == nil {
			ref = &refusal{CodeUnavailable, "commands are not available"}
		}
		if ref != nil {
			cl.reply(replyFrame{ID: req.id, Error: ref.msg, Code: ref.code})
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			cl.reply(replyFrame{ID: req.id, Busy: true, Error: busyError, Code: CodeBusy})
			continue
		}
		running.Add(1)
		go func() {
			defer running.Done()
			r := cl.run(ctx, req)
			// Free the slot before the reply goes out: a client that sends
			// its next command on receiving the reply must find it free.
			<-slots
			cl.reply(r)
		}()
	}
}

// run forwards one allowed command to the script and makes its reply.
func (cl *client) run(ctx context.Context, req request) replyFrame {
	cctx, cancel := context.WithTimeout(ctx, commandWait)
	defer cancel()
	res, err := cl.hub.cfg.Command(cctx, req.line)
	switch {
	case err == nil && res == nil:
		return replyFrame{ID: req.id, Result: json.RawMessage("null")}
	case err == nil:
		return scriptReply(req.id, res)
	case ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded):
		return replyFrame{ID: req.id, Error: fmt.Sprintf("the Remote Script did not answer within %v", commandWait), Code: CodeTimeout}
	}
	return replyFrame{ID: req.id, Error: "the Remote Script did not answer: " + err.Error(), Code: CodeUnavailable}
}

// reply queues a reply frame for the client.
func (cl *client) reply(r replyFrame) {
	r.Type = "reply"
	out, err := json.Marshal(r)
	if err != nil {
		// Only a result that is not valid JSON can fail; say so.
		out, _ = json.Marshal(replyFrame{Type: "reply", ID: r.ID, Error: "reply could not be encoded: " + err.Error()})
	}
	cl.push(out)
}
