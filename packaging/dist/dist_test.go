package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The Windows .exe's build and checks live in packaging/wine, which runs it
// under Wine: one cross-build (minutes with a cold cache) serves both.

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
