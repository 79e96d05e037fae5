package app

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vimabl/vimabl/bridge/metrics"
)

// historyLen is how many one-second samples a chart shows (two minutes).
const historyLen = 120

// series is a fixed-length history of one figure, newest last.
type series struct {
	vals []float64
}

func (s *series) push(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	s.vals = append(s.vals, v)
	if len(s.vals) > historyLen {
		s.vals = s.vals[len(s.vals)-historyLen:]
	}
}

func (s *series) last() float64 {
	if len(s.vals) == 0 {
		return 0
	}
	return s.vals[len(s.vals)-1]
}

func (s *series) max() float64 {
	m := 0.0
	for _, v := range s.vals {
		m = math.Max(m, v)
	}
	return m
}

// chart is a small live chart drawn on a raster: a burst is a spike, a stall
// a flat line at zero — visible without reading a number.
type chart struct {
	name   string
	unit   string
	format string
	color  color.NRGBA
	minTop float64 // the y axis never zooms in beyond this
	data   series
	label  *widget.Label
	raster *canvas.Raster
}

func newChart(name, unit, format string, c color.NRGBA, minTop float64) *chart {
	ch := &chart{name: name, unit: unit, format: format, color: c, minTop: minTop}
	ch.label = widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ch.raster = canvas.NewRaster(ch.draw)
	ch.raster.SetMinSize(fyne.NewSize(200, 90))
	return ch
}

func (c *chart) object() fyne.CanvasObject {
	return container.NewBorder(c.label, nil, nil, nil, c.raster)
}

func (c *chart) update() {
	setText(c.label, c.label.Text, fmt.Sprintf("%s — now "+c.format+"%s, peak "+c.format+"%s", c.name, c.data.last(), c.unit, c.data.max(), c.unit))
	c.raster.Refresh()
}

// draw renders the history as a filled line, scaled to its peak.
func (c *chart) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	bg := color.NRGBA{0x80, 0x80, 0x80, 0x22}
	draw.Draw(img, img.Bounds(), &image.Uniform{C: bg}, image.Point{}, draw.Src)
	top := math.Max(c.data.max()*1.15, c.minTop)
	n := len(c.data.vals)
	if n == 0 || w < 2 || h < 2 {
		return img
	}
	fill := c.color
	fill.A = 0x55
	prevY := -1
	for x := 0; x < w; x++ {
		// Map pixel column to a sample; the newest sample is at the right edge.
		pos := float64(x) / float64(w-1) * float64(historyLen-1)
		i := int(pos) - (historyLen - n)
		if i < 0 {
			continue
		}
		v := c.data.vals[i]
		y := h - 1 - int(math.Round(v/top*float64(h-2)))
		if y < 0 {
			y = 0
		}
		for yy := y; yy < h; yy++ {
			img.SetNRGBA(x, yy, fill)
		}
		from, to := y, y
		if prevY >= 0 {
			from, to = min(prevY, y), max(prevY, y)
		}
		for yy := from; yy <= to; yy++ {
			img.SetNRGBA(x, yy, c.color)
			if yy+1 < h {
				img.SetNRGBA(x, yy+1, c.color)
			}
		}
		prevY = y
	}
	return img
}

// metricsTab shows the bridge's counters and the charts.
type metricsTab struct {
	charts   []*chart
	events   *chart
	latency  *chart
	gaps     *chart
	clients  *chart
	queue    *chart
	drops    *chart
	counters *widget.Label
	lastGaps uint64
	primed   bool
	// How long redrawing the window takes: the proof it stays responsive.
	renderLast, renderMax time.Duration
	renderMaxAt           time.Time
}

// renderTook records one window update's duration (UI thread); the maximum
// covers the last ten seconds.
func (t *metricsTab) renderTook(d time.Duration, at time.Time) {
	t.renderLast = d
	if d >= t.renderMax || at.Sub(t.renderMaxAt) > 10*time.Second {
		t.renderMax, t.renderMaxAt = d, at
	}
}

func newMetricsTab() *metricsTab {
	t := &metricsTab{
		events:   newChart("Events/s", "", "%.0f", color.NRGBA{0x3d, 0x8b, 0xfd, 0xff}, 10),
		latency:  newChart("Latency p99", " ms", "%.2f", color.NRGBA{0xa3, 0x6b, 0xf2, 0xff}, 1),
		gaps:     newChart("Events lost/s", "", "%.0f", red, 1),
		clients:  newChart("WebSocket clients", "", "%.0f", color.NRGBA{0x1f, 0xb5, 0xa6, 0xff}, 2),
		queue:    newChart("Script log queue", " %", "%.1f", amber, 5),
		drops:    newChart("Script log drop rate", " %", "%.2f", color.NRGBA{0xe0, 0x6c, 0x31, 0xff}, 1),
		counters: widget.NewLabel(""),
	}
	t.charts = []*chart{t.events, t.latency, t.gaps, t.clients, t.queue, t.drops}
	t.counters.TextStyle = fyne.TextStyle{Monospace: true}
	return t
}

func (t *metricsTab) object() fyne.CanvasObject {
	grid := container.NewGridWithColumns(2)
	for _, c := range t.charts {
		grid.Add(c.object())
	}
	return container.NewVScroll(container.NewVBox(grid, widget.NewSeparator(), t.counters))
}

// sample records one second of figures (called once a second, any thread
// that owns the tab: the UI thread).
func (t *metricsTab) sample(m metrics.Snapshot) {
	t.events.data.push(m.EventsPerSec1s)
	t.latency.data.push(float64(m.LatencyP99.Microseconds()) / 1000)
	lost := m.LostEvents
	if !t.primed {
		t.lastGaps, t.primed = lost, true
	}
	t.gaps.data.push(float64(lost - t.lastGaps))
	t.lastGaps = lost
	t.clients.data.push(float64(m.WSClients))
	t.queue.data.push(m.Script.Utilization * 100)
	t.drops.data.push(m.Script.DropRate * 100)
}

func (t *metricsTab) update(m metrics.Snapshot) {
	for _, c := range t.charts {
		c.update()
	}
	setText(t.counters, t.counters.Text, counterText(m)+fmt.Sprintf("\nwindow update %v, slowest in 10 s %v",
		t.renderLast.Round(10*time.Microsecond), t.renderMax.Round(10*time.Microsecond)))
}

func counterText(m metrics.Snapshot) string {
	return fmt.Sprintf(
		"received %-10d decoded %-10d malformed %-6d duplicates %-6d\n"+
			"gaps %-6d lost %-8d out-of-order %-6d overflow drops %-6d\n"+
			"events/s %7.0f (1 s) %7.0f (10 s)   latency p50 %v  p99 %v\n"+
			"WebSocket clients %-4d frames sent %-10d clients dropped %-4d\n"+
			"resyncs %-6d failed %-6d\n"+
			"script log queue %d/%d (peak %d)  enqueued %d  drained %d  dropped %d  listeners %d",
		m.EventsReceived, m.Decoded, m.Malformed, m.Duplicates,
		m.Gaps, m.LostEvents, m.OutOfOrder, m.OverflowDrops,
		m.EventsPerSec1s, m.EventsPerSec10s, m.LatencyP50, m.LatencyP99,
		m.WSClients, m.FramesSent, m.ClientsDropped,
		m.Resyncs, m.ResyncFailures,
		m.Script.QueueSize, m.Script.QueueMax, m.Script.PeakQueueSize, m.Script.Enqueued, m.Script.Drained, m.Script.Dropped, m.Script.Listeners)
}
