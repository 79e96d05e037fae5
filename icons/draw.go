// Package icons draws VimAbl's icons in code and embeds the PNGs made from
// them: the app icon and a tray icon per connection state, as macOS template
// images (black with alpha) and coloured images for Windows and Linux.
//
// `go run ./icons/gen` writes every file in this folder from the drawing
// below; a test checks the committed files still match it.
package icons

import (
	"image"
	"image/color"
	"math"
)

// States are the tray states the icon distinguishes.
var States = []string{"not-installed", "waiting", "streaming", "problem"}

// shape is a coverage function over the unit square: the colour at (x, y),
// with alpha as coverage.
type shape func(x, y float64) color.NRGBA

// render draws a shape at size×size pixels with 4×4 supersampling.
func render(size int, s shape) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					c := s(x, y)
					fa := float64(c.A) / 255
					r += float64(c.R) * fa
					g += float64(c.G) * fa
					b += float64(c.B) * fa
					a += fa
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(r / a)), G: uint8(math.Round(g / a)), B: uint8(math.Round(b / a)),
				A: uint8(math.Round(a / (ss * ss) * 255)),
			})
		}
	}
	return img
}

// segDist is the distance from p to the segment a–b.
func segDist(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := ((px-ax)*dx + (py-ay)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	ex, ey := ax+t*dx-px, ay+t*dy-py
	return math.Hypot(ex, ey)
}

// inV reports whether (x, y) is on the "V": two thick strokes meeting at the
// bottom, drawn in a box (x0, y0)–(x1, y1) with stroke width w.
func inV(x, y, x0, y0, x1, y1, w float64) bool {
	mx := (x0 + x1) / 2
	return segDist(x, y, x0, y0, mx, y1) <= w/2 || segDist(x, y, x1, y0, mx, y1) <= w/2
}

func inRoundRect(x, y, x0, y0, x1, y1, r float64) bool {
	cx := math.Max(x0+r, math.Min(x1-r, x))
	cy := math.Max(y0+r, math.Min(y1-r, y))
	return math.Hypot(x-cx, y-cy) <= r
}

var (
	ink       = color.NRGBA{0x1c, 0x1f, 0x26, 0xff}
	paper     = color.NRGBA{0xf4, 0xf1, 0xe8, 0xff}
	cursor    = color.NRGBA{0x3d, 0xd6, 0x8c, 0xff}
	clear     = color.NRGBA{}
	black     = color.NRGBA{0, 0, 0, 0xff}
	stateTint = map[string]color.NRGBA{
		"not-installed": {0x9a, 0x9a, 0x9a, 0xff},
		"waiting":       {0xf0, 0xa5, 0x1e, 0xff},
		"streaming":     {0x2e, 0xc2, 0x6e, 0xff},
		"problem":       {0xe0, 0x3c, 0x31, 0xff},
	}
)

// appShape is the app icon: a dark rounded square (Live's session grid as
// faint cells), a light "V" and a green block cursor — Vim in Live.
func appShape(x, y float64) color.NRGBA {
	if !inRoundRect(x, y, 0.06, 0.06, 0.94, 0.94, 0.2) {
		return clear
	}
	if inV(x, y, 0.24, 0.24, 0.70, 0.76, 0.13) {
		return paper
	}
	if x >= 0.70 && x <= 0.80 && y >= 0.56 && y <= 0.76 {
		return cursor
	}
	// Clip-grid cells, barely visible.
	gx, gy := math.Mod((x-0.06)/0.88*6, 1), math.Mod((y-0.06)/0.88*6, 1)
	if gx > 0.12 && gx < 0.88 && gy > 0.12 && gy < 0.88 {
		return color.NRGBA{0x26, 0x2a, 0x33, 0xff}
	}
	return ink
}

// AppIcon renders the app icon at size px.
func AppIcon(size int) *image.NRGBA { return render(size, appShape) }

// trayShape is the menu-bar glyph: a "V" and, bottom right, a badge whose
// shape tells the state even in a one-colour template image:
// not-installed a hollow ring, waiting a small dot, streaming a large dot,
// problem a bar with a gap (an exclamation mark).
func trayShape(state string, template bool) shape {
	fg := ink
	badge, ok := stateTint[state]
	if !ok {
		state, badge = "problem", stateTint["problem"]
	}
	if template {
		fg, badge = black, black
	}
	return func(x, y float64) color.NRGBA {
		cx, cy := 0.76, 0.74
		d := math.Hypot(x-cx, y-cy)
		switch state {
		case "not-installed":
			if d <= 0.2 && d >= 0.12 {
				return badge
			}
		case "waiting":
			if d <= 0.13 {
				return badge
			}
		case "streaming":
			if d <= 0.21 {
				return badge
			}
		case "problem":
			if math.Abs(x-cx) <= 0.07 && (y >= 0.46 && y <= 0.78 || y >= 0.86 && y <= 0.98) {
				return badge
			}
		}
		// Keep clear of the badge so the two never merge.
		if d <= 0.27 && state != "problem" || state == "problem" && math.Abs(x-cx) <= 0.13 && y >= 0.40 {
			return clear
		}
		if inV(x, y, 0.08, 0.14, 0.72, 0.86, 0.17) {
			return fg
		}
		return clear
	}
}

// TrayIcon renders the tray icon of a state at size px.
func TrayIcon(state string, template bool, size int) *image.NRGBA {
	return render(size, trayShape(state, template))
}
