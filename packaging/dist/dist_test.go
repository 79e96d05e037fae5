package main

import (
	"bytes"
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf16"

	"github.com/vimabl/vimabl/packaging"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// The Windows .exe really cross-compiles here, is a GUI program (no console
// window) and carries its icon, version and manifest resources.
func TestWindowsExeIsAGUIProgramWithResources(t *testing.T) {
	if _, err := exec.LookPath("x86_64-w64-mingw32-gcc"); err != nil {
		t.Skip("mingw-w64 is not installed (make deps installs gcc-mingw-w64-x86-64)")
	}
	exe := filepath.Join(t.TempDir(), "vimabl.exe")
	if err := BuildWindowsExe("../..", exe, remotescript.Version()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("../../rsrc_windows_amd64.syso"); !os.IsNotExist(err) {
		t.Error("the .syso must not be left in the repository")
	}
	f, err := pe.Open(exe)
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
	for _, u := range utf16.Encode([]rune("ProductVersion\x00" + remotescript.Version())) {
		v = append(v, byte(u), byte(u>>8))
	}
	if !bytes.Contains(data, v[len(v)-2*len(remotescript.Version()):]) {
		t.Error("the version resource does not carry " + remotescript.Version())
	}
}

// The binary ships exactly remote_script/*.py: install from the built
// binary and compare with the files on disk.
func TestBinaryInstallsTheScriptOnDisk(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "vimabl")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lib := t.TempDir()
	if out, err := exec.Command(bin, "install", "--user-library", lib).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	disk, _ := filepath.Glob("../../remote_script/*.py")
	if len(disk) < 10 {
		t.Fatalf("found only %v", disk)
	}
	for _, p := range disk {
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(lib, "Remote Scripts", "VimAbl", filepath.Base(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: the installed copy differs (%v)", filepath.Base(p), err)
		}
	}
}
