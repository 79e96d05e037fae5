package icons

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"testing"
)

// The committed files are exactly what the drawing code makes: an edit to
// the drawing without `go run ./icons/gen` (or a hand-edited PNG) fails here.
func TestCommittedFilesMatchTheDrawing(t *testing.T) {
	for name, want := range Files() {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: %v (run go run ./icons/gen)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the drawing (run go run ./icons/gen)", name)
		}
	}
}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestTrayIcons(t *testing.T) {
	seen := map[string]string{}
	for _, st := range States {
		tmpl := decode(t, Tray(st, true))
		if b := tmpl.Bounds(); b.Dx() != 44 || b.Dy() != 44 {
			t.Fatalf("%s template is %v, want 44×44 (@2x of 22)", st, b)
		}
		opaque := 0
		for y := 0; y < 44; y++ {
			for x := 0; x < 44; x++ {
				r, g, b, a := tmpl.At(x, y).RGBA()
				if a > 0 {
					opaque++
					// Template images are black with alpha (premultiplied: colour ≤ 0).
					if r != 0 || g != 0 || b != 0 {
						t.Fatalf("%s template pixel (%d,%d) is not black", st, x, y)
					}
				}
			}
		}
		if opaque < 200 {
			t.Errorf("%s template is nearly empty (%d pixels)", st, opaque)
		}
		col := decode(t, Tray(st, false))
		if b := col.Bounds(); b.Dx() != 32 {
			t.Errorf("%s colour icon is %v", st, b)
		}
		key := string(Tray(st, true))
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s look the same in the menu bar", st, other)
		}
		seen[key] = st
	}
	if !bytes.Equal(Tray("bogus", false), Tray("problem", false)) {
		t.Error("an unknown state must show as a problem")
	}
}

func TestAppIconSizesAndContainers(t *testing.T) {
	if b := decode(t, App()).Bounds(); b.Dx() != 256 {
		t.Errorf("App() is %v", b)
	}
	if b := decode(t, AppLarge()).Bounds(); b.Dx() != 1024 {
		t.Errorf("AppLarge() is %v", b)
	}
	ico, _ := os.ReadFile("vimabl.ico")
	if !bytes.HasPrefix(ico, []byte{0, 0, 1, 0, 4, 0}) {
		t.Errorf("vimabl.ico header % x", ico[:6])
	}
	icns, _ := os.ReadFile("vimabl.icns")
	if string(icns[:4]) != "icns" || int(icns[4])<<24|int(icns[5])<<16|int(icns[6])<<8|int(icns[7]) != len(icns) {
		t.Error("vimabl.icns header or length is wrong")
	}
}
