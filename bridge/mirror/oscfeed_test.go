package mirror

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"reflect"
	"sort"
	"testing"

	"github.com/hypebeast/go-osc/osc"
)

// oscFeed receives the Remote Script's OSC datagrams on a real UDP socket
// and hands them, decoded and unwrapped, to a channel in arrival order.
type oscFeed struct {
	conn   *net.UDPConn
	events chan Event
	bad    chan error
}

func listenOSC(t *testing.T) *oscFeed {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	// Bursts of structural edits must not overflow the kernel's queue.
	_ = conn.SetReadBuffer(8 << 20)
	f := &oscFeed{conn: conn, events: make(chan Event, 1<<20), bad: make(chan error, 16)}
	t.Cleanup(func() { conn.Close() })
	go f.loop()
	return f
}

func (f *oscFeed) port() int { return f.conn.LocalAddr().(*net.UDPAddr).Port }

func (f *oscFeed) loop() {
	buf := make([]byte, 65536)
	for {
		n, _, err := f.conn.ReadFromUDP(buf)
		if err != nil {
			close(f.events)
			return
		}
		f.datagram(buf[:n])
	}
}

// datagram hands over a message, or each message of a bundle by its size
// prefix (go-osc's own bundle reader can stop early past 4 KiB; the
// script's bundles go up to 8 KB).
func (f *oscFeed) datagram(data []byte) {
	if len(data) >= 16 && string(data[:8]) == "#bundle\x00" {
		for el := data[16:]; len(el) > 0; {
			n := -1
			if len(el) >= 4 {
				n = int(int32(binary.BigEndian.Uint32(el)))
			}
			if n <= 0 || n > len(el)-4 {
				f.report(fmt.Errorf("bad bundle element in %q", data))
				return
			}
			f.datagram(el[4 : 4+n])
			el = el[4+n:]
		}
		return
	}
	pkt, err := osc.ParsePacket(string(data))
	if err != nil {
		f.report(fmt.Errorf("undecodable datagram %q: %w", data, err))
		return
	}
	f.packet(pkt)
}

func (f *oscFeed) report(err error) {
	select {
	case f.bad <- err:
	default:
	}
}

func (f *oscFeed) packet(p osc.Packet) {
	switch p := p.(type) {
	case *osc.Message:
		ev, err := unwrap(p)
		if err != nil {
			f.report(err)
			return
		}
		f.events <- ev
	case *osc.Bundle:
		for _, m := range p.Messages {
			f.packet(m)
		}
		for _, b := range p.Bundles {
			f.packet(b)
		}
	}
}

// unwrap reads `/live/seq <seq:i> <ts:d|f> <path:s> <args...>`; other
// messages are unwrapped events without a sequence number.
func unwrap(m *osc.Message) (Event, error) {
	if m.Address != "/live/seq" {
		return Event{Path: m.Address, Args: m.Arguments}, nil
	}
	a := m.Arguments
	if len(a) < 3 {
		return Event{}, fmt.Errorf("/live/seq with %d arguments", len(a))
	}
	seq, ok := a[0].(int32)
	path, ok2 := a[2].(string)
	if !ok || !ok2 {
		return Event{}, fmt.Errorf("/live/seq with bad arguments %v", a)
	}
	switch a[1].(type) {
	case float64, float32:
	default:
		return Event{}, fmt.Errorf("/live/seq timestamp is %T", a[1])
	}
	return Event{Seq: int64(seq), Path: path, Args: a[3:]}, nil
}

// firstDiff describes where two decoded JSON values differ, "" if equal.
func firstDiff(path string, a, b any) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: mirror %v, snapshot %v", path, a, b)
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			xv, xok := x[k]
			yv, yok := y[k]
			if xok != yok {
				return fmt.Sprintf("%s.%s: present in mirror %v, in snapshot %v", path, k, xok, yok)
			}
			if d := firstDiff(path+"."+k, xv, yv); d != "" {
				return d
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: mirror has %d items, snapshot %v", path, len(x), lenOf(b))
		}
		for i := range x {
			if d := firstDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
	}
	return fmt.Sprintf("%s: mirror %#v, snapshot %#v", path, a, b)
}

func lenOf(v any) any {
	if s, ok := v.([]any); ok {
		return len(s)
	}
	return v
}

// sameJSON compares two JSON documents semantically; floats compare as
// float64, so they must be bit-identical.
func sameJSON(t *testing.T, mirror, snapshot []byte) string {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(mirror, &a); err != nil {
		t.Fatalf("mirror JSON: %v", err)
	}
	if err := json.Unmarshal(snapshot, &b); err != nil {
		t.Fatalf("snapshot JSON: %v", err)
	}
	return firstDiff("state", a, b)
}
