package oscin

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypebeast/go-osc/osc"
	"github.com/vimabl/vimabl/bridge/metrics"
	"github.com/vimabl/vimabl/bridge/portbind"
	"github.com/vimabl/vimabl/internal/testkit"
)

// Issue 16 (oscin says what hello, heartbeat, bye and log mean): the
// catalog's special paths are typed once, here, with their fields named;
// everything else is a change for the mirror.
func TestDecodeTypesTheCatalogsSpecialEvents(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	one := func(m *osc.Message) Event {
		t.Helper()
		evs, err := Decode(marshal(t, m), at)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%v %+v", err, evs)
		}
		return evs[0]
	}
	if ev := one(seqMsg(1, 1.0, "/live/hello", "s1", "1.2.3", "12.1.5")); ev.Kind != KindHello || ev.Session != "s1" || ev.ScriptVersion != "1.2.3" || ev.LiveVersion != "12.1.5" {
		t.Errorf("hello: %+v", ev)
	}
	hb := one(seqMsg(2, 1.0, "/live/heartbeat", "s1", 12.5, int32(3), int32(1000), int32(50), int32(47), int32(1), int32(9), true, int32(12), int32(8), int32(30), int32(900)))
	if hb.Kind != KindHeartbeat || hb.Session != "s1" || hb.Stats == nil {
		t.Fatalf("heartbeat: %+v", hb)
	}
	if s := *hb.Stats; s.QueueSize != 3 || s.QueueMax != 1000 || s.Dropped != 1 || s.PeakQueueSize != 9 || !s.ObserversEnabled ||
		s.Tracks != 12 || s.Scenes != 8 || s.Devices != 30 || s.Listeners != 900 || s.At != at || s.Utilization != 0.003 {
		t.Errorf("heartbeat figures: %+v", s)
	}
	if ev := one(seqMsg(3, 1.0, "/live/bye", "s1")); ev.Kind != KindBye || ev.Session != "s1" {
		t.Errorf("bye: %+v", ev)
	}
	if ev := one(seqMsg(4, 1.0, "/live/log", "WARNING", "UDP", "send failed")); ev.Kind != KindLog || ev.Level != "WARNING" || ev.Component != "UDP" || ev.Message != "send failed" {
		t.Errorf("log: %+v", ev)
	}
	if ev := one(seqMsg(5, 1.0, "/live/resync", "gap")); ev.Kind != KindResync {
		t.Errorf("resync: %+v", ev)
	}
	if ev := one(seqMsg(6, 1.0, "/live/track/renamed", int32(0), "s1")); ev.Kind != KindChange || ev.Session != "" {
		t.Errorf("a change names no session: %+v", ev)
	}
	if ev := one(seqMsg(7, 1.0, "/live/hello", int32(9))); ev.Kind != KindHello || ev.Session != "" {
		t.Errorf("a hello whose id is not a string names no session: %+v", ev)
	}
}

// Issue 16 (oscin tracks sequence): every sender socket is numbered apart,
// so a stranger's datagrams — however they are numbered — never disturb the
// script's own numbering; a marker behind its socket's numbering starts it
// over (Renumbered); more sockets than maxSenders evict the least recently
// heard.
func TestSendersAreNumberedApart(t *testing.T) {
	var s senders
	t0 := time.Unix(1_800_000_000, 0)
	script := netip.MustParseAddrPort("127.0.0.1:40001")
	stranger := netip.MustParseAddrPort("127.0.0.1:40002")
	obs := func(from netip.AddrPort, seq int64, path string, args ...any) (Verdict, int64) {
		ev := Event{Seq: seq, Path: path, Args: args, From: from, Received: t0}
		ev.classify()
		s.observe(&ev)
		return ev.Order, ev.Lost
	}
	for i := int64(1); i <= 100; i++ {
		if v, _ := obs(script, i, "/live/x"); v != InOrder {
			t.Fatalf("script seq %d: %v", i, v)
		}
	}
	if v, _ := obs(stranger, 9000, "/live/x"); v != InOrder {
		t.Fatalf("a stranger's first event starts its own numbering: %v", v)
	}
	if v, _ := obs(stranger, 1, "/live/x"); v != Foreign {
		t.Fatalf("the stranger starting over: %v, want foreign", v)
	}
	if v, _ := obs(script, 101, "/live/x"); v != InOrder {
		t.Fatalf("the script after the stranger: %v, want in order", v)
	}
	if v, lost := obs(script, 105, "/live/x"); v != Gap || lost != 3 {
		t.Fatalf("a gap in the script's numbering: %v lost %d", v, lost)
	}
	// One datagram numbered far ahead on the script's socket, then its
	// heartbeat: the tracker follows the script again.
	obs(script, 9000, "/live/x")
	if v, _ := obs(script, 106, "/live/heartbeat", "s1"); v != Renumbered {
		t.Fatalf("the script's heartbeat behind: %v, want renumbered", v)
	}
	if v, _ := obs(script, 107, "/live/x"); v != InOrder {
		t.Fatalf("after renumbering: %v", v)
	}
	if v, _ := obs(script, 3, "/live/x"); v != Late {
		t.Fatalf("an ordinary event behind is late, never a restart: %v", v)
	}
	// A flood from many sockets: at most maxSenders trackers, reused.
	for i := 0; i < 3*maxSenders; i++ {
		t0 = t0.Add(time.Millisecond)
		obs(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(50000+i)), 1, "/live/x")
	}
	if len(s.list) != maxSenders {
		t.Fatalf("%d senders followed, want at most %d", len(s.list), maxSenders)
	}
}

// collector records what Serve hands over and reports.
type collector struct {
	mu    sync.Mutex
	evs   []Event
	state portbind.State
}

func (c *collector) handle(evs []Event) {
	c.mu.Lock()
	c.evs = append(c.evs, evs...)
	c.mu.Unlock()
}

func (c *collector) report(s portbind.State) {
	c.mu.Lock()
	c.state = s
	c.mu.Unlock()
}

// Issue 16 (oscin owns the port): Serve binds, and hands over each
// datagram's events with their sender and their place in its numbering;
// junk is counted, not handed over.
func TestServeHandsOverTypedSequencedEvents(t *testing.T) {
	var col collector
	c := metrics.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Serve(ctx, Config{Addr: "127.0.0.1:0", Counters: c, Report: col.report}, col.handle)
	}()
	defer func() { cancel(); <-done }()
	var addr string
	testkit.WaitFor(t, "the port to be bound", 5*time.Second, func() bool {
		col.mu.Lock()
		defer col.mu.Unlock()
		addr = col.state.Addr
		return col.state.OK
	})
	out, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	out.Write(marshal(t, seqMsg(1, 1.0, "/live/hello", "s1", "1.0", "12.1")))
	out.Write([]byte("junk"))
	out.Write(marshal(t, seqMsg(2, 1.0, "/live/x")))
	out.Write(marshal(t, seqMsg(5, 1.0, "/live/x")))
	testkit.WaitFor(t, "three events", 5*time.Second, func() bool {
		col.mu.Lock()
		defer col.mu.Unlock()
		return len(col.evs) == 3
	})
	col.mu.Lock()
	defer col.mu.Unlock()
	from := out.LocalAddr().(*net.UDPAddr).AddrPort()
	for i, want := range []struct {
		kind  Kind
		order Verdict
	}{{KindHello, InOrder}, {KindChange, InOrder}, {KindChange, Gap}} {
		if ev := col.evs[i]; ev.Kind != want.kind || ev.Order != want.order || ev.From != from {
			t.Fatalf("event %d: %+v, want %v %v from %v", i, ev, want.kind, want.order, from)
		}
	}
	if col.evs[2].Lost != 2 || c.Malformed.Load() != 1 || c.Decoded.Load() != 3 {
		t.Fatalf("lost %d, malformed %d, decoded %d; want 2, 1, 3", col.evs[2].Lost, c.Malformed.Load(), c.Decoded.Load())
	}
}

// Issue 16 (batch reads): the reader keeps every datagram's sender on an
// IPv6 socket too (recvmmsg through golang.org/x/net's ipv6 PacketConn).
func TestReceiverOnIPv6KeepsSenders(t *testing.T) {
	r, err := Listen("[::1]:0", nil)
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer r.Close()
	runReceiver(t, r)
	a, err := net.DialUDP("udp", nil, r.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := net.DialUDP("udp", nil, r.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := int32(1); i <= 100; i++ {
		c := a
		if i%2 == 0 {
			c = b
		}
		c.Write(marshal(t, seqMsg(i, 1.0, "/live/x")))
	}
	for i := int64(1); i <= 100; i++ {
		var d Datagram
		select {
		case d = <-r.Datagrams():
		case <-time.After(5 * time.Second):
			t.Fatalf("datagram %d never came", i)
		}
		want := a.LocalAddr().(*net.UDPAddr).AddrPort()
		if i%2 == 0 {
			want = b.LocalAddr().(*net.UDPAddr).AddrPort()
		}
		evs, err := Decode(d.Data, d.Received)
		if err != nil || evs[0].Seq != i || d.From != want {
			t.Fatalf("datagram %d: seq %v from %v (%v), want from %v", i, evs, d.From, err, want)
		}
	}
}

// Issue 16 (bundles): a bundle's events come out in the order they were
// written, nested bundles in place, each read by its size prefix.
func TestDecodeBundleKeepsTheWrittenOrder(t *testing.T) {
	m := func(seq int32) []byte { return marshal(t, seqMsg(seq, 1.0, "/live/x", seq)) }
	evs, err := Decode(bundleOf(m(1), bundleOf(m(2), bundleOf(m(3))), m(4), bundleOf()), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, ev := range evs {
		got = append(got, ev.Seq)
	}
	if fmt.Sprint(got) != "[1 2 3 4]" {
		t.Fatalf("order %v, want [1 2 3 4]", got)
	}
}

// Issue 16 (bundles up to 8 KB): every message of a bundle larger than
// 4 KiB is read, wherever its elements end. (go-osc's bundle reader stopped
// without an error at an element that ended at byte 4096 of its buffer.)
func TestDecodeLargeBundleKeepsEveryMessage(t *testing.T) {
	for pad := 0; pad < 64; pad++ {
		var els [][]byte
		size := 16
		for seq := int32(1); size < 8000; seq++ {
			el := marshal(t, seqMsg(seq, 1.0, "/live/device/param", int32(0), int32(0), seq, 0.5, strings.Repeat("p", (int(seq)+pad)%13)))
			els = append(els, el)
			size += 4 + len(el)
		}
		evs, err := Decode(bundleOf(els...), time.Now())
		if err != nil || len(evs) != len(els) {
			t.Fatalf("pad %d: %d of %d events (%v)", pad, len(evs), len(els), err)
		}
		for i, ev := range evs {
			if ev.Seq != int64(i+1) || ev.Args[2] != int32(i+1) {
				t.Fatalf("pad %d: event %d is %+v", pad, i, ev)
			}
		}
	}
}

func TestDecodeRejectsBadBundles(t *testing.T) {
	good := marshal(t, seqMsg(1, 1.0, "/live/x"))
	withSize := func(size int32, el []byte) []byte {
		b := bundleOf()
		b = binary.BigEndian.AppendUint32(b, uint32(size))
		return append(b, el...)
	}
	nest := bundleOf(good)
	for i := 0; i < maxDepth; i++ {
		nest = bundleOf(nest)
	}
	for name, data := range map[string][]byte{
		"no time tag":             []byte("#bundle\x00"),
		"not #bundle":             append([]byte("#bundlX\x00"), bundleOf(good)[8:]...),
		"negative size":           withSize(-4, good),
		"zero size":               withSize(0, good),
		"unaligned size":          withSize(int32(len(good))-1, append(good, 0, 0, 0)),
		"size past the end":       withSize(int32(len(good))+4, good),
		"size without element":    bundleOf(good)[:16+4],
		"junk element":            bundleOf([]byte("abcd")),
		"bad message inside":      bundleOf(good[:len(good)-4]),
		"padding after a message": bundleOf(append(append([]byte(nil), good...), 0, 0, 0, 0)),
		"nested too deep":         nest,
	} {
		if evs, err := Decode(data, time.Now()); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: want ErrMalformed, got %v (%d events)", name, err, len(evs))
		}
	}
}
