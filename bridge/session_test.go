package bridge

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// step is one input to the link in a table test, and what must come out.
type step struct {
	// "hello ID [@SOCKET]", "heartbeat ID [@SOCKET]", "bye ID [@SOCKET]",
	// "event @SOCKET", "answer ID [VERSION]", "answer-none". A marker comes
	// from the socket named after its session unless @SOCKET says otherwise
	// (one socket per script instance, as the script does).
	in   string
	at   time.Duration // since the table's start; for answers, when the request was sent
	want string        // the linkOut, as linkOutString prints it
}

// sockets gives each socket name of a table its own loopback address.
type sockets map[string]netip.AddrPort

func (s sockets) addr(name string) netip.AddrPort {
	if a, ok := s[name]; ok {
		return a
	}
	a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(40000+len(s)))
	s[name] = a
	return a
}

func linkOutString(o linkOut) string {
	var b strings.Builder
	b.WriteString(o.verdict.String())
	if o.ping {
		b.WriteString(" ping")
	}
	if o.snapshot {
		b.WriteString(" snapshot")
	}
	if o.changed {
		b.WriteString(" changed")
	}
	if o.resync {
		b.WriteString(" resync")
	}
	if o.foreign > 0 {
		fmt.Fprintf(&b, " foreign=%d", o.foreign)
	}
	return b.String()
}

func runLink(t *testing.T, l *link, t0 time.Time, steps []step) {
	t.Helper()
	socks := sockets{}
	for i, s := range steps {
		var f []string
		from := ""
		for _, w := range strings.Fields(s.in) {
			if strings.HasPrefix(w, "@") {
				from = w[1:]
			} else {
				f = append(f, w)
			}
		}
		if from == "" && len(f) > 1 {
			from = f[1]
		}
		if from == "" && f[0] == "event" {
			t.Fatalf("step %d: an event must name its socket", i)
		}
		addr := socks.addr(from)
		at := t0.Add(s.at)
		var out linkOut
		switch f[0] {
		case "hello":
			out = l.marker(markHello, f[1], addr, at, "1.0", "12.1")
		case "heartbeat":
			out = l.marker(markHeartbeat, f[1], addr, at, "", "")
		case "bye":
			out = l.marker(markBye, f[1], addr, at, "", "")
		case "event":
			out = l.event(addr, at)
		case "answer":
			v := ""
			if len(f) > 2 {
				v = f[2]
			}
			out = l.answered(f[1], v, at)
		case "answer-none":
			out = l.answered("", "", at)
		default:
			t.Fatalf("step %d: unknown input %q", i, s.in)
		}
		// Answers have no verdict; only what they ask for matters.
		got := linkOutString(out)
		if f[0] == "answer" || f[0] == "answer-none" {
			got = strings.TrimPrefix(strings.TrimPrefix(got, "ours"), " ")
		}
		if got != s.want {
			t.Fatalf("step %d %q at %v: got %q, want %q", i, s.in, s.at, got, s.want)
		}
	}
}

// The session decisions of issue 10 item 2, input by input: the command
// port's answer is the authority; a marker of another session is a hint that
// asks for at most one PING per hintPingEvery, and becomes foreign once an
// answer sent after it names someone else.
func TestLinkDecidesWhoseEventsToFollow(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"before any answer nothing is ours, and the first hint asks for a PING", []step{
			{"event @s1", 0, "held"},
			{"hello s1", 1 * ms, "held ping"},
			{"event @s1", 2 * ms, "held"},
			{"heartbeat s1", 3 * ms, "held"}, // within hintPingEvery of the last hint
			{"answer s1 1.0", 4 * ms, "changed"},
			{"event @s1", 5 * ms, "ours"},
			{"heartbeat s1", 6 * ms, "ours"},
		}},
		{"a spoofed hello becomes foreign once the command port names the real session", []step{
			{"answer real", 0, "changed"},
			{"heartbeat real", 1 * ms, "ours"},
			{"hello EVIL", 2 * ms, "held ping"},
			{"event @real", 3 * ms, "ours"}, // the real stream goes on
			{"answer real", 4 * ms, "foreign=1"},
			{"heartbeat EVIL", 5 * ms, "foreign foreign=1"}, // the confirmed one is alive: no more PINGs for it
			{"heartbeat real", 6 * ms, "ours"},
		}},
		{"a flood of made-up sessions asks for one PING per second", []step{
			{"answer real", 0, "changed"},
			{"hello a", 1 * ms, "held ping"},
			{"hello b", 2 * ms, "held"},
			{"hello c", 500 * ms, "held"},
			{"hello d", 1001 * ms, "held ping"},
			{"hello e", 1002 * ms, "held"},
			{"answer real", 1003 * ms, "foreign=5"},
		}},
		{"an answer to a request sent before the newcomer appeared decides nothing", []step{
			{"answer real", 0, "changed"},
			{"hello s2", 10 * ms, "held ping"},
			{"answer real", 5 * ms, ""},       // older than the last answer: ignored
			{"answer real", 9 * ms, ""},       // sent before s2 was seen
			{"answer s2", 20 * ms, "changed"}, // a genuine restart
			{"heartbeat s2", 21 * ms, "ours"},
			{"heartbeat real", 22 * ms, "held"}, // the old session is now the stranger (a PING was asked 12 ms ago)
		}},
		{"after the confirmed session's bye its stream is over until the next one is confirmed", []step{
			{"answer s1", 0, "changed"},
			{"heartbeat s1", 1 * ms, "ours"},
			{"bye s1", 2 * ms, "ours"},
			{"event @s1", 3 * ms, "held"},
			{"hello s2", 4 * ms, "held ping"},
			{"event @s2", 5 * ms, "held"},
			{"answer s2", 6 * ms, "changed"},
			{"event @s2", 7 * ms, "ours"},
		}},
		{"a foreign session is asked about again while the confirmed one is silent", []step{
			{"answer s1", 0, "changed"},
			{"heartbeat s1", 1 * ms, "ours"},
			{"bye s1", 2 * ms, "ours"},
			{"hello s2", 3 * ms, "held ping"},
			{"answer s1", 4 * ms, "foreign=1"}, // the old instance still answered
			{"heartbeat s2", 1100 * ms, "foreign ping foreign=1"},
			{"answer s2", 1101 * ms, "changed"},
		}},
		{"a command port that names no session is asked for a SNAPSHOT instead", []step{
			{"hello s1", 0, "held ping"},
			{"answer-none", 1 * ms, "snapshot"},
			{"answer s1", 2 * ms, "changed"}, // the SNAPSHOT's reply
			{"answer-none", 3 * ms, ""},      // later PINGs without an id change nothing
			{"event @s1", 4 * ms, "ours"},
		}},

		// Issue 10 follow-up: ordinary events are tied to the confirmed
		// session by the socket its hello and heartbeats come from.
		{"a second script's events from its own socket never count as the confirmed session's", []step{
			{"answer s1", 0, "changed"},
			{"hello s1", 1 * ms, "ours"},
			{"hello s2", 2 * ms, "held ping"},
			{"event @s2", 3 * ms, "held"}, // like its hello, until the command port is asked
			{"event @s1", 4 * ms, "ours"},
			{"answer s1", 5 * ms, "foreign=2"},
			{"event @s2", 6 * ms, "foreign foreign=1"},
			{"heartbeat s2", 7 * ms, "foreign foreign=1"},
			{"event @s1", 8 * ms, "ours"},
		}},
		{"the confirmed session's id from another socket is foreign, and its bye ends nothing", []step{
			{"answer real", 0, "changed"},
			{"hello real", 1 * ms, "ours"},
			{"heartbeat real @thief", 2 * ms, "foreign foreign=1"},
			{"bye real @thief", 3 * ms, "foreign foreign=1"},
			{"event @thief", 4 * ms, "foreign foreign=1"}, // no marker from there: nothing to ask (the session is alive)
			{"event @real", 5 * ms, "ours"},
		}},
		{"a socket no marker came from asks for a PING once the confirmed session is silent", []step{
			{"answer s1", 0, "changed"},
			{"heartbeat s1", 1 * ms, "ours"},
			{"event @new", 2 * ms, "foreign foreign=1"},  // s1 streams: a stranger
			{"event @new", 4 * time.Second, "held ping"}, // s1 silent: maybe its successor, whose hello was lost
			{"event @new", 4*time.Second + ms, "held"},
			{"answer s1", 4*time.Second + 2*ms, ""}, // the command port still names s1
			{"event @s1", 4*time.Second + 3*ms, "ours"},
		}},
		{"a restart read before the command port confirms it: its events wait, the old session's stay ours", []step{
			{"answer s1", 0, "changed"},
			{"hello s1", 1 * ms, "ours"},
			{"hello s2", 2 * ms, "held ping"},
			{"event @s2", 3 * ms, "held"},
			{"event @s1", 4 * ms, "ours"}, // the old instance's last events (another socket: any order)
			{"bye s1", 5 * ms, "ours"},
			{"answer s2", 6 * ms, "changed"}, // its SNAPSHOT holds what the held events carried
			{"event @s2", 7 * ms, "ours"},
			{"event @s1", 8 * ms, "held"}, // s2 does not stream yet (no heartbeat): maybe a successor
			{"heartbeat s2", 9 * ms, "ours"},
			{"event @s1", 10 * ms, "foreign foreign=1"},
		}},
		{"a restart confirmed before its hello is read: events wait until a marker names the socket", []step{
			{"answer s1", 0, "changed"},
			{"hello s1", 1 * ms, "ours"},
			{"answer s2", 2 * ms, "changed"}, // the new instance answered; its hello is still queued
			{"event @s1", 3 * ms, "held"},    // the old instance's, but not known yet
			{"event @s2", 4 * ms, "held"},    // the new instance's (its hello lost, or a reordering)
			{"hello s2", 5 * ms, "ours resync foreign=1"},
			{"event @s2", 6 * ms, "ours"},
			{"event @s1", 7 * ms, "foreign foreign=1"},
		}},
		{"a restart confirmed before its hello is read, with nothing of its own held, needs no SNAPSHOT", []step{
			{"answer s1", 0, "changed"},
			{"hello s1", 1 * ms, "ours"},
			{"answer s2", 2 * ms, "changed"},
			{"event @s1", 3 * ms, "held"},
			{"bye s1", 4 * ms, "held ping"},
			{"hello s2", 5 * ms, "ours foreign=1"},
			{"event @s2", 6 * ms, "ours"},
		}},
		{"a restart whose hello was lost is followed from its first heartbeat", []step{
			{"answer s1", 0, "changed"},
			{"heartbeat s1", 1 * ms, "ours"},
			{"bye s1", 2 * ms, "ours"},
			{"event @s2", 3 * ms, "held ping"}, // after a bye a new socket may be the successor
			{"heartbeat s2", 4 * ms, "held"},   // a PING was just asked
			{"answer s2", 5 * ms, "changed"},
			{"event @s2", 6 * ms, "ours"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l link
			runLink(t, &l, time.Unix(1_800_000_000, 0), tc.steps)
		})
	}
}

// A marker without a session id says nothing about anyone: held, no PING.
func TestLinkMarkerWithoutSessionIsHeld(t *testing.T) {
	var l link
	t0 := time.Unix(1_800_000_000, 0)
	l.answered("s1", "", t0)
	if out := l.marker(markHeartbeat, "", sockets{}.addr("a"), t0.Add(time.Millisecond), "", ""); out.verdict != held || out.ping {
		t.Fatalf("got %s, want held without a PING", linkOutString(out))
	}
}

// Two scripts: the status is its own only while both stream (issue 10 item 2).
func TestLinkTwoScriptsWhileBothStream(t *testing.T) {
	var l link
	t0 := time.Unix(1_800_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	socks := sockets{}
	l.answered("first", "", at(0))
	l.marker(markHeartbeat, "first", socks.addr("first"), at(time.Millisecond), "", "")
	// One hello of another session (a spoofer's) is not a second script.
	l.marker(markHello, "spoof", socks.addr("spoof"), at(time.Millisecond), "", "")
	l.answered("first", "", at(2*time.Millisecond))
	if l.twoScripts(at(2 * time.Millisecond)) {
		t.Fatal("a lone foreign hello shows as two scripts")
	}
	l.marker(markHeartbeat, "second", socks.addr("second"), at(2*time.Millisecond), "", "")
	if l.twoScripts(at(3 * time.Millisecond)) {
		t.Fatal("two scripts before the command port was asked about the second")
	}
	l.answered("first", "", at(4*time.Millisecond))
	if !l.twoScripts(at(5 * time.Millisecond)) {
		t.Fatal("a second session that streams and is not confirmed must show as two scripts")
	}
	if l.confirmed != "first" {
		t.Fatalf("following %q, want first", l.confirmed)
	}
	// The confirmed one keeps streaming, the second stops.
	l.marker(markHeartbeat, "first", socks.addr("first"), at(4*time.Second), "", "")
	if l.twoScripts(at(4 * time.Second)) {
		t.Fatal("still two scripts after the second stopped for longer than aliveWindow")
	}
}

// Spoofed hellos from a flood never grow the link without bound.
func TestLinkRemembersFewOtherSessions(t *testing.T) {
	var l link
	t0 := time.Unix(1_800_000_000, 0)
	l.answered("real", "", t0)
	socks := sockets{}
	for i := 0; i < 10000; i++ {
		l.marker(markHello, fmt.Sprintf("spoof%d", i), socks.addr("spoofer"), t0.Add(time.Duration(i)*time.Microsecond), "", "")
	}
	if len(l.others) > maxOtherSessions {
		t.Fatalf("%d other sessions remembered, want at most %d", len(l.others), maxOtherSessions)
	}
	if l.confirmed != "real" {
		t.Fatalf("following %q after the flood", l.confirmed)
	}
}

// The gate lets one SNAPSHOT through per period for UDP-triggered requests,
// and the command port's (urgent) ones at once.
func TestSnapshotGateSpacesRequests(t *testing.T) {
	g := snapshotGate{every: snapshotEvery}
	t0 := time.Unix(1_800_000_000, 0)
	if d := g.wait(t0, false); d != 0 {
		t.Fatalf("first request waits %v", d)
	}
	g.taken(t0)
	if d := g.wait(t0.Add(time.Second), false); d != snapshotEvery-time.Second {
		t.Fatalf("a request 1 s later waits %v, want %v", d, snapshotEvery-time.Second)
	}
	if d := g.wait(t0.Add(time.Second), true); d != 0 {
		t.Fatalf("an urgent request waits %v", d)
	}
	if d := g.wait(t0.Add(snapshotEvery), false); d != 0 {
		t.Fatalf("a request one period later waits %v", d)
	}
}

// While the confirmed session's socket is unknown, the events held are
// remembered for a few addresses only (a flood from many sockets costs
// nothing), and when its first marker names the socket, the others' are
// counted as foreign and the session's own ask for a SNAPSHOT (issue 10
// follow-up).
func TestLinkEventsHeldBeforeTheSocketIsKnownAreSettledByItsMarker(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name        string
		own         int // which of the 20 sockets is the session's
		wantForeign int
	}{
		{"its socket among the first ones", 2, 19},
		// Beyond maxOtherSessions addresses the events are only counted:
		// the session's own may be among them.
		{"its socket among the last ones", 15, maxOtherSessions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l link
			socks := sockets{}
			l.answered("s1", "", t0)
			for i := 0; i < 20; i++ {
				if out := l.event(socks.addr(fmt.Sprint(i)), t0.Add(time.Millisecond)); out.verdict != held {
					t.Fatalf("event from socket %d: %s, want held", i, linkOutString(out))
				}
			}
			if len(l.unanchored) > maxOtherSessions {
				t.Fatalf("%d addresses remembered, want at most %d", len(l.unanchored), maxOtherSessions)
			}
			out := l.marker(markHeartbeat, "s1", socks.addr(fmt.Sprint(tc.own)), t0.Add(2*time.Millisecond), "", "")
			if out.verdict != ours || !out.resync || out.foreign != tc.wantForeign {
				t.Fatalf("the session's first heartbeat: %s, want ours resync foreign=%d", linkOutString(out), tc.wantForeign)
			}
			if out := l.event(socks.addr(fmt.Sprint(tc.own)), t0.Add(3*time.Millisecond)); out.verdict != ours {
				t.Fatalf("its next event: %s", linkOutString(out))
			}
			if out := l.event(socks.addr("0"), t0.Add(3*time.Millisecond)); out.verdict != foreign {
				t.Fatalf("another socket's next event: %s", linkOutString(out))
			}
		})
	}
}
