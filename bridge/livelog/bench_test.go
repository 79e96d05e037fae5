package livelog

import (
	"testing"
	"time"
)

// BenchmarkParseLine measures parsing one VimAbl Log.txt line.
func BenchmarkParseLine(b *testing.B) {
	p := NewParser(time.UTC)
	l := logLine(123456)
	out := make([]Entry, 0, 1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		out = p.Line(l, out[:0])
	}
}

// BenchmarkRingQueryFull measures a text filter over a full 100 000-entry
// ring, as the UI's search box does on each keystroke (nothing matches, so every entry is looked at).
func BenchmarkRingQueryFull(b *testing.B) {
	r := NewRing(DefaultRingSize)
	es := ParseLines([]string{logLine(1), logLine(2), logLine(3)}, time.UTC)
	for i := 0; i < DefaultRingSize; i++ {
		r.Append(es[i%3])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = r.Query(Filter{Text: "no such text", MinLevel: LevelInfo}, 500)
	}
}
