package metrics

import (
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Counters are the bridge's live figures. Counter fields are incremented
// with atomic adds from any goroutine; Snapshot reads them all at once.
type Counters struct {
	Received      atomic.Uint64
	Decoded       atomic.Uint64
	Malformed     atomic.Uint64
	Duplicates    atomic.Uint64
	Gaps          atomic.Uint64
	LostEvents    atomic.Uint64
	OutOfOrder    atomic.Uint64
	OverflowDrops atomic.Uint64
	// ForeignEvents: events dropped because their session is not the one
	// the command port confirms (a spoofed hello, a second script).
	ForeignEvents  atomic.Uint64
	FramesSent     atomic.Uint64
	Resyncs        atomic.Uint64
	ResyncFailures atomic.Uint64
	WSClients      atomic.Int64

	// clientsDropped counts WebSocket clients the bridge lost, by reason;
	// only ClientDropped adds to it, so the total always equals the sum.
	clientsDropped [dropReasons]atomic.Uint64

	mu     sync.Mutex
	rate   [rateSlots]rateSlot
	lat    [2]histogram // [current, previous] latency windows
	wsOut  [2]histogram // UDP-in → WebSocket-out, same windows
	latAt  time.Time    // when the current window started
	script ScriptStats
}

const (
	rateSlots = 16
	// latencyWindow is how much history p50/p99 describe: between one and
	// two windows, so a burst shows for a while and then ages out.
	latencyWindow = 10 * time.Second
)

type rateSlot struct {
	sec   int64
	count uint64
}

// New returns zeroed counters.
func New() *Counters { return &Counters{} }

// Event records one decoded event received at now; latency is the time from
// the script's timestamp to now (ignored if negative or absurd).
func (c *Counters) Event(now time.Time, latency time.Duration) {
	c.Decoded.Add(1)
	sec := now.Unix()
	c.mu.Lock()
	s := &c.rate[sec%rateSlots]
	if s.sec != sec {
		s.sec, s.count = sec, 0
	}
	s.count++
	if latency >= 0 && latency < time.Hour {
		c.rotate(now)
		c.lat[0].add(latency)
	}
	c.mu.Unlock()
}

func (c *Counters) rotate(now time.Time) {
	if now.Sub(c.latAt) < latencyWindow {
		return
	}
	if now.Sub(c.latAt) >= 2*latencyWindow {
		c.lat[1], c.wsOut[1] = histogram{}, histogram{}
	} else {
		c.lat[1], c.wsOut[1] = c.lat[0], c.wsOut[0]
	}
	c.lat[0], c.wsOut[0] = histogram{}, histogram{}
	c.latAt = now
}

// WSOut records how long a frame took from its UDP datagram being read to
// being written to a WebSocket client.
func (c *Counters) WSOut(now time.Time, d time.Duration) {
	if d < 0 || d > time.Hour {
		return
	}
	c.mu.Lock()
	c.rotate(now)
	c.wsOut[0].add(d)
	c.mu.Unlock()
}

// ClientDropped counts one WebSocket client whose connection ended for
// reason r. Call it once per client, for the first cause only.
func (c *Counters) ClientDropped(r DropReason) {
	if r < dropReasons {
		c.clientsDropped[r].Add(1)
	}
}

// SetScript stores the figures of the script's last heartbeat.
func (c *Counters) SetScript(s ScriptStats) {
	c.mu.Lock()
	c.script = s
	c.mu.Unlock()
}

// Snapshot returns every figure as of now.
func (c *Counters) Snapshot(now time.Time) Snapshot {
	s := Snapshot{
		Time:           now,
		EventsReceived: c.Received.Load(),
		Decoded:        c.Decoded.Load(),
		Malformed:      c.Malformed.Load(),
		Duplicates:     c.Duplicates.Load(),
		Gaps:           c.Gaps.Load(),
		LostEvents:     c.LostEvents.Load(),
		OutOfOrder:     c.OutOfOrder.Load(),
		OverflowDrops:  c.OverflowDrops.Load(),
		ForeignEvents:  c.ForeignEvents.Load(),
		WSClients:      int(c.WSClients.Load()),
		FramesSent:     c.FramesSent.Load(),
		Resyncs:        c.Resyncs.Load(),
		ResyncFailures: c.ResyncFailures.Load(),
	}
	s.ClientsDroppedBy = make(map[string]uint64, dropReasons)
	for _, r := range DropReasons() {
		n := c.clientsDropped[r].Load()
		s.ClientsDroppedBy[r.String()] = n
		s.ClientsDropped += n
	}
	sec := now.Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	// The last complete second, and the mean of the last ten complete ones.
	var ten uint64
	for back := int64(1); back <= 10; back++ {
		slot := c.rate[(sec-back)%rateSlots]
		if slot.sec != sec-back {
			continue
		}
		if back == 1 {
			s.EventsPerSec1s = float64(slot.count)
		}
		ten += slot.count
	}
	s.EventsPerSec10s = float64(ten) / 10
	c.rotate(now)
	var h histogram
	h.merge(&c.lat[0])
	h.merge(&c.lat[1])
	s.LatencyP50 = h.quantile(0.50)
	s.LatencyP99 = h.quantile(0.99)
	var w histogram
	w.merge(&c.wsOut[0])
	w.merge(&c.wsOut[1])
	s.WSOutP50 = w.quantile(0.50)
	s.WSOutP99 = w.quantile(0.99)
	s.Script = c.script
	return s
}

// histogram counts durations in exponential buckets: 1 µs × 1.2^i, up to
// about 30 s, so any quantile is known to within 20 %.
type histogram struct {
	n       uint64
	buckets [96]uint64
}

const histBase = 1.2

func bucketOf(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us <= 1 {
		return 0
	}
	i := int(math.Ceil(math.Log(us) / math.Log(histBase)))
	if i >= len(histogram{}.buckets) {
		return len(histogram{}.buckets) - 1
	}
	return i
}

func (h *histogram) add(d time.Duration) {
	h.buckets[bucketOf(d)]++
	h.n++
}

func (h *histogram) merge(o *histogram) {
	h.n += o.n
	for i, v := range o.buckets {
		h.buckets[i] += v
	}
}

// quantile returns the upper bound of the bucket holding quantile q (0 if empty).
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	want := uint64(math.Ceil(q * float64(h.n)))
	var cum uint64
	for i, v := range h.buckets {
		cum += v
		if cum >= want {
			return time.Duration(math.Pow(histBase, float64(i)) * float64(time.Microsecond))
		}
	}
	return time.Duration(math.Pow(histBase, float64(len(h.buckets)-1)) * float64(time.Microsecond))
}

// WritePrometheus writes every figure in the Prometheus text exposition
// format (what GET /metrics serves). A labelled family is written as one
// HELP/TYPE block followed by one sample per label value, every value
// present even at zero so a rate() sees each series from the start.
func (c *Counters) WritePrometheus(w io.Writer, now time.Time) error {
	s := c.Snapshot(now)
	type sample struct {
		label string // the label's value; "" for an unlabelled metric
		value float64
	}
	type metric struct {
		name, kind, help string
		labelName        string   // set for a labelled family
		samples          []sample // one for an unlabelled metric
	}
	one := func(name, kind, help string, v float64) metric {
		return metric{name: name, kind: kind, help: help, samples: []sample{{value: v}}}
	}
	var dropped []sample
	for _, r := range DropReasons() {
		dropped = append(dropped, sample{r.String(), float64(s.ClientsDroppedBy[r.String()])})
	}
	ms := []metric{
		one("vimabl_events_received_total", "counter", "UDP datagrams read from the events port.", float64(s.EventsReceived)),
		one("vimabl_events_decoded_total", "counter", "Events decoded.", float64(s.Decoded)),
		one("vimabl_events_malformed_total", "counter", "Datagrams dropped because they did not decode.", float64(s.Malformed)),
		one("vimabl_events_duplicate_total", "counter", "Events dropped as duplicates.", float64(s.Duplicates)),
		one("vimabl_sequence_gaps_total", "counter", "Gaps in the script's sequence numbers.", float64(s.Gaps)),
		one("vimabl_events_lost_total", "counter", "Events missing in those gaps.", float64(s.LostEvents)),
		one("vimabl_events_out_of_order_total", "counter", "Events that arrived after newer ones.", float64(s.OutOfOrder)),
		one("vimabl_events_overflow_total", "counter", "Datagrams dropped because the hand-off queue was full.", float64(s.OverflowDrops)),
		one("vimabl_events_foreign_total", "counter", "Events dropped because their session is not the one the command port confirms.", float64(s.ForeignEvents)),
		one("vimabl_events_per_second", "gauge", "Events decoded in the last complete second.", s.EventsPerSec1s),
		one("vimabl_events_per_second_10s", "gauge", "Mean events per second over the last ten seconds.", s.EventsPerSec10s),
		one("vimabl_event_latency_p50_seconds", "gauge", "Median script-to-bridge latency (recent window).", s.LatencyP50.Seconds()),
		one("vimabl_event_latency_p99_seconds", "gauge", "99th percentile script-to-bridge latency (recent window).", s.LatencyP99.Seconds()),
		one("vimabl_websocket_out_latency_p99_seconds", "gauge", "99th percentile UDP-in to WebSocket-out time (recent window).", s.WSOutP99.Seconds()),
		one("vimabl_websocket_clients", "gauge", "Connected WebSocket clients.", float64(s.WSClients)),
		one("vimabl_websocket_frames_sent_total", "counter", "WebSocket frames sent.", float64(s.FramesSent)),
		// The name predates the reason label; sum() over it is the old total.
		{name: "vimabl_websocket_clients_dropped_total", kind: "counter",
			help: "WebSocket clients whose connection the bridge lost or closed, by reason.", labelName: "reason", samples: dropped},
		one("vimabl_resyncs_total", "counter", "Mirror resynchronisations from SNAPSHOT.", float64(s.Resyncs)),
		one("vimabl_resync_failures_total", "counter", "Failed resynchronisations.", float64(s.ResyncFailures)),
		one("vimabl_script_log_queue_size", "gauge", "The script's log queue length (last heartbeat).", float64(s.Script.QueueSize)),
		one("vimabl_script_log_queue_utilization", "gauge", "The script's log queue size / capacity.", s.Script.Utilization),
		one("vimabl_script_log_dropped", "gauge", "Log lines the script dropped (last heartbeat).", float64(s.Script.Dropped)),
		one("vimabl_script_log_drop_rate", "gauge", "Share of the script's log lines dropped.", s.Script.DropRate),
		one("vimabl_script_listeners", "gauge", "Listeners the script has registered in Live.", float64(s.Script.Listeners)),
	}
	for _, m := range ms {
		if _, err := fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.kind); err != nil {
			return err
		}
		for _, smp := range m.samples {
			var err error
			if m.labelName == "" {
				_, err = fmt.Fprintf(w, "%s %g\n", m.name, smp.value)
			} else {
				// Label values are our own reason names ([a-z_]), so they
				// need no escaping.
				_, err = fmt.Fprintf(w, "%s{%s=%q} %g\n", m.name, m.labelName, smp.label, smp.value)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
