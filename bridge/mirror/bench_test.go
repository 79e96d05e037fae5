package mirror

import (
	"fmt"
	"testing"
)

// bigMirror builds a Set of 64 tracks × 64 scenes with 4 devices of 16
// parameters each through events, as the script would send it.
func bigMirror(b *testing.B) *Mirror {
	m := New()
	must := func(path string, args ...any) {
		if _, err := m.Apply(path, args); err != nil {
			b.Fatal(err)
		}
	}
	for s := 0; s < 64; s++ {
		must("/live/scene/added", int32(s), fmt.Sprint("Scene ", s), int32(s))
	}
	for tr := 0; tr < 64; tr++ {
		must("/live/track/added", int32(tr), fmt.Sprint("Track ", tr), "audio", false, false, false, 0.85, int32(tr))
		for d := 0; d < 4; d++ {
			must("/live/device/added", int32(tr), int32(d), "EQ Eight", "Eq8")
			for p := 0; p < 16; p++ {
				must("/live/device/param_info", int32(tr), int32(d), int32(p), "Gain", 0.5, 0.0, 1.0)
			}
		}
		for s := 0; s < 64; s += 2 {
			must("/live/clip/added", int32(tr), int32(s), "Clip", int32(255), false, true)
		}
	}
	return m
}

// BenchmarkApplyParam measures one /live/device/param event on a big Set.
func BenchmarkApplyParam(b *testing.B) {
	m := bigMirror(b)
	args := []any{int32(10), int32(2), int32(5), 0.25}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		args[3] = float64(i&1023) / 1024
		if _, err := m.Apply("/live/device/param", args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONBigSet measures encoding the whole state of a big Set, which
// a WebSocket client gets on connect.
func BenchmarkJSONBigSet(b *testing.B) {
	m := bigMirror(b)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		n = len(m.JSON())
	}
	b.ReportMetric(float64(n), "bytes/state")
}
