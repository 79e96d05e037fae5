package oscin

import (
	"testing"
	"time"

	"github.com/hypebeast/go-osc/osc"
)

// BenchmarkDecode is one typical event: a wrapped device parameter change,
// through the decoder the consumer keeps (event paths allocated once).
func BenchmarkDecode(b *testing.B) {
	data, _ := osc.NewMessage("/live/seq", int32(123456), 1795000000.123456, "/live/device/param", int32(3), int32(1), int32(7), 0.731).MarshalBinary()
	now := time.Now()
	var d decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := d.decode(data, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBundle is a bundle of 100 such events, as the script
// sends a storm (under 8 KB); the time is per event.
func BenchmarkDecodeBundle(b *testing.B) {
	var els [][]byte
	for i := 0; i < 100; i++ {
		el, _ := osc.NewMessage("/live/seq", int32(123456+i), 1795000000.123456, "/live/device/param", int32(3), int32(1), int32(i), 0.731).MarshalBinary()
		els = append(els, el)
	}
	data := bundleOf(els...)
	now := time.Now()
	var d decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(data)) / 100)
	for i := 0; i < b.N; i += 100 {
		if _, err := d.decode(data, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTracker is the sequence check per event.
func BenchmarkTracker(b *testing.B) {
	var tr Tracker
	ev := Event{Path: "/live/x"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ev.Seq = int64(i + 1)
		tr.Observe(&ev)
	}
}
