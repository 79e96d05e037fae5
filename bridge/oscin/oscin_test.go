package oscin

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hypebeast/go-osc/osc"
	"github.com/vimabl/vimabl/bridge/metrics"
	"github.com/vimabl/vimabl/internal/testkit"
)

func marshal(t testing.TB, p osc.Packet) []byte {
	t.Helper()
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seqMsg(seq int32, ts any, path string, args ...any) *osc.Message {
	m := osc.NewMessage("/live/seq", seq, ts, path)
	m.Append(args...)
	return m
}

func TestDecodeWrappedEventWithEveryType(t *testing.T) {
	ts := 1795000000.123456
	data := marshal(t, seqMsg(42, ts, "/live/track/renamed", int32(3), "Bass", true, false, 0.85, float32(0.5), []byte{1, 2}, nil, int64(7)))
	evs, err := Decode(data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ev := evs[0]
	if ev.Seq != 42 || ev.Path != "/live/track/renamed" {
		t.Fatalf("got %+v", ev)
	}
	if got := float64(ev.Timestamp.UnixNano()) / 1e9; math.Abs(got-ts) > 1e-6 {
		t.Fatalf("timestamp %f, want %f (float64 must keep microseconds)", got, ts)
	}
	want := []any{int32(3), "Bass", true, false, 0.85, 0.5, []byte{1, 2}, nil, int64(7)}
	if len(ev.Args) != len(want) {
		t.Fatalf("args %v", ev.Args)
	}
	for i := range want {
		if b, ok := want[i].([]byte); ok {
			if string(ev.Args[i].([]byte)) != string(b) {
				t.Errorf("arg %d = %v", i, ev.Args[i])
			}
			continue
		}
		if ev.Args[i] != want[i] {
			t.Errorf("arg %d = %v (%T), want %v (%T)", i, ev.Args[i], ev.Args[i], want[i], want[i])
		}
	}
}

func TestDecodeOldFloat32TimestampAndUnwrapped(t *testing.T) {
	evs, err := Decode(marshal(t, seqMsg(1, float32(1.7e9), "/live/transport/play", true)), time.Now())
	if err != nil || evs[0].Seq != 1 || evs[0].Timestamp.Unix() < 1.69e9 {
		t.Fatalf("float32 timestamp: %v %+v", err, evs)
	}
	evs, err = Decode(marshal(t, osc.NewMessage("/live/track/mute", int32(0), true)), time.Now())
	if err != nil || evs[0].Seq != 0 || evs[0].Path != "/live/track/mute" || !evs[0].Timestamp.IsZero() {
		t.Fatalf("unwrapped: %v %+v", err, evs)
	}
}

func TestDecodeBundleInOrder(t *testing.T) {
	b := osc.NewBundle(time.Now())
	b.Append(seqMsg(1, 1.0, "/live/batch/start", int32(1)))
	b.Append(seqMsg(2, 1.0, "/live/track/deleted", int32(0)))
	evs, err := Decode(marshal(t, b), time.Now())
	if err != nil || len(evs) != 2 || evs[0].Seq != 1 || evs[1].Seq != 2 {
		t.Fatalf("%v %+v", err, evs)
	}
}

func TestDecodeRejectsJunk(t *testing.T) {
	good := marshal(t, seqMsg(5, 1.0, "/live/x"))
	cases := map[string][]byte{
		"empty":        {},
		"unaligned":    []byte("/a\x00"),
		"text":         []byte("hello world!"),
		"truncated":    good[:len(good)-4],
		"no seq":       marshal(t, osc.NewMessage("/live/seq")),
		"seq not int":  marshal(t, osc.NewMessage("/live/seq", "x", 1.0, "/p")),
		"negative seq": marshal(t, osc.NewMessage("/live/seq", int32(-1), 1.0, "/p")),
		"bad ts":       marshal(t, osc.NewMessage("/live/seq", int32(1), "now", "/p")),
		"bad path":     marshal(t, osc.NewMessage("/live/seq", int32(1), 1.0, "nope")),
		"bad tag":      append([]byte("/a\x00\x00,z\x00\x00"), 0, 0, 0, 0),
		"huge blob":    append([]byte("/a\x00\x00,b\x00\x00"), 0x7f, 0xff, 0xff, 0xff),
	}
	for name, data := range cases {
		if _, err := Decode(data, time.Now()); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: want ErrMalformed, got %v", name, err)
		}
	}
}

func TestTracker(t *testing.T) {
	var tr Tracker
	obs := func(seq int64, path string, args ...any) Verdict {
		return tr.Observe(&Event{Seq: seq, Path: path, Args: args})
	}
	// The first event starts the numbering, whatever its number.
	if v := obs(5, "/live/heartbeat", "s1"); v != InOrder {
		t.Fatalf("first event: %v", v)
	}
	for s := int64(6); s <= 10; s++ {
		if v := obs(s, "/live/x"); v != InOrder {
			t.Fatalf("seq %d: %v", s, v)
		}
	}
	if v := obs(10, "/live/x"); v != Duplicate {
		t.Fatalf("duplicate: %v", v)
	}
	if v := obs(14, "/live/x"); v != Gap || tr.LastGap() != 3 {
		t.Fatalf("gap: %v lost %d", v, tr.LastGap())
	}
	if v := obs(12, "/live/x"); v != Late {
		t.Fatalf("late: %v", v)
	}
	if v := obs(12, "/live/x"); v != Duplicate {
		t.Fatalf("late duplicate: %v", v)
	}
	// Reset (a marker behind, or a tracker reused for another socket): the
	// numbering starts over.
	tr.Reset()
	if v := obs(1, "/live/x"); v != InOrder {
		t.Fatalf("after Reset: %v", v)
	}
	for s := int64(2); s < 200; s++ {
		if v := obs(s, "/live/x"); v != InOrder {
			t.Fatalf("seq %d after Reset: %v", s, v)
		}
	}
	if v := obs(0, "/live/unwrapped"); v != InOrder {
		t.Fatalf("unwrapped: %v", v)
	}
}

// Numbering that starts over without the engine saying so (another sender:
// a second script, or a spoofer) is Foreign and leaves the tracker as it
// was: the session's own next event is in order, not a gap (issue 10 item 2).
func TestTrackerForeignNumberingLeavesTheSessionAlone(t *testing.T) {
	var tr Tracker
	obs := func(seq int64) Verdict { return tr.Observe(&Event{Seq: seq, Path: "/live/x"}) }
	for s := int64(1); s <= 5000; s++ {
		obs(s)
	}
	for _, s := range []int64{1, 2, 3, 700} { // 1, 2: started over; 3, 700: more than a window behind
		if v := obs(s); v != Foreign {
			t.Fatalf("seq %d after 5000: %v, want foreign", s, v)
		}
	}
	if v := obs(5001); v != InOrder || tr.LastGap() != 0 {
		t.Fatalf("the session's next event: %v (gap %d), want in-order", v, tr.LastGap())
	}
}

func listen(t *testing.T) (*Receiver, *metrics.Counters, *net.UDPConn) {
	t.Helper()
	c := metrics.New()
	r, err := Listen("127.0.0.1:0", c)
	if err != nil {
		t.Fatal(err)
	}
	out, err := net.DialUDP("udp", nil, r.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close(); r.Close() })
	return r, c, out
}

func TestReceiverKeepsOrderAndSurvivesJunk(t *testing.T) {
	r, c, out := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	const n = 2000
	for i := 1; i <= n; i++ {
		if i%100 == 0 {
			out.Write([]byte("garbage!")) // counted as malformed by the decoder
		}
		out.Write(marshal(t, seqMsg(int32(i), 1.0, "/live/x", int32(i))))
	}
	want, junk := int64(1), 0
	timeout := time.After(10 * time.Second)
	for want <= n {
		select {
		case d := <-r.Datagrams():
			evs, err := Decode(d.Data, d.Received)
			if err != nil {
				junk++
				continue
			}
			if evs[0].Seq != want {
				t.Fatalf("got seq %d, want %d: order lost", evs[0].Seq, want)
			}
			want++
		case <-timeout:
			t.Fatalf("stalled at %d", want)
		}
	}
	if junk != n/100 || c.Received.Load() != n+n/100 || c.OverflowDrops.Load() != 0 {
		t.Fatalf("junk %d received %d overflow %d", junk, c.Received.Load(), c.OverflowDrops.Load())
	}
}

// fill sends datagrams msg(1), msg(2), … to r until r has read at least
// want of them, while nobody consumes r's queue. Each round fits a quarter of
// the socket's buffer and waits until the reader has read (or the kernel has
// dropped) everything sent so far, so that what the queue drops is decided by
// its bounds, not by the kernel under CPU load; the kernel's drops, where
// Linux tells them, are counted rather than taken for the queue's. It
// returns how many datagrams it sent and how many of them the kernel dropped.
func fill(t *testing.T, r *Receiver, c *metrics.Counters, out *net.UDPConn, want int, msg func(i int) []byte) (sent int, kdrops uint64) {
	t.Helper()
	// What a datagram costs the socket buffer: its bytes (twice, for the
	// loopback's rounding of large buffers) and the kernel's bookkeeping.
	per := 2*len(msg(1)) + 1024
	round := 64
	if b := r.EffectiveBuffer(); b > 0 {
		round = max(1, b/4/per)
	}
	port := r.LocalAddr().Port
	kdrops0, ok := kernelDrops(port)
	if !ok && runtime.GOOS == "linux" {
		t.Fatal("the socket is not in /proc/net/udp: the kernel's drops cannot be told from the queue's")
	}
	// What was read and taken by the consumer before (nothing is taken
	// during fill).
	received0 := c.Received.Load()
	taken := received0 - c.OverflowDrops.Load() - uint64(len(r.Datagrams()))
	for int(c.Received.Load()) < want {
		// No more than are missing: without kernel drops, exactly want are sent.
		for n := min(round, want-int(c.Received.Load())); n > 0; n-- {
			sent++
			if _, err := out.Write(msg(sent)); err != nil {
				t.Fatal(err)
			}
		}
		testkit.WaitFor(t, "the reader to read the round", 10*time.Second, func() bool {
			k, _ := kernelDrops(port)
			kdrops = k - kdrops0
			return c.Received.Load()-received0+kdrops >= uint64(sent)
		})
	}
	// Received is counted before the datagram is queued or dropped.
	testkit.WaitFor(t, "the reader to queue or drop the last one", 10*time.Second, func() bool {
		return taken+c.OverflowDrops.Load()+uint64(len(r.Datagrams())) == c.Received.Load()
	})
	return sent, kdrops
}

// sized returns the datagram of event seq of exactly size bytes: a
// /live/log line padded to size.
func sized(t *testing.T, seq, size int) []byte {
	t.Helper()
	data := marshal(t, seqMsg(int32(seq), 1.0, "/live/log", "INFO", "Test", ""))
	pad := size - len(data) // a string grows in steps of 4 bytes, its NUL included
	if pad < 0 || pad%4 != 0 {
		t.Fatalf("cannot pad a %d-byte datagram to %d", len(data), size)
	}
	return marshal(t, seqMsg(int32(seq), 1.0, "/live/log", "INFO", "Test", strings.Repeat("x", pad)))
}

func runReceiver(t *testing.T, r *Receiver) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// Issue 10 item 1: with the consumer stalled, ordinary events fill all
// QueueLen slots — the byte bound does not cut a burst of events of up to
// 128 bytes short — and every datagram beyond is dropped and counted.
func TestReceiverQueuesQueueLenOrdinaryEventsThenCountsOverflow(t *testing.T) {
	r, c, out := listen(t)
	runReceiver(t, r)
	const size = 128 // the largest event the slot count is meant for
	if QueueLen*size > QueueBytes {
		t.Fatalf("QueueLen events of %d bytes need %d bytes, QueueBytes is %d", size, QueueLen*size, QueueBytes)
	}
	msg := sized(t, 1, size)
	sent, kdrops := fill(t, r, c, out, QueueLen+1000, func(int) []byte { return msg })
	t.Logf("sent %d, the kernel dropped %d", sent, kdrops)
	received, overflow, queued := c.Received.Load(), c.OverflowDrops.Load(), len(r.Datagrams())
	if queued != QueueLen || overflow != received-QueueLen {
		t.Fatalf("received %d: %d queued, %d counted as overflow; want %d queued and the rest counted", received, queued, overflow, QueueLen)
	}
}

// Issue 10 item 1: large datagrams stop queueing at QueueBytes (a flood of
// 60 KB /live/log datagrams took the bridge to 343 MB), the ones beyond are
// counted as overflow, the queued ones are intact and in order, and the
// bytes the consumer takes are free again.
func TestReceiverBoundsTheQueueInBytes(t *testing.T) {
	r, c, out := listen(t)
	runReceiver(t, r)
	const size = 40000 // QueueBytes is not a multiple of it: the bound is exact
	fits := QueueBytes / size
	sent, kdrops := fill(t, r, c, out, fits+20, func(i int) []byte { return sized(t, i, size) })
	t.Logf("sent %d, the kernel dropped %d", sent, kdrops)
	received, overflow, queued := c.Received.Load(), c.OverflowDrops.Load(), len(r.Datagrams())
	if queued != fits || overflow != received-uint64(fits) {
		t.Fatalf("received %d of %d bytes: %d queued, %d counted as overflow; want %d queued (QueueBytes %d) and the rest counted",
			received, size, queued, overflow, fits, QueueBytes)
	}
	// Without kernel drops the queue holds exactly the first ones sent.
	prev := int64(0)
	for i := 0; i < queued; i++ {
		d := <-r.Datagrams()
		evs, err := Decode(d.Data, d.Received)
		if err != nil || len(d.Data) != size {
			t.Fatalf("queued datagram %d: %d bytes, %v", i, len(d.Data), err)
		}
		if evs[0].Seq <= prev || kdrops == 0 && evs[0].Seq != int64(i+1) {
			t.Fatalf("queued datagram %d has seq %d after %d", i, evs[0].Seq, prev)
		}
		prev = evs[0].Seq
		if !d.From.IsValid() || d.From.Port() != uint16(out.LocalAddr().(*net.UDPAddr).Port) {
			t.Fatalf("datagram from %v, sent from %v", d.From, out.LocalAddr())
		}
	}
	// The consumer took them all: their bytes are free again.
	fill(t, r, c, out, int(received)+fits, func(i int) []byte { return sized(t, sent+i, size) })
	if got := c.OverflowDrops.Load(); got != overflow {
		t.Fatalf("%d more overflows after the consumer emptied the queue: its bytes were not given back", got-overflow)
	}
}

func TestPortInUseIsAClearError(t *testing.T) {
	r, _, _ := listen(t)
	_, err := Listen(r.LocalAddr().String(), nil)
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("want ErrPortInUse, got %v", err)
	}
	if want := "UDP port"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error should name the port: %v", err)
	}
}

// FuzzDecode: no input makes Decode panic or fail without ErrMalformed;
// every event has a path; and every message Decode accepts, go-osc (the OSC
// library the bridge used before issue 16, and liblo's peer in e2e) reads
// the same way: address, sequence number, timestamp, path and every
// argument. So the decoder can be stricter than go-osc, never different.
func FuzzDecode(f *testing.F) {
	f.Add(marshal(f, seqMsg(1, 1.0, "/live/track/renamed", int32(0), "Bass")))
	b := osc.NewBundle(time.Now())
	b.Append(seqMsg(2, 1.0, "/live/x", []byte{1, 2, 3}, nil, true))
	f.Add(marshal(f, b))
	f.Add(bundleOf(marshal(f, seqMsg(3, 1.0, "/live/a")), bundleOf(marshal(f, seqMsg(4, 1.0, "/live/b"))), marshal(f, seqMsg(5, 1.0, "/live/c", float32(0.5), int64(7)))))
	f.Add([]byte("/a\x00\x00,b\x00\x00\x7f\xff\xff\xff"))
	f.Add(marshal(f, osc.NewMessage("/t", *osc.NewTimetag(time.Unix(1_800_000_000, 500)))))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := Decode(data, time.Now())
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not wrapping ErrMalformed: %v", err)
			}
			return
		}
		for _, ev := range evs {
			if ev.Path == "" || ev.Path[0] != '/' {
				t.Fatalf("decoded an event without a path: %+v", ev)
			}
		}
		if data[0] != '/' {
			return // go-osc reads bundles differently (see Decode); TestDecodeBundle* hold them
		}
		m, err := goOSC(data)
		if err != nil {
			for _, a := range evs[0].Args {
				if b, ok := a.([]byte); ok && len(b) == 0 {
					return // OSC 1.0 allows an empty blob; go-osc refuses it
				}
			}
			t.Fatalf("Decode accepted %q, go-osc refused it: %v", data, err)
		}
		ev, want := evs[0], m.Arguments
		if m.Address == "/live/seq" {
			if ev.Seq != int64(asInt(want[0])) || ev.Path != want[2] {
				t.Fatalf("wrapper: %+v, go-osc %v", ev, want)
			}
			want = want[3:]
		} else if ev.Path != m.Address {
			t.Fatalf("path %q, go-osc %q", ev.Path, m.Address)
		}
		if len(ev.Args) != len(want) {
			t.Fatalf("%d arguments, go-osc %d", len(ev.Args), len(want))
		}
		for i, w := range want {
			switch w := w.(type) {
			case float32:
				w64 := float64(w)
				if g := ev.Args[i].(float64); g != w64 && !(math.IsNaN(g) && math.IsNaN(w64)) {
					t.Fatalf("argument %d: %v, go-osc %v", i, g, w)
				}
			case float64:
				if g := ev.Args[i].(float64); g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
					t.Fatalf("argument %d: %v, go-osc %v", i, g, w)
				}
			case osc.Timetag:
				if g := ev.Args[i].(time.Time); !g.Equal(w.Time()) {
					t.Fatalf("argument %d: %v, go-osc %v", i, g, w.Time())
				}
			case []byte:
				if g := ev.Args[i].([]byte); !bytes.Equal(g, w) {
					t.Fatalf("argument %d: %q, go-osc %q", i, g, w)
				}
			default:
				if ev.Args[i] != w {
					t.Fatalf("argument %d: %v (%T), go-osc %v (%T)", i, ev.Args[i], ev.Args[i], w, w)
				}
			}
		}
	})
}

// goOSC parses a message with go-osc, whose panics become errors.
func goOSC(data []byte) (m *osc.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("go-osc panicked: %v", r)
		}
	}()
	p, err := osc.ParsePacket(string(data))
	if err != nil {
		return nil, err
	}
	m, ok := p.(*osc.Message)
	if !ok {
		return nil, fmt.Errorf("go-osc read %T", p)
	}
	return m, nil
}

func asInt(a any) int64 {
	switch v := a.(type) {
	case int32:
		return int64(v)
	case int64:
		return v
	}
	return -1
}

// bundleOf writes an OSC bundle of the given elements, in order (go-osc's
// Bundle writes all its messages before its bundles).
func bundleOf(elements ...[]byte) []byte {
	out := append([]byte("#bundle\x00"), 0, 0, 0, 0, 0, 0, 0, 1)
	for _, e := range elements {
		out = binary.BigEndian.AppendUint32(out, uint32(len(e)))
		out = append(out, e...)
	}
	return out
}
