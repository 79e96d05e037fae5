package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRatesOverCompleteSeconds(t *testing.T) {
	c := New()
	t0 := time.Unix(1_800_000_000, 0)
	for s := 0; s < 10; s++ {
		for i := 0; i < (s+1)*100; i++ { // 100, 200, ... 1000 events per second
			c.Event(t0.Add(time.Duration(s)*time.Second+time.Duration(i)*time.Microsecond), time.Millisecond)
		}
	}
	snap := c.Snapshot(t0.Add(10*time.Second + 500*time.Millisecond))
	if snap.EventsPerSec1s != 1000 {
		t.Errorf("1 s rate %v, want 1000 (the last complete second)", snap.EventsPerSec1s)
	}
	if snap.EventsPerSec10s != 550 {
		t.Errorf("10 s rate %v, want 550", snap.EventsPerSec10s)
	}
	if snap.Decoded != 5500 {
		t.Errorf("decoded %d", snap.Decoded)
	}
	// A stall shows: twenty quiet seconds later the rates are zero.
	snap = c.Snapshot(t0.Add(30 * time.Second))
	if snap.EventsPerSec1s != 0 || snap.EventsPerSec10s != 0 {
		t.Errorf("after a stall: %v %v", snap.EventsPerSec1s, snap.EventsPerSec10s)
	}
}

func TestLatencyQuantiles(t *testing.T) {
	c := New()
	now := time.Unix(1_800_000_000, 0)
	for i := 0; i < 990; i++ {
		c.Event(now, 100*time.Microsecond)
	}
	for i := 0; i < 10; i++ {
		c.Event(now, 50*time.Millisecond)
	}
	s := c.Snapshot(now)
	if s.LatencyP50 < 100*time.Microsecond || s.LatencyP50 > 120*time.Microsecond {
		t.Errorf("p50 %v, want ~100µs", s.LatencyP50)
	}
	if s.LatencyP99 < 100*time.Microsecond || s.LatencyP99 > 120*time.Microsecond {
		t.Errorf("p99 %v, want ~100µs (exactly 1%% is slow)", s.LatencyP99)
	}
	c.Event(now, 50*time.Millisecond)
	if p := c.Snapshot(now).LatencyP99; p < 50*time.Millisecond || p > 60*time.Millisecond {
		t.Errorf("p99 %v, want ~50ms once more than 1%% is slow", p)
	}
	// Old latencies age out after two windows.
	if p := c.Snapshot(now.Add(25 * time.Second)).LatencyP99; p != 0 {
		t.Errorf("p99 %v after the window passed", p)
	}
}

func TestPrometheusFormat(t *testing.T) {
	c := New()
	c.Received.Add(3)
	c.Malformed.Add(1)
	c.SetScript(ScriptStats{QueueSize: 5, QueueMax: 100, Utilization: 0.05})
	var b bytes.Buffer
	if err := c.WritePrometheus(&b, time.Now()); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{"vimabl_events_received_total 3\n", "vimabl_events_malformed_total 1\n",
		"# TYPE vimabl_websocket_clients gauge\n", "vimabl_script_log_queue_utilization 0.05\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q", want)
		}
	}
	line := regexp.MustCompile(`^(# (HELP|TYPE) vimabl_[a-z0-9_]+ .+|vimabl_[a-z0-9_]+(\{[a-z_]+="[a-z_]+"\})? [-0-9.e+]+)$`)
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if !line.MatchString(l) {
			t.Errorf("not exposition format: %q", l)
		}
	}
}

// issue 10 item 5 (the brief's item 3): every dropped WebSocket client is
// counted under its reason; the old total stays the sum, in the status JSON
// and on /metrics as one labelled family whose every series is present.
func TestClientsDroppedByReason(t *testing.T) {
	c := New()
	c.ClientDropped(DropWriteTimeout)
	c.ClientDropped(DropWriteTimeout)
	c.ClientDropped(DropSlowQueue)
	c.ClientDropped(DropReadError)
	s := c.Snapshot(time.Now())
	if s.ClientsDropped != 4 {
		t.Errorf("total %d, want 4", s.ClientsDropped)
	}
	var js struct {
		Total uint64            `json:"clients_dropped"`
		By    map[string]uint64 `json:"clients_dropped_by_reason"`
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{"slow_queue": 1, "write_timeout": 2, "write_error": 0, "ping_timeout": 0, "frame_too_large": 0, "read_error": 1}
	if js.Total != 4 || len(js.By) != len(want) {
		t.Fatalf("status JSON %s", b)
	}
	for k, v := range want {
		if got, ok := js.By[k]; !ok || got != v {
			t.Errorf("clients_dropped_by_reason[%q] = %d (present %v), want %d", k, got, ok, v)
		}
	}

	var out bytes.Buffer
	if err := c.WritePrometheus(&out, time.Now()); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	const fam = "vimabl_websocket_clients_dropped_total"
	if n := strings.Count(text, "# TYPE "+fam+" counter\n"); n != 1 {
		t.Errorf("TYPE line of %s appears %d times, want once", fam, n)
	}
	for k, v := range want {
		if l := fmt.Sprintf("%s{reason=%q} %d\n", fam, k, v); !strings.Contains(text, l) {
			t.Errorf("missing %q", l)
		}
	}
	// Exposition format: all samples of a family follow its TYPE line.
	typeAt := strings.Index(text, "# TYPE "+fam)
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, fam+"{") && strings.Index(text, l) < typeAt {
			t.Errorf("sample %q before its TYPE line", l)
		}
	}
	if strings.Contains(text, "\n"+fam+" ") {
		t.Errorf("an unlabelled %s sample next to the labelled ones would double the sum", fam)
	}
}
