package icons

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
)

// PNG encodes an image the same way every time (the committed files are
// checked byte for byte against the drawing).
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		panic(err) // encoding an in-memory NRGBA cannot fail
	}
	return b.Bytes()
}

// ICO builds a Windows .ico holding PNG-compressed images (Vista and later
// read PNG entries), one per size.
func ICO(sizes []int) []byte {
	var images [][]byte
	for _, s := range sizes {
		images = append(images, PNG(AppIcon(s)))
	}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, [3]uint16{0, 1, uint16(len(sizes))})
	offset := 6 + 16*len(sizes)
	for i, s := range sizes {
		dim := uint8(s)
		if s >= 256 {
			dim = 0 // 0 means 256
		}
		b.Write([]byte{dim, dim, 0, 0})
		binary.Write(&b, binary.LittleEndian, uint16(1))  // planes
		binary.Write(&b, binary.LittleEndian, uint16(32)) // bits per pixel
		binary.Write(&b, binary.LittleEndian, uint32(len(images[i])))
		binary.Write(&b, binary.LittleEndian, uint32(offset))
		offset += len(images[i])
	}
	for _, img := range images {
		b.Write(img)
	}
	return b.Bytes()
}

// icnsTypes maps the ICNS element types to their pixel size (PNG payloads).
var icnsTypes = []struct {
	kind string
	size int
}{
	{"icp4", 16}, {"icp5", 32}, {"ic07", 128}, {"ic08", 256}, {"ic09", 512}, {"ic10", 1024},
	{"ic11", 32}, {"ic12", 64}, {"ic13", 256}, {"ic14", 512},
}

// ICNS builds a macOS .icns with PNG elements for every size Finder and the
// Dock ask for (including the @2x ones).
func ICNS() []byte {
	var body bytes.Buffer
	cache := map[int][]byte{}
	for _, t := range icnsTypes {
		data, ok := cache[t.size]
		if !ok {
			data = PNG(AppIcon(t.size))
			cache[t.size] = data
		}
		body.WriteString(t.kind)
		binary.Write(&body, binary.BigEndian, uint32(8+len(data)))
		body.Write(data)
	}
	var b bytes.Buffer
	b.WriteString("icns")
	binary.Write(&b, binary.BigEndian, uint32(8+body.Len()))
	b.Write(body.Bytes())
	return b.Bytes()
}

// Files is every file the generator writes, by name.
func Files() map[string][]byte {
	out := map[string][]byte{
		"vimabl-1024.png": PNG(AppIcon(1024)),
		"vimabl.ico":      ICO([]int{16, 32, 48, 256}),
		"vimabl.icns":     ICNS(),
	}
	for _, s := range []int{16, 32, 64, 128, 256, 512} {
		out["vimabl-"+itoa(s)+".png"] = PNG(AppIcon(s))
	}
	for _, st := range States {
		out["tray-"+st+"-template.png"] = PNG(TrayIcon(st, true, 22))
		out["tray-"+st+"-template@2x.png"] = PNG(TrayIcon(st, true, 44))
		out["tray-"+st+"-16.png"] = PNG(TrayIcon(st, false, 16))
		out["tray-"+st+"-32.png"] = PNG(TrayIcon(st, false, 32))
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for n > 0 {
		d = append([]byte{byte('0' + n%10)}, d...)
		n /= 10
	}
	return string(d)
}
