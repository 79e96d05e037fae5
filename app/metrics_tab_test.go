package app

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/vimabl/vimabl/bridge/metrics"
)

// issue 15 (Metrics tab): durations as people read them, not Go's
// "1.020674ms".
func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                        "0 ms",
		850:                      "850 ns",
		12345:                    "12.3 µs",
		999 * time.Microsecond:   "999 µs",
		1020674:                  "1.02 ms",
		1500 * time.Microsecond:  "1.5 ms",
		2 * time.Millisecond:     "2 ms",
		12340 * time.Microsecond: "12.3 ms",
		123456789:                "123 ms",
		2500 * time.Millisecond:  "2.5 s",
		200 * time.Second:        "3 min 20 s",
		-1020674:                 "-1.02 ms",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 12345678: "12,345,678"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
	if got := formatInt(-1234); got != "-1,234" {
		t.Errorf("formatInt(-1234) = %q", got)
	}
}

// A chart's axis ends on a round value above its peak, never below its
// floor, so its labels read 5 ms / 2.5 ms / 0 ms rather than 3.37 ms.
func TestNiceTop(t *testing.T) {
	for _, c := range []struct{ peak, floor, want float64 }{
		{0, 10, 10}, {370, 10, 500}, {3.66, 1, 5}, {0.4, 1, 1}, {95, 5, 200}, {1800, 10, 2000}, {0, 0, 1},
	} {
		if got := niceTop(c.peak, c.floor); got != c.want {
			t.Errorf("niceTop(%v, %v) = %v, want %v", c.peak, c.floor, got, c.want)
		}
	}
}

func snapshotForTab() metrics.Snapshot {
	return metrics.Snapshot{
		EventsReceived: 1234567, Decoded: 1234560, Malformed: 7, LostEvents: 3, Gaps: 1,
		EventsPerSec1s: 370, EventsPerSec10s: 319.4,
		LatencyP50: 1020674, LatencyP99: 2539765, WSOutP50: 85 * time.Microsecond, WSOutP99: 1200 * time.Microsecond,
		WSClients: 2, FramesSent: 98765, Resyncs: 2,
		Script: metrics.ScriptStats{QueueSize: 3, QueueMax: 10000, PeakQueueSize: 12, Enqueued: 4, Drained: 4, Listeners: 655, Utilization: 0.0003},
	}
}

// The counters are a labelled table, every duration in a readable unit.
func TestCounterTableIsLabelled(t *testing.T) {
	groups := counterTable(snapshotForTab(), 1260*time.Microsecond, 1430*time.Microsecond)
	got := map[string]string{}
	for _, g := range groups {
		for _, r := range g.Rows {
			got[g.Title+"/"+r.Name] = r.Value
		}
	}
	for k, want := range map[string]string{
		"Events from Live/Received":         "1,234,567",
		"Speed/Latency p50 (Live › bridge)": "1.02 ms",
		"Speed/Latency p99 (Live › bridge)": "2.54 ms",
		"Speed/Out p50 (bridge › client)":   "85 µs",
		"Speed/Events/s, last 10 s":         "319/s",
		"Speed/Window update":               "1.26 ms",
		"WebSocket clients/Frames sent":     "98,765",
		"Script's log queue/In queue":       "3 of 10,000",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	// The shape never depends on the values: the tab relies on it.
	empty := counterTable(metrics.Snapshot{}, 0, 0)
	if len(empty) != len(groups) {
		t.Fatal("the table's groups depend on the values")
	}
	for i := range empty {
		if len(empty[i].Rows) != len(groups[i].Rows) {
			t.Fatalf("group %q's rows depend on the values", groups[i].Title)
		}
	}
}

// The tab itself, in fyne's test app: the table's labels show the
// snapshot's figures, each chart's axis names its unit, and no raw Go
// duration ("1.020674ms") is left anywhere.
func TestMetricsTabShowsReadableFigures(t *testing.T) {
	a := test.NewTempApp(t)
	mt := newMetricsTab()
	w := a.NewWindow("metrics")
	w.SetContent(mt.object())
	m := snapshotForTab()
	for i := 0; i < 5; i++ {
		mt.sample(m)
	}
	mt.update(m)

	var texts []string
	for _, v := range mt.counters.values {
		texts = append(texts, v.Text)
	}
	all := strings.Join(texts, "|")
	for _, want := range []string{"1,234,567", "1.02 ms", "2.54 ms", "3 of 10,000"} {
		if !strings.Contains(all, want) {
			t.Errorf("the table does not show %q: %s", want, all)
		}
	}
	if !strings.Contains(mt.latency.label.Text, "now 2.54 ms · peak 2.54 ms") {
		t.Errorf("latency title %q", mt.latency.label.Text)
	}
	axes := map[*chart][3]string{
		mt.events:  {"500/s", "250/s", "0/s"},
		mt.latency: {"5 ms", "2.5 ms", "0 ms"},
		mt.queue:   {"5 %", "2.5 %", "0 %"},
	}
	for c, want := range axes {
		for i := range want {
			if c.axis[i].Text != want[i] {
				t.Errorf("%s axis[%d] = %q, want %q", c.name, i, c.axis[i].Text, want[i])
			}
		}
	}
	raw := regexp.MustCompile(`\d+\.\d{3,}(ms|µs|s)\b`)
	for _, s := range append(texts, mt.latency.label.Text, mt.events.label.Text) {
		if raw.MatchString(s) {
			t.Errorf("a raw duration is shown: %q", s)
		}
	}
}
