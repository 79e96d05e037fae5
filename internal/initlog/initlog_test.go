package initlog

import "testing"

func TestFilterDropsOnlyTheLocaleComplaint(t *testing.T) {
	in := "2026/11/25 16:18:19 Fyne error:  Error parsing user locale C\n" +
		"2026/11/25 16:18:19   Cause: language: tag is not well-formed\n" +
		"2026/11/25 16:18:19   At: /root/go/pkg/mod/fyne.io/fyne/v2@v2.7.1/lang/locale.go:35\n" +
		"2026/11/25 16:18:19 Fyne error:  Error occurred loading built-in translations\n" +
		"2026/11/25 16:18:19   Cause: broken\n" +
		"2026/11/25 16:18:19   At: /root/go/pkg/mod/fyne.io/fyne/v2@v2.7.1/lang/lang.go:178\n"
	want := "2026/11/25 16:18:19 Fyne error:  Error occurred loading built-in translations\n" +
		"2026/11/25 16:18:19   Cause: broken\n" +
		"2026/11/25 16:18:19   At: /root/go/pkg/mod/fyne.io/fyne/v2@v2.7.1/lang/lang.go:178\n"
	if got := Filter(in); got != want {
		t.Fatalf("Filter kept or dropped the wrong lines:\n%s\nwant:\n%s", got, want)
	}
	// A real language that fails to parse is worth seeing.
	odd := "x Fyne error:  Error parsing user locale xx_!!\nx   Cause: language: tag is not well-formed\n"
	if got := Filter(odd); got != odd {
		t.Fatalf("a non-POSIX locale's error was dropped: %q", got)
	}
}
