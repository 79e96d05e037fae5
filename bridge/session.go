package bridge

import (
	"net/netip"
	"time"
)

// Which Remote Script the bridge follows (issue 10 item 2).
//
// Anyone on the machine can send datagrams to the events port, and a second
// copy of the script (VimAbl in two Control Surface slots, or a second Live)
// streams there too. So a /live/hello or /live/heartbeat only *claims* a
// session; the command port decides: the session id in its PING and SNAPSHOT
// replies is the one the bridge follows ("confirmed"). Events of any other
// session are dropped before they reach the sequence tracker, the mirror or
// the WebSocket clients.
//
// A marker of a session the command port has not been asked about since it
// first appeared is a hint: it may ask for one PING (at most one per
// hintPingEvery) to learn whether the script restarted. The command port's
// answer decides: the same session as before makes the newcomer foreign; a new
// one becomes the confirmed session, and only then does the bridge take a
// SNAPSHOT of it. No datagram can therefore make the bridge take a SNAPSHOT;
// the ones datagrams can still ask for (gaps, /live/resync, events the
// mirror rejects) are spaced by snapshotGate.
//
// Ordinary events name no session, so they are tied to one by their sender's
// address (issue 10 follow-up): a script instance sends everything from one
// UDP socket, opened when it starts, so the confirmed session's events come
// from where its hello and heartbeats come from (its "anchor"). Events from
// any other socket are not the confirmed session's: a second script's, or a
// local program's that read the session id from /status. A restart opens a
// new socket: the new session, once confirmed, is anchored where its own
// markers came from. Until the confirmed session's socket is known (the
// command port named it before any of its markers was read), its events
// cannot be told from anyone's and are held; the first marker of the session
// anchors it, and if events from there were held meanwhile, a SNAPSHOT
// (spaced like the others) restores what they carried.
//
// link is a pure state machine: it does no I/O and reads no clock; the
// engine feeds it inputs stamped with their time (under Engine.mu) and
// carries out what it returns.

const (
	// snapshotEvery spaces the SNAPSHOTs that UDP input asks for: each one
	// runs on Live's main thread.
	snapshotEvery = 5 * time.Second
	// hintPingEvery bounds the PINGs that markers of unknown sessions ask
	// for (PING does not touch Live's main thread, but the port is
	// Hammerspoon's too and serves one connection at a time).
	hintPingEvery = time.Second
	// maxOtherSessions bounds the sessions other than the confirmed one
	// that are remembered; a flood of made-up session ids evicts the
	// oldest, which costs nothing but a later decision.
	maxOtherSessions = 8
)

// markerKind is an event that names its session.
type markerKind int

const (
	markHello markerKind = iota + 1
	markHeartbeat
	markBye
)

// verdict says what becomes of one event.
type verdict int

const (
	// ours: the confirmed session's; it goes to the tracker, mirror and clients.
	ours verdict = iota
	// held: not attributable yet (no session confirmed, the confirmed one
	// said bye, its session was not asked about yet, or the confirmed
	// session's socket is not known yet). Dropped without harm: the
	// SNAPSHOT taken once a session is confirmed is requested after the
	// event arrived, so it already contains it (and for the last case, see
	// linkOut.resync).
	held
	// foreign: a session the command port does not confirm, or a socket
	// other than the confirmed session's; dropped and counted.
	foreign
)

func (v verdict) String() string {
	switch v {
	case ours:
		return "ours"
	case held:
		return "held"
	case foreign:
		return "foreign"
	}
	return "?"
}

// link is what the bridge knows about who is sending. The zero value
// follows no session.
type link struct {
	confirmed      string         // the session the command port named last; "" before any
	addr           netip.AddrPort // the confirmed session's socket (its markers' source); invalid until known
	unanchored     []heldFrom     // events held since confirmed changed, before addr was known
	unanchoredMore int            // such events from addresses beyond maxOtherSessions of them
	scriptVersion  string         // of the confirmed session (its hello, or PING)
	liveVersion    string         // of the confirmed session (its hello)
	aliveAt        time.Time      // the confirmed session's last hello or heartbeat
	bye            bool           // the confirmed session said bye
	gen            int            // incremented whenever confirmed changes
	answeredAt     time.Time      // when the newest request the command port answered was sent
	hintAt         time.Time      // when a hint last asked for a PING
	foreignAt      time.Time      // the last heartbeat of a foreign session
	heldAt         time.Time      // the last event dropped as held or foreign
	others         []otherSession
}

// otherSession is a session seen on UDP that is not the confirmed one.
type otherSession struct {
	id                         string
	from                       netip.AddrPort // where its first marker came from
	scriptVersion, liveVersion string
	firstSeen, lastSeen        time.Time
	aliveAt                    time.Time // its last heartbeat
	held                       int       // its markers dropped before it was decided
	foreign                    bool      // an answer sent after firstSeen named another session
}

// heldFrom counts the events held from one address.
type heldFrom struct {
	from netip.AddrPort
	n    int
}

// linkOut is what the engine must do after one input.
type linkOut struct {
	verdict verdict // for marker and event
	// ping: PING now to learn which session the command port confirms.
	ping bool
	// snapshot: the command port answers but names no session (a script
	// older than session ids in PING): learn it from a SNAPSHOT, spaced
	// like every SNAPSHOT that UDP input asks for.
	snapshot bool
	// changed: the confirmed session changed: reset the sequence tracker
	// and take a SNAPSHOT of the new session now.
	changed bool
	// resync: events of the confirmed session were held while its socket
	// was not known; ask for a SNAPSHOT (spaced by the gate) to restore
	// what they carried.
	resync bool
	// foreign is how many events to add to the foreign counter.
	foreign int
}

// alive reports whether the confirmed session streams: a hello or heartbeat
// within aliveWindow of now, and no bye since.
func (l *link) alive(now time.Time) bool {
	return l.confirmed != "" && !l.bye && !l.aliveAt.IsZero() && now.Sub(l.aliveAt) <= aliveWindow
}

// twoScripts reports whether a second, unconfirmed session streams while
// the confirmed one does.
func (l *link) twoScripts(now time.Time) bool {
	return l.alive(now) && !l.foreignAt.IsZero() && now.Sub(l.foreignAt) <= aliveWindow
}

// otherStreaming reports whether some unconfirmed session sent a heartbeat
// within aliveWindow of now.
func (l *link) otherStreaming(now time.Time) bool {
	for i := range l.others {
		if !l.others[i].aliveAt.IsZero() && now.Sub(l.others[i].aliveAt) <= aliveWindow {
			return true
		}
	}
	return false
}

// hint reports whether a hint at may ask for a PING, and records it if so.
func (l *link) hint(at time.Time) bool {
	if !l.hintAt.IsZero() && at.Sub(l.hintAt) < hintPingEvery {
		return false
	}
	l.hintAt = at
	return true
}

// marker takes a hello, heartbeat or bye of session id, sent from from and
// received at at; scriptVersion and liveVersion are a hello's.
func (l *link) marker(kind markerKind, id string, from netip.AddrPort, at time.Time, scriptVersion, liveVersion string) linkOut {
	if id == "" {
		// A marker without a session id says nothing about anyone.
		l.heldAt = at
		return linkOut{verdict: held}
	}
	if id == l.confirmed {
		var out linkOut
		switch {
		case !l.addr.IsValid():
			// The confirmed session's first marker: now its socket is known.
			out = l.anchor(from)
		case from != l.addr:
			// A session sends from one socket all its life: its id from
			// another is someone else's (the id is public on /status).
			l.heldAt = at
			return linkOut{verdict: foreign, foreign: 1}
		}
		out.verdict = ours
		switch kind {
		case markHello:
			l.scriptVersion, l.liveVersion = scriptVersion, liveVersion
			l.aliveAt, l.bye = at, false
		case markHeartbeat:
			l.aliveAt, l.bye = at, false
		case markBye:
			l.bye = true
		}
		return out
	}
	o := l.other(id, at)
	o.lastSeen = at
	if !o.from.IsValid() {
		o.from = from
	}
	if kind == markHello {
		o.scriptVersion, o.liveVersion = scriptVersion, liveVersion
	}
	// Only heartbeats say a session streams: one hello (spoofed, or an
	// instance that died at once) is not a second script.
	if kind == markHeartbeat {
		o.aliveAt = at
	}
	l.heldAt = at
	if o.foreign {
		if kind == markHeartbeat {
			l.foreignAt = at
		}
		// A foreign session is asked about again only while the confirmed
		// one is silent: then it may be the confirmed session's successor
		// whose first PING the old instance still answered.
		return linkOut{verdict: foreign, foreign: 1, ping: !l.alive(at) && l.hint(at)}
	}
	o.held++
	return linkOut{verdict: held, ping: l.hint(at)}
}

// other returns the entry for id, adding it (and evicting the least
// recently seen one when full).
func (l *link) other(id string, at time.Time) *otherSession {
	for i := range l.others {
		if l.others[i].id == id {
			return &l.others[i]
		}
	}
	if len(l.others) >= maxOtherSessions {
		oldest := 0
		for i := range l.others {
			if l.others[i].lastSeen.Before(l.others[oldest].lastSeen) {
				oldest = i
			}
		}
		l.others = append(l.others[:oldest], l.others[oldest+1:]...)
	}
	l.others = append(l.others, otherSession{id: id, firstSeen: at})
	return &l.others[len(l.others)-1]
}

// anchor ties the confirmed session to its socket, from, and settles the
// events held while that was unknown: those from there were the session's
// (a SNAPSHOT restores them), the others someone else's.
func (l *link) anchor(from netip.AddrPort) linkOut {
	var out linkOut
	if !from.IsValid() {
		return out
	}
	l.addr = from
	mine := false
	for _, h := range l.unanchored {
		if h.from == from {
			mine, out.resync = true, true
		} else {
			out.foreign += h.n
		}
	}
	switch {
	case l.unanchoredMore == 0:
	case mine:
		// The session's own address was kept: the others are strangers.
		out.foreign += l.unanchoredMore
	default:
		// The session's own may be among those not told apart.
		out.resync = true
	}
	l.unanchored, l.unanchoredMore = nil, 0
	return out
}

// event takes an event that names no session (everything but hello,
// heartbeat and bye), sent from from and received at at: it is the
// confirmed session's only if it comes from that session's socket.
func (l *link) event(from netip.AddrPort, at time.Time) linkOut {
	if l.confirmed == "" {
		l.heldAt = at
		return linkOut{verdict: held}
	}
	if l.addr.IsValid() && from != l.addr {
		l.heldAt = at
		return l.stranger(from, at)
	}
	if l.bye {
		l.heldAt = at
		return linkOut{verdict: held}
	}
	if !l.addr.IsValid() {
		l.holdUnanchored(from)
		l.heldAt = at
		return linkOut{verdict: held}
	}
	return linkOut{verdict: ours}
}

// stranger decides an event from a socket other than the confirmed
// session's: held like the markers of the undecided session that sent its
// markers from there (a restarted script's events may come before the
// command port confirms it), foreign if a foreign session's markers came from
// there. From a socket no marker came from, it is foreign while the
// confirmed session streams; once that one said bye or fell silent it may be
// its successor's (whose hello was lost): held, and a hint.
func (l *link) stranger(from netip.AddrPort, at time.Time) linkOut {
	known := false
	for i := range l.others {
		o := &l.others[i]
		if o.from != from {
			continue
		}
		if !o.foreign {
			o.held++
			return linkOut{verdict: held}
		}
		known = true
	}
	if known || l.alive(at) {
		return linkOut{verdict: foreign, foreign: 1}
	}
	return linkOut{verdict: held, ping: l.hint(at)}
}

// holdUnanchored counts an event held from from while the confirmed
// session's socket is unknown (at most maxOtherSessions addresses are
// told apart; beyond, they are only counted).
func (l *link) holdUnanchored(from netip.AddrPort) {
	for i := range l.unanchored {
		if l.unanchored[i].from == from {
			l.unanchored[i].n++
			return
		}
	}
	if len(l.unanchored) < maxOtherSessions {
		l.unanchored = append(l.unanchored, heldFrom{from: from, n: 1})
		return
	}
	l.unanchoredMore++
}

// answered takes a successful PING or SNAPSHOT reply naming session id (""
// if the reply has none), for a request sent at sentAt; version is PING's
// script version ("" for SNAPSHOT).
func (l *link) answered(id, version string, sentAt time.Time) linkOut {
	if sentAt.Before(l.answeredAt) {
		return linkOut{} // a newer request was answered already
	}
	l.answeredAt = sentAt
	var out linkOut
	if id == "" {
		for i := range l.others {
			if !l.others[i].foreign {
				out.snapshot = true
			}
		}
		out.snapshot = out.snapshot || l.confirmed == "" && !l.heldAt.IsZero()
		return out
	}
	if id != l.confirmed {
		l.confirmed, l.gen, l.bye = id, l.gen+1, false
		l.scriptVersion, l.liveVersion, l.aliveAt = "", "", time.Time{}
		// Its socket is where its markers came from, if any was read;
		// events held before are in the SNAPSHOT that follows.
		l.addr, l.unanchored, l.unanchoredMore = netip.AddrPort{}, nil, 0
		for i := range l.others {
			if o := l.others[i]; o.id == id {
				l.scriptVersion, l.liveVersion, l.aliveAt, l.addr = o.scriptVersion, o.liveVersion, o.aliveAt, o.from
				l.others = append(l.others[:i], l.others[i+1:]...)
				break
			}
		}
		out.changed = true
	}
	if version != "" {
		l.scriptVersion = version
	}
	// Every session first seen before this request was sent is now known
	// not to be the one the command port answers for.
	for i := range l.others {
		o := &l.others[i]
		if !o.foreign && !o.firstSeen.After(sentAt) {
			o.foreign = true
			out.foreign += o.held
			o.held = 0
			if !o.aliveAt.IsZero() && o.aliveAt.After(l.foreignAt) {
				l.foreignAt = o.aliveAt
			}
		}
	}
	return out
}

// snapshotGate spaces SNAPSHOT requests: at most one per every, except
// those the command port asked for (urgent: the confirmed session changed,
// which only a real script restart does).
type snapshotGate struct {
	every time.Duration
	last  time.Time // when the last SNAPSHOT was requested; zero before any
}

// wait is how long a request made at now must wait before it may be sent.
func (g *snapshotGate) wait(now time.Time, urgent bool) time.Duration {
	if urgent || g.last.IsZero() {
		return 0
	}
	if d := g.last.Add(g.every).Sub(now); d > 0 {
		return d
	}
	return 0
}

// taken records a SNAPSHOT request sent at now.
func (g *snapshotGate) taken(now time.Time) { g.last = now }
