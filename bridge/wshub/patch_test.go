package wshub

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vimabl/vimabl/internal/testkit"
)

// rawPatch is a PatchJSON that is already encoded.
type rawPatch string

func (p rawPatch) AppendJSON(b []byte) []byte { return append(b, p...) }

// issue 14 item 5: a client that asks for patch mode (/ws?patch=1) gets
// each event frame with the operations the mirror applied as "patch" ([]
// when it changed nothing), and its hello says so; a client that does not
// ask keeps today's frames, byte for byte.
func TestPatchModeOnlyForClientsThatAskForIt(t *testing.T) {
	h, url := startHub(t, Config{}, nil)
	plain := dialRaw(t, url)
	patched := dialRaw(t, url+"?patch=1")
	testkit.WaitFor(t, "both clients registered", 5*time.Second, func() bool { return h.Clients() == 2 })
	withOps := EventFrame("s1", 1, time.Time{}, "/live/track/renamed", []any{0, "Bass"})
	withOps.Patch = rawPatch(`[{"op":"replace","path":"/tracks/0/name","value":"Bass"}]`)
	noOps := EventFrame("s1", 2, time.Time{}, "/live/heartbeat", []any{"s1"})
	h.Broadcast(withOps)
	h.Broadcast(noOps)
	for _, tc := range []struct {
		name   string
		c      interface{ ReadMessage() (int, []byte, error) }
		hello  string
		events []string
	}{
		{"plain", plain, `"patch":false`, []string{string(withOps.Data), string(noOps.Data)}},
		{"patch", patched, `"patch":true`, []string{
			`{"type":"event","seq":1,"ts":0,"path":"/live/track/renamed","args":[0,"Bass"],"patch":[{"op":"replace","path":"/tracks/0/name","value":"Bass"}]}`,
			`{"type":"event","seq":2,"ts":0,"path":"/live/heartbeat","args":["s1"],"patch":[]}`,
		}},
	} {
		var got []string
		for len(got) < 2+len(tc.events) {
			_, data, err := tc.c.ReadMessage()
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got = append(got, string(data))
		}
		var hello map[string]any
		if err := json.Unmarshal([]byte(got[0]), &hello); err != nil || hello["type"] != "hello" || hello["protocol"] != 1.0 {
			t.Fatalf("%s: first frame %s, want hello with protocol 1", tc.name, got[0])
		}
		if !json.Valid([]byte(got[0])) || !strings.Contains(got[0], tc.hello) {
			t.Errorf("%s: hello %s, want %s", tc.name, got[0], tc.hello)
		}
		for i, want := range tc.events {
			if got[2+i] != want {
				t.Errorf("%s: event frame\n  %s\nwant\n  %s", tc.name, got[2+i], want)
			}
		}
	}
}
