package app

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

var (
	green = color.NRGBA{0x2e, 0xc2, 0x6e, 0xff}
	red   = color.NRGBA{0xe0, 0x3c, 0x31, 0xff}
	amber = color.NRGBA{0xf0, 0xa5, 0x1e, 0xff}
	grey  = color.NRGBA{0x9a, 0x9a, 0x9a, 0xff}
)

// statusTab shows one row per link, green or red, with a fix when red.
type statusTab struct {
	headline *widget.Label
	viewer   *widget.Button // opens the Set Viewer in the default browser
	box      *fyne.Container
	rows     []*statusRow
}

type statusRow struct {
	dot    *canvas.Circle
	title  *widget.Label
	detail *widget.Label
	fix    *widget.Label
	obj    fyne.CanvasObject
}

func newStatusRow() *statusRow {
	r := &statusRow{
		dot:    canvas.NewCircle(grey),
		title:  widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		detail: widget.NewLabel(""),
		fix:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true}),
	}
	r.detail.Wrapping = fyne.TextWrapWord
	r.detail.Truncation = fyne.TextTruncateOff
	r.fix.Wrapping = fyne.TextWrapWord
	r.fix.Importance = widget.DangerImportance
	dot := container.NewCenter(container.NewGridWrap(fyne.NewSize(14, 14), r.dot))
	title := container.NewGridWrap(fyne.NewSize(230, r.title.MinSize().Height), r.title)
	r.obj = container.NewBorder(nil, nil, container.NewHBox(dot, title), nil, container.NewVBox(r.detail, r.fix))
	return r
}

// newStatusTab builds the tab; openViewer is what its "Open Set Viewer"
// button does.
func newStatusTab(openViewer func()) *statusTab {
	t := &statusTab{headline: widget.NewLabelWithStyle("Starting…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	t.headline.Wrapping = fyne.TextWrapWord
	t.viewer = widget.NewButton("Open Set Viewer", openViewer)
	t.viewer.Disable()
	t.box = container.NewVBox()
	return t
}

func (t *statusTab) object() fyne.CanvasObject {
	top := container.NewBorder(nil, nil, nil, t.viewer, t.headline)
	return container.NewBorder(container.NewVBox(top, widget.NewSeparator()), nil, nil, nil,
		container.NewVScroll(t.box))
}

// update renders rows; it must run on fyne's thread.
func (t *statusTab) update(v View) {
	setText(t.headline, t.headline.Text, summaryLine(v))
	if (viewerURL(v) == "") != t.viewer.Disabled() {
		if viewerURL(v) == "" {
			t.viewer.Disable()
		} else {
			t.viewer.Enable()
		}
	}
	rows := statusRows(v)
	for len(t.rows) < len(rows) {
		r := newStatusRow()
		t.rows = append(t.rows, r)
		t.box.Add(r.obj)
	}
	for i, r := range t.rows {
		if i >= len(rows) {
			r.obj.Hide()
			continue
		}
		row := rows[i]
		r.obj.Show()
		setText(r.title, r.title.Text, row.Title)
		setText(r.detail, r.detail.Text, row.Detail)
		if row.OK {
			r.dot.FillColor = green
			r.fix.Hide()
		} else {
			r.dot.FillColor = red
			setText(r.fix, r.fix.Text, "Fix: "+fixText(row.Fix))
			if row.Fix == "" {
				r.fix.Hide()
			} else {
				r.fix.Show()
			}
		}
		r.dot.Refresh()
	}
}

// fixText is a fix line as the italic label shows it: the engine marks
// commands with backticks (for terminals and /status), which the italic face
// draws over the letter before them, so they become plain quotes here.
func fixText(fix string) string {
	return strings.ReplaceAll(fix, "`", "\"")
}
