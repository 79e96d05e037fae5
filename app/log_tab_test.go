package app

import (
	"strings"
	"testing"
	"time"

	"github.com/vimabl/vimabl/bridge/livelog"
)

// Issue 10 follow-up (item 4): the log view is bounded in bytes as the
// engine's ring is, not only in entries: a flood of long lines (16 KiB each
// after the ring's cut, far more before it) keeps at most maxLogBytes, the
// newest lines stay, and the view still shows exactly what it keeps.
func TestLogModelIsBoundedInBytes(t *testing.T) {
	var m logModel
	long := strings.Repeat("x", 100<<10) // one backing array: the test allocates little
	const n = 400                        // 40 MB of messages, in batches as the UI fetches them
	for id := uint64(1); id <= n; id += 10 {
		batch := make([]livelog.Entry, 10)
		for i := range batch {
			batch[i] = livelog.Entry{ID: id + uint64(i), Time: time.Unix(1_800_000_000, 0), Level: livelog.LevelInfo, Component: "Flood", Message: long}
		}
		m.add(batch)
		if m.bytes > maxLogBytes {
			t.Fatalf("after id %d the view keeps %d bytes, more than %d", id+9, m.bytes, maxLogBytes)
		}
	}
	sum := 0
	for i := range m.entries {
		sum += m.entries[i].Bytes()
	}
	if sum != m.bytes {
		t.Fatalf("the byte count says %d, the entries hold %d", m.bytes, sum)
	}
	if len(m.entries) == 0 || m.entries[len(m.entries)-1].ID != n || len(m.entries) >= n {
		t.Fatalf("kept %d entries of %d, the last %d: want the newest ones", len(m.entries), n, m.entries[len(m.entries)-1].ID)
	}
	if len(m.visible) != len(m.entries) || m.at(len(m.visible)-1).ID != n {
		t.Fatalf("%d visible of %d kept", len(m.visible), len(m.entries))
	}
}
