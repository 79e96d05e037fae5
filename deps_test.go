package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The UI depends on the engine, never the reverse: the engine, the installer
// and Live's paths must build and run headless (vimabl bridge on a server,
// the tests on CI) without fyne, cgo or the app package.
func TestEngineDoesNotDependOnTheUI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./bridge/...", "./install", "./livepaths", "./remote_script").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "fyne.io/") || pkg == "github.com/vimabl/vimabl/app" || pkg == "github.com/vimabl/vimabl/icons" {
			t.Errorf("the engine side imports %s", pkg)
		}
	}
}

// Issue 16: the model depends on no transport. The mirror takes snapshots
// from whoever fetched them (a function the engine gives it); it never sees
// the command port's client, the UDP receiver or the WebSocket hub.
func TestMirrorDependsOnNoTransport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./bridge/mirror").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch pkg {
		case "github.com/vimabl/vimabl/bridge/scriptclient", "github.com/vimabl/vimabl/bridge/oscin", "github.com/vimabl/vimabl/bridge/wshub":
			t.Errorf("bridge/mirror imports %s", pkg)
		}
	}
}
