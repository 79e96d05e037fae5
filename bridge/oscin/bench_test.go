package oscin

import (
	"testing"
	"time"

	"github.com/hypebeast/go-osc/osc"
)

// BenchmarkDecode is one typical event: a wrapped device parameter change.
func BenchmarkDecode(b *testing.B) {
	data, _ := osc.NewMessage("/live/seq", int32(123456), 1795000000.123456, "/live/device/param", int32(3), int32(1), int32(7), 0.731).MarshalBinary()
	now := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := Decode(data, now); err != nil {
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
