// Package scriptclient talks to the Remote Script's command port (TCP 9001).
//
// Every call uses its own short-lived connection: dial, write one line, read
// the single JSON reply until the server closes, close. The client never keeps
// the port open between calls, because Hammerspoon and `nc` use the same port
// and the script serves one connection at a time.
package scriptclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

const (
	// DefaultTimeout bounds a call whose context has no deadline. SNAPSHOT of a
	// big Set runs on Live's 100 ms tick, so a few seconds is generous.
	DefaultTimeout = 10 * time.Second
	// MaxReplySize bounds a reply; a SNAPSHOT of a very large Set stays far
	// below it, and a misbehaving peer cannot make us buffer without limit.
	MaxReplySize = 64 << 20
	// maxLineSize mirrors the server's own limit on a command line.
	maxLineSize = 64 << 10
)

// ErrReplyTooLarge is returned (wrapped) when a reply exceeds MaxReplySize.
var ErrReplyTooLarge = errors.New("reply larger than 64 MiB")

// CommandError is the script's own refusal: a reply {"success": false,
// "error": "<sentence>"}. Error() returns the sentence with the command.
type CommandError struct {
	Command string // the command line that was sent
	Message string // the script's sentence, verbatim
}

// Error returns `<command>: <sentence>`.
func (e *CommandError) Error() string {
	return fmt.Sprintf("remote script refused %q: %s", e.Command, e.Message)
}

// Client sends commands to the Remote Script at one address. It holds no
// connection and is safe for concurrent use.
type Client struct {
	addr    string
	timeout time.Duration
	dialer  net.Dialer
}

// New returns a client for the command port at addr (host:port, e.g.
// "127.0.0.1:9001"). Nothing is dialled until a command is sent.
func New(addr string) *Client {
	return &Client{addr: addr, timeout: DefaultTimeout}
}

// Addr returns the address the client dials.
func (c *Client) Addr() string { return c.addr }

// WithTimeout returns a copy of c whose calls without a context deadline use
// d instead of DefaultTimeout. A non-positive d keeps the default.
func (c *Client) WithTimeout(d time.Duration) *Client {
	cp := &Client{addr: c.addr, timeout: c.timeout}
	if d > 0 {
		cp.timeout = d
	}
	return cp
}

// Command sends one command line (e.g. "GET_VIEW" or "EXPORT_XML:/a/b.als")
// on a fresh connection and returns the reply object as raw JSON.
//
// The call ends at the earlier of ctx's deadline and the client's default
// timeout; cancelling ctx aborts it. A reply with "success": false becomes a
// *CommandError carrying the script's sentence. A reply that is not a JSON
// object, or that exceeds MaxReplySize, is an error. The line must not
// contain a newline.
func (c *Client) Command(ctx context.Context, line string) (json.RawMessage, error) {
	if strings.ContainsAny(line, "\r\n") {
		return nil, fmt.Errorf("command %q: a command is one line and must not contain a newline", line)
	}
	if len(line) > maxLineSize {
		return nil, fmt.Errorf("command of %d bytes: longer than the script's 64 KiB limit", len(line))
	}
	deadline := time.Now().Add(c.timeout)
	ctxDeadline := false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxDeadline = d, true
	}
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	conn, err := c.dialer.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("connect to remote script at %s: %w", c.addr, err)
	}
	defer conn.Close()
	// Close the connection when ctx is cancelled so blocked reads return.
	stop := context.AfterFunc(dctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := conn.SetDeadline(deadline); err != nil {
		return nil, fmt.Errorf("set deadline on %s: %w", c.addr, err)
	}
	if _, err := io.WriteString(conn, line+"\n"); err != nil {
		return nil, c.wrapIO(ctx, ctxDeadline, line, "send", err)
	}
	// Half-close so a server that reads until end of stream sees it too.
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	body, err := io.ReadAll(io.LimitReader(conn, MaxReplySize+1))
	if err != nil {
		return nil, c.wrapIO(ctx, ctxDeadline, line, "read reply to", err)
	}
	if len(body) > MaxReplySize {
		return nil, fmt.Errorf("command %q at %s: %w", line, c.addr, ErrReplyTooLarge)
	}
	return parseReply(line, body)
}

// wrapIO turns a socket error into one that says whether the caller's
// context ended. The socket deadline can fire a moment before the context
// notices its own, so a socket timeout at the context's deadline is reported
// as context.DeadlineExceeded.
func (c *Client) wrapIO(ctx context.Context, ctxDeadline bool, line, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s %q at %s: %w", what, line, c.addr, ctxErr)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if ctxDeadline {
			return fmt.Errorf("%s %q at %s: %w", what, line, c.addr, context.DeadlineExceeded)
		}
		return fmt.Errorf("%s %q at %s: no reply within %v: %w", what, line, c.addr, c.timeout, err)
	}
	return fmt.Errorf("%s %q at %s: %w", what, line, c.addr, err)
}

// parseReply checks the reply envelope and returns the object.
func parseReply(line string, body []byte) (json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, fmt.Errorf("command %q: the remote script closed the connection without a reply", line)
	}
	var env struct {
		Success *bool           `json:"success"`
		Error   json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("command %q: reply is not a JSON object: %w", line, err)
	}
	if env.Success == nil {
		return nil, fmt.Errorf("command %q: reply has no \"success\" field", line)
	}
	if !*env.Success {
		msg := "unspecified error"
		var s string
		if len(env.Error) > 0 && json.Unmarshal(env.Error, &s) == nil && s != "" {
			msg = s
		} else if len(env.Error) > 0 && string(env.Error) != "null" {
			msg = string(env.Error)
		}
		return nil, &CommandError{Command: line, Message: msg}
	}
	return json.RawMessage(body), nil
}

// PingReply is the reply to PING.
type PingReply struct {
	Pong      bool   `json:"pong"`
	Version   string `json:"version"`
	SessionID string `json:"session_id"`
	// TickAgeMS is how long ago Live's main thread last ran the script's
	// timer (PING is answered off that thread); nil from scripts that do not
	// say. Large while Live is busy: a dialog or menu open, a Set loading.
	TickAgeMS *int64 `json:"tick_age_ms"`
}

// Ping sends PING. It succeeds only if the script answers "pong": true.
func (c *Client) Ping(ctx context.Context) (PingReply, error) {
	raw, err := c.Command(ctx, "PING")
	if err != nil {
		return PingReply{}, err
	}
	var r PingReply
	if err := json.Unmarshal(raw, &r); err != nil {
		return PingReply{}, fmt.Errorf("decode PING reply: %w", err)
	}
	if !r.Pong {
		return PingReply{}, fmt.Errorf("PING reply from %s lacks \"pong\": true", c.addr)
	}
	return r, nil
}

// SnapshotReply is the reply to SNAPSHOT: the whole observed model (State,
// kept raw so the mirror decodes it) and the sequence number of the last
// event it already reflects.
type SnapshotReply struct {
	SessionID string          `json:"session_id"`
	Seq       int64           `json:"seq"`
	State     json.RawMessage `json:"state"`
}

// Snapshot sends SNAPSHOT and returns the reply. A reply without a state
// object is an error.
func (c *Client) Snapshot(ctx context.Context) (SnapshotReply, error) {
	raw, err := c.Command(ctx, "SNAPSHOT")
	if err != nil {
		return SnapshotReply{}, err
	}
	var r SnapshotReply
	if err := json.Unmarshal(raw, &r); err != nil {
		return SnapshotReply{}, fmt.Errorf("decode SNAPSHOT reply: %w", err)
	}
	if len(r.State) == 0 || r.State[0] != '{' {
		return SnapshotReply{}, fmt.Errorf("SNAPSHOT reply from %s has no \"state\" object", c.addr)
	}
	return r, nil
}
