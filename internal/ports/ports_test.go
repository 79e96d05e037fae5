package ports

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"strconv"
	"testing"

	remotescript "github.com/vimabl/vimabl/remote_script"
)

// Issue 16 (port defaults defined once, shared by Go and the script): the
// script's own defaults — what it uses with no config.json — are these, so
// a default install needs no file and the bridge listens where the script
// sends.
func TestScriptDefaultsAreTheseDefaults(t *testing.T) {
	src, err := fs.ReadFile(remotescript.Script(), "LiveState.py")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^DEFAULTS = (\{.*\})$`).FindSubmatch(src)
	if m == nil {
		t.Fatal("LiveState.py has no one-line DEFAULTS = {...}")
	}
	var d struct {
		CommandHost string `json:"command_host"`
		CommandPort int    `json:"command_port"`
		EventsHost  string `json:"events_host"`
		EventsPort  int    `json:"events_port"`
	}
	if err := json.Unmarshal(m[1], &d); err != nil {
		t.Fatalf("DEFAULTS %s: %v", m[1], err)
	}
	if d.CommandHost != Host || d.EventsHost != Host || d.CommandPort != Command || d.EventsPort != Events {
		t.Fatalf("the script's DEFAULTS %s; the bridge's are %s, %d, %d", m[1], Host, Command, Events)
	}
}

// config.json is written only for ports that are not the defaults, with
// the keys the script reads.
func TestScriptConfig(t *testing.T) {
	if b := ScriptConfig(Command, Events); b != nil {
		t.Fatalf("the defaults need no config.json, got %s", b)
	}
	var got map[string]int
	if err := json.Unmarshal(ScriptConfig(Command, 9012), &got); err != nil || got["command_port"] != Command || got["events_port"] != 9012 || len(got) != 2 {
		t.Fatalf("config.json %v (%v)", got, err)
	}
	if Addr(Events) != "127.0.0.1:"+strconv.Itoa(Events) {
		t.Fatalf("Addr %q", Addr(Events))
	}
}
