package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// BenchmarkLogFeed is one window update of the Log tab while Live's log
// grows by 1 000 lines a second (250 lines per update at 4 updates a
// second), with 100 000 lines already in the view and following on.
func BenchmarkLogFeed(b *testing.B) {
	a := test.NewTempApp(b)
	lt := newLogTab(nil)
	w := a.NewWindow("log")
	w.SetContent(lt.object())
	w.Resize(fyne.NewSize(900, 640))
	all := entries(100000 + 250*(b.N+1))
	lt.append(all[:100000], []string{"Observers", "Server", "Traceback"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from := 100000 + 250*i
		lt.append(all[from:from+250], nil)
	}
}
