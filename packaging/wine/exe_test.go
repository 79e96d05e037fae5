//go:build linux

package wine

import (
	"bytes"
	"debug/pe"
	"os"
	"slices"
	"testing"
	"unicode/utf16"

	"github.com/vimabl/vimabl/packaging"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// The Windows .exe really cross-compiles here, is a GUI program (no console
// window) and carries its icon, version and manifest resources.
func TestWindowsExeIsAGUIProgramWithResources(t *testing.T) {
	if exePath == "" {
		t.Skip(exeSkip)
	}
	if _, err := os.Stat("../../rsrc_windows_amd64.syso"); !os.IsNotExist(err) {
		t.Error("the .syso must not be left in the repository")
	}
	f, err := pe.Open(exePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatalf("not a 64-bit PE: %T", f.OptionalHeader)
	}
	if oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Fatalf("subsystem %d, want %d (GUI): a console window would open", oh.Subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}
	sec := f.Section(".rsrc")
	if sec == nil {
		t.Fatal("no .rsrc section: no icon, no version")
	}
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	types, err := packaging.ResourceTypes(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []uint32{packaging.RTIcon, packaging.RTGroupIcon, packaging.RTVersion, packaging.RTManifest} {
		if !slices.Contains(types, want) {
			t.Errorf("resource type %d missing (have %v)", want, types)
		}
	}
	// The version resource says this version (UTF-16, as Windows stores it).
	var v []byte
	for _, u := range utf16.Encode([]rune(remotescript.Version())) {
		v = append(v, byte(u), byte(u>>8))
	}
	if !bytes.Contains(data, v) {
		t.Error("the version resource does not carry " + remotescript.Version())
	}
}
