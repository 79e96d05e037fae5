package wshub

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http/httptest"
	"testing"
	"time"
)

func TestEventFrameShape(t *testing.T) {
	ts := time.Unix(1795000000, 123456000)
	f := EventFrame("s1", 42, ts, "/live/track/renamed", []any{int32(0), "Bass", math.NaN(), true, nil})
	var m map[string]any
	if err := json.Unmarshal(f.Data, &m); err != nil {
		t.Fatal(err)
	}
	if m["type"] != "event" || m["seq"] != 42.0 || m["path"] != "/live/track/renamed" || m["ts"] != 1795000000.123456 {
		t.Fatalf("frame %s", f.Data)
	}
	args := m["args"].([]any)
	if args[1] != "Bass" || args[2] != nil || args[3] != true {
		t.Fatalf("args %v: NaN must become null, the rest stay", args)
	}
	if f.Seq != 42 || f.Session != "s1" || f.Snapshot {
		t.Fatalf("%+v", f)
	}
	if e := EventFrame("", 1, time.Time{}, "/x", nil); string(e.Data) != `{"type":"event","seq":1,"ts":0,"path":"/x","args":[]}` {
		t.Fatalf("no args must be [] not null: %s", e.Data)
	}
	s := SnapshotFrame("s1", 7, []byte(`{"tracks":[]}`))
	if !s.Snapshot || s.Seq != 7 || string(s.Data) != `{"type":"snapshot","session_id":"s1","seq":7,"state":{"tracks":[]}}` {
		t.Fatalf("snapshot %+v %s", s, s.Data)
	}
}

func TestOriginRules(t *testing.T) {
	h := New(Config{AllowedOrigins: []string{"https://tools.example:8443"}})
	for origin, want := range map[string]bool{
		"":                           true,
		"http://localhost:5173":      true,
		"http://127.0.0.1":           true,
		"http://[::1]:3000":          true,
		"http://app.localhost":       true,
		"https://tools.example:8443": true,
		"https://tools.example":      false,
		"https://evil.example":       false,
		"http://localhost.evil.com":  false,
		"null":                       false,
		"file://":                    false,
	} {
		r := httptest.NewRequest("GET", "/ws", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if got := h.originAllowed(r); got != want {
			t.Errorf("origin %q: allowed=%v, want %v", origin, got, want)
		}
	}
	for host, want := range map[string]bool{"localhost": true, "127.0.0.1": true, "[::1]": true, "evil.example": false, "127.0.0.1.nip.io": false} {
		if got := isLoopbackName(host); got != want {
			t.Errorf("host %q: %v, want %v", host, got, want)
		}
	}
}

// Issue 16 (the event frame written by hand): byte for byte what
// encoding/json writes, for every kind of argument the decoder makes —
// strings with anything in them (HTML characters, control characters,
// invalid UTF-8, U+2028), every float (exponents, NaN), blobs — and an
// argument of another type still encodes.
func FuzzEventFrame(f *testing.F) {
	f.Add(int64(42), int64(1795000000123456), "/live/track/renamed", "Bass <&> \"q\" \\ \n\t\x01\u2028é\xff", 0.731, int32(-3), int64(1)<<40, []byte{0, 1, 2}, true)
	f.Add(int64(1), int64(0), "/x", "", 1e-7, int32(0), int64(0), []byte(nil), false)
	f.Add(int64(7), int64(-5), "/y", "\b\f\r\x7f", 1e21, int32(math.MaxInt32), int64(math.MinInt64), []byte("abcd"), true)
	f.Add(int64(9), int64(1), "/nan", "x", math.NaN(), int32(1), int64(2), []byte{}, false)
	f.Fuzz(func(t *testing.T, seq, micros int64, path, s string, fl float64, i32 int32, i64 int64, blob []byte, flag bool) {
		ts := time.UnixMicro(micros)
		args := []any{s, fl, i32, i64, blob, flag, nil, -fl}
		got := EventFrameAt(time.Time{}, "s1", seq, ts, path, args).Data
		secs := float64(ts.UnixMicro()) / 1e6
		if ts.IsZero() {
			secs = 0
		}
		if want := marshalEvent(seq, secs, path, args); !bytes.Equal(got, want) {
			t.Fatalf("hand-written %s\nencoding/json %s", got, want)
		}
		if !json.Valid(got) {
			t.Fatalf("not JSON: %s", got)
		}
	})
}

func TestEventFrameFallsBackForOtherTypes(t *testing.T) {
	f := EventFrame("s1", 3, time.Time{}, "/x", []any{uint8(7), map[string]int{"a": 1}, time.Unix(0, 0).UTC()})
	if string(f.Data) != `{"type":"event","seq":3,"ts":0,"path":"/x","args":[7,{"a":1},"1970-01-01T00:00:00Z"]}` {
		t.Fatalf("%s", f.Data)
	}
}

// BenchmarkEventFrame is one parameter event's frame, written once per
// event for every client.
func BenchmarkEventFrame(b *testing.B) {
	args := []any{int32(3), int32(1), int32(7), 0.731}
	ts := time.Now()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		EventFrameAt(ts, "s1", int64(i), ts, "/live/device/param", args)
	}
}
