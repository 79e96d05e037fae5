package oscin

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/vimabl/vimabl/bridge/metrics"
	"github.com/vimabl/vimabl/bridge/portbind"
)

// Config says where Serve listens and whom it tells.
type Config struct {
	Addr     string            // host:port, e.g. "127.0.0.1:9002"
	Counters *metrics.Counters // nil = counters of its own
	// Report gets every change of the port's bind state (nil: none).
	Report func(portbind.State)
	Logger *slog.Logger // nil = discard
}

// Serve binds cfg.Addr — retrying while it cannot, see portbind.Retry —
// and hands the events of each datagram, decoded, typed and placed in their
// sender's numbering, to handle: in arrival order, from one goroutine, one
// call per datagram (a bundle's events together, in order). handle must not
// keep the slice. A datagram that does not decode is counted (Malformed)
// and skipped. Serve returns when ctx is done.
func Serve(ctx context.Context, cfg Config, handle func([]Event)) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var r *Receiver
	bound := portbind.Retry(ctx, portbind.Config{Network: "udp", Addr: cfg.Addr, Report: cfg.Report, Logger: log}, func() (net.Addr, error) {
		var err error
		if r, err = Listen(cfg.Addr, cfg.Counters); err != nil {
			return nil, err
		}
		return r.LocalAddr(), nil
	})
	if !bound {
		return
	}
	log.Info("listening for events", "addr", r.LocalAddr().String(), "rcvbuf", r.EffectiveBuffer())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	r.consume(handle, log)
	<-done
}

// consume decodes, counts and sequences every queued datagram and hands
// its events to handle, until Run closes the queue.
func (r *Receiver) consume(handle func([]Event), log *slog.Logger) {
	var from senders
	var dec decoder
	for d := range r.queue {
		evs, err := dec.decode(d.Data, d.Received)
		if err != nil {
			r.c.Malformed.Add(1)
			log.Debug("dropped a datagram", "from", d.From.String(), "err", err)
			continue
		}
		for i := range evs {
			ev := &evs[i]
			ev.From = d.From
			latency := time.Duration(-1)
			if !ev.Timestamp.IsZero() {
				latency = ev.Received.Sub(ev.Timestamp)
			}
			r.c.Event(ev.Received, latency)
			from.observe(ev)
		}
		handle(evs)
	}
}
