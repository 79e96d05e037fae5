package wshub

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vimabl/vimabl/internal/testkit"
)

// fakeMirror is what Config.Snapshot reads in these tests: a session, a
// seq, and whether a resync is in flight (then Snapshot has no frame).
type fakeMirror struct {
	mu        sync.Mutex
	session   string
	seq       int64
	resyncing bool
}

func (m *fakeMirror) set(session string, seq int64, resyncing bool) {
	m.mu.Lock()
	m.session, m.seq, m.resyncing = session, seq, resyncing
	m.mu.Unlock()
}

func (m *fakeMirror) frame() Frame {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.resyncing {
		return Frame{}
	}
	return snap(m.session, m.seq)
}

func snap(session string, seq int64) Frame {
	return SnapshotFrame(session, seq, []byte(fmt.Sprintf(`{"at":"%s/%d"}`, session, seq)))
}

func ev(session string, seq int64) Frame {
	return EventFrame(session, seq, time.Time{}, "/live/transport/tempo", []any{float64(seq)})
}

// mark is a frame every client gets: once a client has it, it has every
// frame broadcast before.
func mark(n int) Frame { return Frame{Data: []byte(fmt.Sprintf(`{"type":"mark","n":%d}`, n))} }

// frames reads a client's frames up to mark n and lists them as
// "snapshot s1/5" and "event s1/6" (an event's session is that of the
// snapshot it follows: frames do not carry it).
func frames(t *testing.T, c *websocket.Conn, n int) []string {
	t.Helper()
	var out []string
	session := ""
	for {
		f := readFrame(t, c)
		switch f["type"] {
		case "mark":
			if int(f["n"].(float64)) == n {
				return out
			}
		case "snapshot":
			session = f["session_id"].(string)
			out = append(out, fmt.Sprintf("snapshot %s/%v", session, f["seq"]))
		case "event":
			out = append(out, fmt.Sprintf("event %s/%v", session, f["seq"]))
		default:
			out = append(out, fmt.Sprint(f["type"]))
		}
	}
}

func dialRaw(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// issue 14 item 1: no event of a session reaches a client before that
// session's snapshot, whenever the client connected (before the restart,
// during the new session's resync, after it), and no client is sent the
// snapshot it already has. Before the fix, a client on the old session got
// the new session's events (the engine broadcasts an event the moment the
// mirror applied it, and the new snapshot frame may follow it), and a client
// that connected after the resync got its snapshot twice.
func TestFenceEventsOnlyOnTopOfTheirSessionsSnapshot(t *testing.T) {
	m := &fakeMirror{session: "s1", seq: 5}
	h, url := startHub(t, Config{Snapshot: m.frame}, nil)
	a := dialRaw(t, url) // on s1 from the start
	testkit.WaitFor(t, "client a registered", 5*time.Second, func() bool { return h.Clients() == 1 })

	h.Broadcast(ev("s1", 6))
	h.Broadcast(ev("s1", 5)) // already in a's snapshot
	m.set("s1", 6, true)     // the script restarted: the new session's SNAPSHOT is in flight
	h.Broadcast(mark(1))
	b := dialRaw(t, url) // connects during the resync
	testkit.WaitFor(t, "client b registered", 5*time.Second, func() bool { return h.Clients() == 2 })
	// The new session's snapshot has landed in the mirror, and the engine
	// applied and broadcast its next events before its snapshot frame.
	// (The engine applies an event to the mirror before it broadcasts it.)
	m.set("s2", 4, false)
	h.Broadcast(ev("s2", 4))
	m.set("s2", 5, false)
	h.Broadcast(ev("s2", 5))
	c := dialRaw(t, url) // connects now: its snapshot is s2/5
	testkit.WaitFor(t, "client c registered", 5*time.Second, func() bool { return h.Clients() == 3 })
	h.Broadcast(snap("s2", 5)) // the engine's snapshot frame of the resync
	h.Broadcast(ev("s2", 6))
	h.Broadcast(ev("s2", 0)) // unnumbered: never sent
	h.Broadcast(snap("s2", 6))
	h.Broadcast(mark(2))

	want := map[string][]string{
		"a": {"hello", "snapshot s1/5", "event s1/6", "snapshot s2/5", "event s2/6", "snapshot s2/6"},
		"b": {"hello", "snapshot s2/5", "event s2/6", "snapshot s2/6"},
		// c's own snapshot is the mirror when it registered, s2/5: the
		// engine's identical s2/5 frame is not sent again.
		"c": {"hello", "snapshot s2/5", "event s2/6", "snapshot s2/6"},
	}
	for name, conn := range map[string]*websocket.Conn{"a": a, "b": b, "c": c} {
		got := frames(t, conn, 2)
		if strings.Join(got, ", ") != strings.Join(want[name], ", ") {
			t.Errorf("client %s got\n  %s\nwant\n  %s", name, strings.Join(got, ", "), strings.Join(want[name], ", "))
		}
	}
}
