// Package bridge is VimAbl's engine: it receives the Remote Script's OSC
// events, keeps a mirror of the Set, serves it over WebSocket, tails Live's
// log and measures everything. The tray app and `vimabl bridge` both drive
// it through Engine; the engine never imports the UI.
package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/vimabl/vimabl/bridge/livelog"
	"github.com/vimabl/vimabl/bridge/metrics"
)

// Config says where the engine listens and what it talks to. Zero values
// mean the defaults (loopback, 9002 / 8765 / 9001).
type Config struct {
	EventsAddr  string // UDP listen address for OSC events, default "127.0.0.1:9002"
	WSAddr      string // HTTP+WebSocket listen address, default "127.0.0.1:8765"
	CommandAddr string // the Remote Script's TCP command port, default "127.0.0.1:9001"
	LiveLogPath string // Log.txt to follow; "" = find it (newest Live version)

	// Installed reports whether the Remote Script is installed in a User
	// Library; nil means "assume installed". It is called at most every few
	// seconds, never on the UI thread's behalf.
	Installed func() bool

	// AllowedOrigins lists extra web origins (scheme://host[:port]) allowed
	// to open the WebSocket besides localhost ones.
	AllowedOrigins []string

	Logger *slog.Logger // nil = discard
}

// DefaultEventsAddr, DefaultWSAddr and DefaultCommandAddr are the ports
// docs/protocol.md defines, on loopback.
const (
	DefaultEventsAddr  = "127.0.0.1:9002"
	DefaultWSAddr      = "127.0.0.1:8765"
	DefaultCommandAddr = "127.0.0.1:9001"
)

// ErrNotRunning is returned by calls that need a started engine.
var ErrNotRunning = errors.New("bridge engine is not running")

// Engine is the running bridge. All methods are safe for concurrent use and
// never block on the network or the disk, except Command and Resync, which
// take a context.
type Engine struct {
	cfg Config
	// The engine's owner fills in the rest (issue 3).
}

// New checks cfg and returns an engine that is not started yet.
func New(cfg Config) (*Engine, error) {
	return &Engine{cfg: cfg}, nil
}

// Start binds the listeners and starts every loop. A port taken by another
// program is not an error: the engine reports StatePortConflict in Status
// and keeps retrying. Start returns an error only for a bad configuration.
func (e *Engine) Start(ctx context.Context) error { return errors.New("engine: not built yet") }

// Stop closes every listener and waits for the loops to end.
func (e *Engine) Stop() error { return nil }

// Status is the connection state and the figures the tray shows.
func (e *Engine) Status() Status { return Status{} }

// Metrics is a consistent copy of every counter.
func (e *Engine) Metrics() metrics.Snapshot { return metrics.Snapshot{Time: time.Now()} }

// Logs is the ring of Live's log lines and the script's /live/log events.
func (e *Engine) Logs() *livelog.Ring { return nil }

// Changes delivers a value (coalesced, never blocking the engine) whenever
// Status, Metrics or Logs changed; the UI redraws on it at a bounded rate.
func (e *Engine) Changes() <-chan struct{} { return nil }

// StateJSON is the mirror of the Set, encoded like SNAPSHOT's "state".
func (e *Engine) StateJSON() []byte { return []byte("{}") }

// Resync asks the script for a SNAPSHOT and reloads the mirror from it.
func (e *Engine) Resync(ctx context.Context) error { return ErrNotRunning }

// Command sends one command line to the Remote Script (short-lived
// connection to CommandAddr) and returns its JSON reply.
func (e *Engine) Command(ctx context.Context, line string) (json.RawMessage, error) {
	return nil, ErrNotRunning
}
