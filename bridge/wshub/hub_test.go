package wshub

import (
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
