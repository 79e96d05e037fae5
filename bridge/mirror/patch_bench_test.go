package mirror

import "testing"

// BenchmarkApplyParamPatch is BenchmarkApplyParam as the engine applies
// events: through Sync, recording the JSON Patch, which is then encoded
// once for the patch-mode clients. Compare the two for what patch mode costs.
func BenchmarkApplyParamPatch(b *testing.B) {
	m := bigMirror(b)
	s := NewSync(m, 0)
	args := []any{int32(10), int32(2), int32(5), 0.25}
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	var buf []byte
	for i := 0; i < b.N; i++ {
		args[3] = float64(i&1023) / 1024
		a, err := s.Apply(Event{Seq: int64(i + 1), Path: "/live/device/param", Args: args})
		if err != nil || !a.Applied {
			b.Fatal(err)
		}
		buf = a.Patch.AppendJSON(buf[:0])
		n = len(buf)
	}
	b.ReportMetric(float64(n), "patch_bytes")
}
