package mirror

import "testing"

// issue 14 item 10: /status "tracks" means regular tracks — song.tracks,
// group tracks included — as GET_STATE lists them; returns and master are
// counted apart (the heartbeat's "tracks" counts them all).
func TestSummaryCountsGroupTracksAsRegular(t *testing.T) {
	m := New()
	for i, typ := range []string{"group", "audio", "midi", "return", "master"} {
		if _, err := m.Apply("/live/track/added", []any{int32(i), typ, typ}); err != nil {
			t.Fatal(err)
		}
	}
	if s := m.Summary(); s.Tracks != 3 || s.Returns != 1 {
		t.Fatalf("summary %+v, want 3 regular tracks and 1 return", s)
	}
}
