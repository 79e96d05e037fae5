package bridge

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vimabl/vimabl/bridge/portbind"
)

// Issue 16 (a pure status function): every state the tray shows, decided
// from a plain input, with the precedence between them — a port the bridge
// cannot bind hides everything; a streaming script is shown whatever the
// installer says; "waiting" says why it waits.
func TestConnStateDecidesEveryTrayState(t *testing.T) {
	bound := [2]PortStatus{{Name: "events", OK: true}, {Name: "websocket", OK: true}}
	held := bound
	held[0] = PortStatus{Name: "events", Err: "UDP port 9002 is held by python3 (pid 42)", Conflict: true, Fix: "kill 42"}
	refused := bound
	refused[1] = PortStatus{Name: "websocket", Err: "Cannot listen on 192.0.2.1:8765 (TCP): bind: cannot assign requested address.", Fix: "try another address"}
	base := func(f func(*statusInput)) statusInput {
		in := statusInput{ports: bound, installed: true, commandAddr: "127.0.0.1:9001", eventsAddr: "127.0.0.1:9002", tracks: 12, tempo: 120}
		f(&in)
		return in
	}
	for _, tc := range []struct {
		name    string
		in      statusInput
		want    ConnState
		summary string // a part of the summary
		fix     string // a part of the fix; "" = no fix at all
	}{
		{"nothing yet", base(func(in *statusInput) {}), StateWaiting, "Waiting for Live", "Control Surface"},
		{"not installed", base(func(in *statusInput) { in.installed = false }), StateNotInstalled, "not installed", "Install Remote Script"},
		{"after a bye", base(func(in *statusInput) { in.bye = true }), StateWaiting, "was unloaded", "Control Surface"},
		{"events nobody vouches for", base(func(in *statusInput) { in.unconfirmed = true; in.installed = false }),
			StateWaiting, "Events arrive, but no Remote Script answers on 127.0.0.1:9001", "Native Instruments"},
		{"the command port answers, no events", base(func(in *statusInput) { in.pingOK = true; in.installed = false }),
			StateReachable, "sends no events", "127.0.0.1:9002"},
		{"the command port answers for another session than the one streaming", base(func(in *statusInput) { in.pingOK = true; in.otherStreaming = true }),
			StateReachable, "another VimAbl session", "second Live"},
		// issue 13: heartbeats stopped, but PING says Live's main thread has
		// not run for 7 s: busy, not gone.
		{"Live busy", base(func(in *statusInput) { in.pingOK = true; in.stalled = 7 * time.Second }),
			StateLiveBusy, "Live is busy: its main thread has not run for 7 s", "carries on when Live does"},
		{"a stalled Live that said bye is gone", base(func(in *statusInput) { in.pingOK = true; in.stalled = 7 * time.Second; in.bye = true }),
			StateReachable, "sends no events", "127.0.0.1:9002"},
		{"streaming", base(func(in *statusInput) { in.alive = true; in.pingOK = true; in.installed = false }),
			StateStreaming, "Live connected · 12 tracks · 120 BPM", ""},
		{"streaming at a fractional tempo", base(func(in *statusInput) { in.alive = true; in.tempo = 99.5 }),
			StateStreaming, "· 99.50 BPM", ""},
		{"a recent gap", base(func(in *statusInput) { in.alive = true; in.gapRecent = true }),
			StateDegraded, "events were lost", "recovers by itself"},
		{"a failing SNAPSHOT wins over a gap", base(func(in *statusInput) { in.alive = true; in.gapRecent = true; in.resyncErr = "timeout" }),
			StateDegraded, "resync failing", "does not answer SNAPSHOT: timeout"},
		{"a gap without a stream is not degraded", base(func(in *statusInput) { in.gapRecent = true }), StateWaiting, "Waiting", "Control Surface"},
		{"two scripts", base(func(in *statusInput) { in.alive = true; in.twoScripts = true; in.gapRecent = true }),
			StateTwoScripts, "following the one that answers on 127.0.0.1:9001", "two Control Surface slots"},
		{"a held port hides the stream", base(func(in *statusInput) { in.alive = true; in.twoScripts = true; in.ports = held }),
			StatePortConflict, "pid 42", "kill 42"},
		{"a refused bind is not a conflict", base(func(in *statusInput) { in.alive = true; in.ports = refused }),
			StatePortError, "bind: cannot assign", "another address"},
		{"the events port's problem is named first", base(func(in *statusInput) { in.ports = [2]PortStatus{held[0], refused[1]} }),
			StatePortConflict, "UDP port 9002", "kill 42"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, summary, fix := connState(tc.in)
			if state != tc.want || !strings.Contains(summary, tc.summary) {
				t.Fatalf("got %v %q, want %v with %q", state, summary, tc.want, tc.summary)
			}
			if tc.fix == "" && fix != "" || !strings.Contains(fix, tc.fix) {
				t.Fatalf("fix %q, want one with %q", fix, tc.fix)
			}
		})
	}
}

// Issue 16 (the tray's states come from the state machine alone): a
// session's life as the engine feeds it — markers and events to the link,
// PING answers, a gap, a bind error, the clock — and the tray's state read
// through statusInput and connState after each input, as Engine.Status
// reads it.
func TestTrayStatesFollowASessionsLife(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	script := netip.MustParseAddrPort("127.0.0.1:40001")
	second := netip.MustParseAddrPort("127.0.0.1:40002")
	st := liveState{installed: true}
	st.eventsPort.OK, st.wsPort.OK = true, true
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for i, step := range []struct {
		at    float64 // seconds since t0
		input func(now time.Time)
		want  ConnState
		part  string // a part of the summary
	}{
		{0, func(time.Time) {}, StateWaiting, "Waiting for Live"},
		{1, func(now time.Time) { st.link.marker(markHello, "s1", script, now, "1.0", "12.1") }, StateWaiting, "Events arrive"},
		// Confirmed, but a hello alone does not say it streams: its first heartbeat does.
		{1.1, func(now time.Time) { st.pingOK = true; st.link.answered("s1", "1.0", now) }, StateReachable, "sends no events"},
		{1.2, func(now time.Time) { st.link.marker(markHeartbeat, "s1", script, now, "", "") }, StateStreaming, "Live connected"},
		{2, func(now time.Time) { st.lastGap = now }, StateDegraded, "events were lost"},
		{2.5, func(now time.Time) { st.link.marker(markHeartbeat, "s1", script, now, "", "") }, StateDegraded, "events were lost"},
		{12.4, func(now time.Time) { st.link.marker(markHeartbeat, "s1", script, now, "", "") }, StateStreaming, "Live connected"},
		{13, func(now time.Time) { st.resyncErr = "timeout" }, StateDegraded, "resync failing"},
		{13.5, func(now time.Time) { st.resyncErr = "" }, StateStreaming, "Live connected"},
		{14, func(now time.Time) {
			st.link.marker(markHeartbeat, "s2", second, now, "", "")
			st.link.answered("s1", "1.0", now) // the command port still answers for s1
			st.link.marker(markHeartbeat, "s1", script, now, "", "")
		}, StateTwoScripts, "Two VimAbl scripts"},
		{18, func(now time.Time) { st.link.marker(markHeartbeat, "s1", script, now, "", "") }, StateStreaming, "Live connected"},
		{18.5, func(now time.Time) { st.link.marker(markBye, "s1", script, now, "", "") }, StateReachable, "sends no events"},
		{21.6, func(now time.Time) { st.pingOK = false }, StateWaiting, "was unloaded"},
		{22, func(now time.Time) {
			st.eventsPort = portbind.State{Addr: "127.0.0.1:9002", Err: "UDP port 9002 is held by python3 (pid 42).", Conflict: true, Fix: "kill 42"}
		}, StatePortConflict, "pid 42"},
		{24, func(now time.Time) { st.eventsPort = portbind.State{Addr: "127.0.0.1:9002", OK: true} }, StateWaiting, "was unloaded"},
		{25, func(now time.Time) { st.installed = false }, StateNotInstalled, "not installed"},
	} {
		now := at(step.at)
		step.input(now)
		got, summary, _ := connState(st.statusInput(now))
		if got != step.want || !strings.Contains(summary, step.part) {
			t.Fatalf("step %d at %gs: %v %q, want %v with %q", i, step.at, got, summary, step.want, step.part)
		}
	}
}
