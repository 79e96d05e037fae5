package app

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
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

// ---- formatting: figures as people read them ----

// sig3 prints v with three significant digits at most (1.02, 12.3, 123).
func sig3(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case a == 0:
		return "0"
	case a < 10:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	case a < 100:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	// 1.50 → 1.5, 2.00 → 2: trailing zeros say nothing here.
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// formatDuration prints a duration in the unit a person reads it in, with
// three significant digits: 850 ns, 12.3 µs, 1.02 ms, 2.5 s, 3 min 20 s.
func formatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + formatDuration(-d)
	case d == 0:
		return "0 ms"
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return sig3(float64(d)/float64(time.Microsecond)) + " µs"
	case d < time.Second:
		return sig3(float64(d)/float64(time.Millisecond)) + " ms"
	case d < time.Minute:
		return sig3(d.Seconds()) + " s"
	}
	return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
}

// formatCount prints a counter with thousands separators (12,345,678).
func formatCount(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatInt is formatCount for a signed figure.
func formatInt(n int64) string {
	if n < 0 {
		return "-" + formatCount(uint64(-n))
	}
	return formatCount(uint64(n))
}

// formatPercent prints a fraction (0.0123) as a percentage (1.23 %).
func formatPercent(f float64) string { return sig3(f*100) + " %" }

// niceTop is the top of a chart's value axis: the smallest 1, 2 or 5 × 10ⁿ
// that leaves room above peak, and never below minTop.
func niceTop(peak, minTop float64) float64 {
	want := math.Max(peak*1.1, minTop)
	if want <= 0 {
		return 1
	}
	exp := math.Pow(10, math.Floor(math.Log10(want)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*exp >= want*(1-1e-9) {
			return m * exp
		}
	}
	return 10 * exp
}

// ---- charts ----

// chart is a small live chart drawn on a raster, with a value axis: a
// burst is a spike, a stall a flat line at zero — visible without reading
// a number, and readable when you do.
type chart struct {
	name   string
	value  func(float64) string // a value with its unit ("2.5 ms", "370/s")
	color  color.NRGBA
	minTop float64 // the axis never zooms in beyond this
	data   series
	top    float64 // the axis' top, as last drawn
	label  *widget.Label
	axis   [3]*canvas.Text // top, middle, zero
	raster *canvas.Raster
}

func newChart(name string, value func(float64) string, c color.NRGBA, minTop float64) *chart {
	ch := &chart{name: name, value: value, color: c, minTop: minTop, top: niceTop(0, minTop)}
	ch.label = widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	for i := range ch.axis {
		ch.axis[i] = canvas.NewText("", axisColor)
		ch.axis[i].TextSize = 11
		ch.axis[i].Alignment = fyne.TextAlignTrailing
	}
	ch.raster = canvas.NewRaster(ch.draw)
	ch.raster.SetMinSize(fyne.NewSize(200, 90))
	ch.setAxis()
	return ch
}

var axisColor = color.NRGBA{0x99, 0x99, 0x99, 0xff}

func (c *chart) object() fyne.CanvasObject {
	axis := container.NewVBox(c.axis[0], layout.NewSpacer(), c.axis[1], layout.NewSpacer(), c.axis[2])
	return container.NewBorder(c.label, nil, axis, nil, c.raster)
}

// setAxis labels the value axis for the current top.
func (c *chart) setAxis() {
	for i, v := range []float64{c.top, c.top / 2, 0} {
		if s := c.value(v); c.axis[i].Text != s {
			c.axis[i].Text = s
			c.axis[i].Refresh()
		}
	}
}

func (c *chart) update() {
	c.top = niceTop(c.data.max(), c.minTop)
	c.setAxis()
	setText(c.label, c.label.Text, fmt.Sprintf("%s — now %s · peak %s", c.name, c.value(c.data.last()), c.value(c.data.max())))
	c.raster.Refresh()
}

// draw renders the history as a filled line on the axis' scale, with grid
// lines at the top and middle values the axis names.
func (c *chart) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	bg := color.NRGBA{0x80, 0x80, 0x80, 0x22}
	draw.Draw(img, img.Bounds(), &image.Uniform{C: bg}, image.Point{}, draw.Src)
	if w < 2 || h < 2 {
		return img
	}
	grid := color.NRGBA{0x80, 0x80, 0x80, 0x55}
	for _, y := range []int{0, (h - 1) / 2} {
		for x := 0; x < w; x += 2 {
			img.SetNRGBA(x, y, grid)
		}
	}
	top := c.top
	n := len(c.data.vals)
	if n == 0 || top <= 0 {
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
		y := h - 1 - int(math.Round(v/top*float64(h-1)))
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

// ---- the counter table ----

// counterRow is one labelled figure of the table.
type counterRow struct{ Name, Value string }

// counterGroup is one titled block of the table.
type counterGroup struct {
	Title string
	Rows  []counterRow
}

// counterTable is every counter of the bridge as people read it, grouped
// by what it is about. The shape (groups and names) never depends on the
// values, so the tab builds its labels once and only changes texts.
func counterTable(m metrics.Snapshot, renderLast, renderMax time.Duration) []counterGroup {
	c := formatCount
	s := m.Script
	return []counterGroup{
		{"Events from Live", []counterRow{
			{"Received", c(m.EventsReceived)},
			{"Decoded", c(m.Decoded)},
			{"Malformed", c(m.Malformed)},
			{"Duplicates", c(m.Duplicates)},
			{"Out of order", c(m.OutOfOrder)},
			{"Gaps", c(m.Gaps)},
			{"Events lost in gaps", c(m.LostEvents)},
			{"Dropped, queue full", c(m.OverflowDrops)},
			{"Of another session", c(m.ForeignEvents)},
		}},
		{"Speed", []counterRow{
			{"Events/s, last second", sig3(m.EventsPerSec1s) + "/s"},
			{"Events/s, last 10 s", sig3(m.EventsPerSec10s) + "/s"},
			{"Latency p50 (Live › bridge)", formatDuration(m.LatencyP50)},
			{"Latency p99 (Live › bridge)", formatDuration(m.LatencyP99)},
			{"Out p50 (bridge › client)", formatDuration(m.WSOutP50)},
			{"Out p99 (bridge › client)", formatDuration(m.WSOutP99)},
			{"Window update", formatDuration(renderLast.Round(10 * time.Microsecond))},
			{"Slowest in 10 s", formatDuration(renderMax.Round(10 * time.Microsecond))},
		}},
		{"WebSocket clients", []counterRow{
			{"Connected", formatInt(int64(m.WSClients))},
			{"Frames sent", c(m.FramesSent)},
			{"Clients dropped", c(m.ClientsDropped)},
			{"Resyncs", c(m.Resyncs)},
			{"Resyncs failed", c(m.ResyncFailures)},
		}},
		{"Script's log queue", []counterRow{
			{"In queue", formatInt(s.QueueSize) + " of " + formatInt(s.QueueMax)},
			{"Peak", formatInt(s.PeakQueueSize)},
			{"Enqueued", formatInt(s.Enqueued)},
			{"Drained", formatInt(s.Drained)},
			{"Dropped", formatInt(s.Dropped)},
			{"Listeners", formatInt(int64(s.Listeners))},
		}},
	}
}

// counterView is the table's widgets: one value text per row. Plain
// canvas texts rather than labels: a label's padding would make the 28
// rows taller than the window.
type counterView struct {
	box    *fyne.Container
	values []*canvas.Text
}

func newCounterView() *counterView {
	fg := theme.Color(theme.ColorNameForeground)
	v := &counterView{box: container.NewGridWithColumns(2)}
	for _, g := range counterTable(metrics.Snapshot{}, 0, 0) {
		rows := container.New(layout.NewCustomPaddedVBoxLayout(3))
		for _, r := range g.Rows {
			name := canvas.NewText(r.Name, axisColor)
			value := canvas.NewText(r.Value, fg)
			value.Alignment = fyne.TextAlignTrailing
			v.values = append(v.values, value)
			rows.Add(container.NewBorder(nil, nil, name, nil, value))
		}
		title := widget.NewLabelWithStyle(g.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		v.box.Add(container.NewVBox(title, container.NewPadded(rows)))
	}
	return v
}

func (v *counterView) update(groups []counterGroup) {
	i := 0
	for _, g := range groups {
		for _, r := range g.Rows {
			if t := v.values[i]; t.Text != r.Value {
				t.Text = r.Value
				t.Refresh()
			}
			i++
		}
	}
}

// ---- the tab ----

// metricsTab shows the bridge's charts and counters.
type metricsTab struct {
	charts   []*chart
	events   *chart
	latency  *chart
	gaps     *chart
	clients  *chart
	queue    *chart
	drops    *chart
	counters *counterView
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
	perSec := func(v float64) string { return sig3(v) + "/s" }
	ms := func(v float64) string { return formatDuration(time.Duration(v * float64(time.Millisecond))) }
	pct := func(v float64) string { return sig3(v) + " %" }
	count := func(v float64) string { return sig3(v) }
	t := &metricsTab{
		events:   newChart("Events per second", perSec, color.NRGBA{0x3d, 0x8b, 0xfd, 0xff}, 10),
		latency:  newChart("Latency p99, Live › bridge", ms, color.NRGBA{0xa3, 0x6b, 0xf2, 0xff}, 1),
		gaps:     newChart("Events lost per second", perSec, red, 1),
		clients:  newChart("WebSocket clients", count, color.NRGBA{0x1f, 0xb5, 0xa6, 0xff}, 2),
		queue:    newChart("Script's log queue, full", pct, amber, 5),
		drops:    newChart("Script's log lines dropped", pct, color.NRGBA{0xe0, 0x6c, 0x31, 0xff}, 1),
		counters: newCounterView(),
	}
	t.charts = []*chart{t.events, t.latency, t.gaps, t.clients, t.queue, t.drops}
	return t
}

func (t *metricsTab) object() fyne.CanvasObject {
	grid := container.NewGridWithColumns(2)
	for _, c := range t.charts {
		grid.Add(c.object())
	}
	return container.NewVScroll(container.NewVBox(grid, widget.NewSeparator(), t.counters.box))
}

// sample records one second of figures (called once a second, any thread
// that owns the tab: the UI thread).
func (t *metricsTab) sample(m metrics.Snapshot) {
	t.events.data.push(m.EventsPerSec1s)
	t.latency.data.push(float64(m.LatencyP99) / float64(time.Millisecond))
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
	t.counters.update(counterTable(m, t.renderLast, t.renderMax))
}
