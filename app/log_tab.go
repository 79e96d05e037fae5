package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vimabl/vimabl/bridge/livelog"
)

// The log view keeps as much as the engine's ring: maxLogEntries entries
// within maxLogBytes of their Bytes (100 000 lines of 16 KiB would be 1.6 GB).
const (
	maxLogEntries = livelog.DefaultRingSize
	maxLogBytes   = livelog.DefaultRingBytes
)

// logModel is the log view's data, separate from widgets so filtering and
// incremental appends are testable without a window. Not safe for
// concurrent use: the UI thread owns it.
type logModel struct {
	entries   []livelog.Entry
	visible   []int // indices into entries that pass the filter
	filter    livelog.Filter
	clearedAt uint64 // entries with ID <= clearedAt are hidden ("clear view")
	lastID    uint64
	bytes     int // the sum of the entries' Bytes
}

// add appends new entries (oldest first) and reports how many became visible.
func (m *logModel) add(es []livelog.Entry) int {
	if len(es) == 0 {
		return 0
	}
	shown := 0
	for _, e := range es {
		if e.ID <= m.lastID {
			continue
		}
		m.lastID = e.ID
		m.entries = append(m.entries, e)
		m.bytes += m.entries[len(m.entries)-1].Bytes()
		if m.match(&m.entries[len(m.entries)-1]) {
			m.visible = append(m.visible, len(m.entries)-1)
			shown++
		}
	}
	if len(m.entries) > maxLogEntries || m.bytes > maxLogBytes {
		// Drop the oldest down to three quarters of both bounds at once,
		// so that this copy is rare.
		drop := 0
		for len(m.entries)-drop > maxLogEntries*3/4 || m.bytes > maxLogBytes*3/4 {
			m.bytes -= m.entries[drop].Bytes()
			drop++
		}
		m.entries = append(m.entries[:0:0], m.entries[drop:]...)
		m.refilter()
	}
	return shown
}

func (m *logModel) match(e *livelog.Entry) bool {
	return e.ID > m.clearedAt && m.filter.Match(e)
}

func (m *logModel) setFilter(f livelog.Filter) {
	m.filter = f
	m.refilter()
}

func (m *logModel) refilter() {
	m.visible = m.visible[:0]
	for i := range m.entries {
		if m.match(&m.entries[i]) {
			m.visible = append(m.visible, i)
		}
	}
}

// clear hides everything received so far (the engine keeps its ring).
func (m *logModel) clear() {
	m.clearedAt = m.lastID
	m.visible = m.visible[:0]
}

func (m *logModel) at(i int) *livelog.Entry {
	if i < 0 || i >= len(m.visible) {
		return nil
	}
	return &m.entries[m.visible[i]]
}

// entryText is the full text of an entry, for the detail pane and copying.
func entryText(e *livelog.Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s [%s] %s", e.Time.Format("2006-01-02 15:04:05.000"), e.Level, e.Component, e.Message)
	for _, l := range e.Traceback {
		b.WriteString("\n  ")
		b.WriteString(l)
	}
	return b.String()
}

// oneLine is the list row's message: tracebacks show their last line, the
// exception, and how many lines are grouped.
func oneLine(e *livelog.Entry) string {
	if len(e.Traceback) > 0 {
		last := strings.TrimSpace(e.Traceback[len(e.Traceback)-1])
		return fmt.Sprintf("Traceback (%d lines) — %s", len(e.Traceback), last)
	}
	return e.Message
}

// logTab is Live's log and the script's lines in one virtualised list.
type logTab struct {
	m         logModel
	list      *widget.List
	follow    *widget.Check
	level     *widget.Select
	component *widget.Select
	search    *widget.Entry
	detail    *widget.Entry
	count     *widget.Label
	selected  int
	copyText  func(string)
	copyBtn   *widget.Button
	clearBtn  *widget.Button
	// what the list showed at its last refresh: no change, no redraw
	shownCount int
	shownLast  uint64
}

// levelChoices name the levels as the script does (WARN, VimAbl's name; the
// parser also reads WARNING as it).
var levelChoices = []string{"All levels", "INFO and above", "WARN and above", "ERROR and above"}

func newLogTab(copyText func(string)) *logTab {
	t := &logTab{selected: -1, copyText: copyText}
	t.list = widget.NewList(
		func() int { return len(t.m.visible) },
		func() fyne.CanvasObject {
			when := widget.NewLabel("00:00:00.000")
			level := widget.NewLabelWithStyle("WARNING", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			comp := widget.NewLabel("[Component]")
			msg := widget.NewLabel("")
			msg.Truncation = fyne.TextTruncateClip // ellipsis re-shapes every row on each update: 4x the cost
			return container.NewBorder(nil, nil, container.NewHBox(when, level, comp), nil, msg)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			e := t.m.at(id)
			if e == nil {
				return
			}
			c := o.(*fyne.Container)
			msg := c.Objects[0].(*widget.Label)
			left := c.Objects[1].(*fyne.Container)
			left.Objects[0].(*widget.Label).SetText(e.Time.Format("15:04:05.000"))
			lv := left.Objects[1].(*widget.Label)
			lv.SetText(e.Level.String())
			lv.Importance = levelImportance(e)
			lv.Refresh()
			left.Objects[2].(*widget.Label).SetText("[" + e.Component + "]")
			msg.SetText(oneLine(e))
			msg.Importance = widget.MediumImportance
			if len(e.Traceback) > 0 {
				msg.Importance = widget.DangerImportance
			}
			msg.Refresh()
		},
	)
	t.list.OnSelected = func(id widget.ListItemID) {
		t.selected = id
		if e := t.m.at(id); e != nil {
			t.detail.SetText(entryText(e))
		}
		t.follow.SetChecked(false) // reading an entry pauses following
	}
	t.follow = widget.NewCheck("Follow", nil)
	t.follow.Checked = true
	t.follow.OnChanged = func(on bool) {
		if on {
			t.scrollToBottom()
		}
	}
	t.level = widget.NewSelect(levelChoices, func(string) { t.applyFilter() })
	t.level.SetSelected(levelChoices[0])
	t.component = widget.NewSelect([]string{"All components"}, func(string) { t.applyFilter() })
	t.component.SetSelected("All components")
	t.search = widget.NewEntry()
	t.search.SetPlaceHolder("Search…")
	t.search.OnChanged = func(string) { t.applyFilter() }
	t.detail = widget.NewMultiLineEntry()
	t.detail.SetPlaceHolder("Select a line to see it whole (tracebacks included).")
	t.detail.Wrapping = fyne.TextWrapWord
	t.count = widget.NewLabel("")
	return t
}

func levelImportance(e *livelog.Entry) widget.Importance {
	switch {
	case e.Level >= livelog.LevelError || e.Source == livelog.SourceScriptError:
		return widget.DangerImportance
	case e.Level == livelog.LevelWarning:
		return widget.WarningImportance
	case e.Level == livelog.LevelDebug:
		return widget.LowImportance
	}
	return widget.MediumImportance
}

func (t *logTab) object() fyne.CanvasObject {
	t.copyBtn = widget.NewButton("Copy", func() {
		if e := t.m.at(t.selected); e != nil && t.copyText != nil {
			t.copyText(entryText(e))
		}
	})
	t.clearBtn = widget.NewButton("Clear View", func() {
		t.m.clear()
		t.selected = -1
		t.list.UnselectAll()
		t.detail.SetText("")
		t.refresh()
	})
	bar := container.NewBorder(nil, nil, container.NewHBox(t.follow, t.level, t.component), container.NewHBox(t.count, t.copyBtn, t.clearBtn), t.search)
	split := container.NewVSplit(t.list, t.detail)
	split.Offset = 0.78
	return container.NewBorder(bar, nil, nil, nil, split)
}

// currentFilter reads the filter widgets.
func (t *logTab) currentFilter() livelog.Filter {
	f := livelog.Filter{Text: strings.TrimSpace(t.search.Text)}
	switch t.level.Selected {
	case levelChoices[1]:
		f.MinLevel = livelog.LevelInfo
	case levelChoices[2]:
		f.MinLevel = livelog.LevelWarning
	case levelChoices[3]:
		f.MinLevel = livelog.LevelError
	}
	if c := t.component.Selected; c != "" && c != "All components" {
		f.Component = c
	}
	return f
}

func (t *logTab) applyFilter() {
	if t.list == nil || t.search == nil || t.component == nil || t.level == nil {
		return // still being built
	}
	t.m.setFilter(t.currentFilter())
	t.selected = -1
	t.list.UnselectAll()
	t.refresh()
}

// append adds fetched entries and updates the component choices; UI thread.
func (t *logTab) append(es []livelog.Entry, components []string) {
	if len(components)+1 != len(t.component.Options) {
		t.component.Options = append([]string{"All components"}, components...)
		t.component.Refresh()
	}
	t.m.add(es)
	if len(t.m.visible) != t.shownCount || t.m.lastID != t.shownLast {
		t.shownCount, t.shownLast = len(t.m.visible), t.m.lastID
		t.refresh()
	}
}

func (t *logTab) refresh() {
	t.count.SetText(fmt.Sprintf("%d lines", len(t.m.visible)))
	t.list.Refresh()
	if t.follow.Checked {
		t.scrollToBottom()
	}
}

// scrollToBottom follows the newest line. fyne's List has no scroller until
// it is first laid out (a tab not shown yet), and ScrollToBottom would crash
// then: wait until it has a size.
func (t *logTab) scrollToBottom() {
	if t.list.Size().Height > 0 {
		t.list.ScrollToBottom()
	}
}
