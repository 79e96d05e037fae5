package autostart

import (
	"encoding/xml"
	"os"
	"strings"
	"testing"
)

type mapKey map[string]string

func (m mapKey) get(n string) (string, bool, error) { v, ok := m[n]; return v, ok, nil }
func (m mapKey) set(n, v string) error              { m[n] = v; return nil }
func (m mapKey) del(n string) error                 { delete(m, n); return nil }

func TestRoundTripPerOS(t *testing.T) {
	for _, goos := range []string{"darwin", "linux", "windows"} {
		reg := mapKey{}
		m := &Manager{OS: goos, Home: t.TempDir(), Exe: "/Applications/VimAbl.app/Contents/MacOS/vimabl", run: reg}
		if on, err := m.Enabled(); on || err != nil {
			t.Fatalf("%s: enabled before Enable: %v %v", goos, on, err)
		}
		if err := m.Enable(); err != nil {
			t.Fatal(err)
		}
		if on, err := m.Enabled(); !on || err != nil {
			t.Fatalf("%s: not enabled after Enable: %v", goos, err)
		}
		if goos == "windows" {
			if reg["VimAbl"] != `"/Applications/VimAbl.app/Contents/MacOS/vimabl"` {
				t.Errorf("run value %q", reg["VimAbl"])
			}
		} else if _, err := os.Stat(m.Path()); err != nil {
			t.Fatal(err)
		}
		if err := m.Disable(); err != nil {
			t.Fatal(err)
		}
		if err := m.Disable(); err != nil {
			t.Fatalf("%s: disabling twice must be fine: %v", goos, err)
		}
		if on, _ := m.Enabled(); on {
			t.Fatalf("%s: still enabled", goos)
		}
	}
}

func TestLaunchAgentIsAValidPlist(t *testing.T) {
	data := LaunchAgent(`/Applications/VimAbl & Co.app/Contents/MacOS/vimabl`)
	d := xml.NewDecoder(strings.NewReader(string(data)))
	d.Strict = true
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
	for _, want := range []string{"<string>app.vimabl.VimAbl</string>", "<key>RunAtLoad</key>", "VimAbl &amp; Co.app"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestCommandLinesAreQuoted(t *testing.T) {
	if got := WindowsRunValue(`C:\Program Files\VimAbl\vimabl.exe`); got != `"C:\Program Files\VimAbl\vimabl.exe"` {
		t.Errorf("windows %q", got)
	}
	if !strings.Contains(string(DesktopEntry("/opt/Vim Abl/vimabl")), `Exec="/opt/Vim Abl/vimabl"`) {
		t.Error("a path with a space must be quoted in Exec")
	}
}
