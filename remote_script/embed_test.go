package remotescript

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The installer ships Script(): it must hold exactly remote_script/*.py,
// __init__.py included (a directory embed pattern would silently drop it).
func TestScriptIsExactlyTheTopLevelPythonFiles(t *testing.T) {
	disk, err := filepath.Glob("*.py")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(disk)
	if got := ScriptFileNames(); !slices.Equal(got, disk) {
		t.Fatalf("embedded %v, on disk %v", got, disk)
	}
	for _, must := range []string{"__init__.py", "LiveState.py", "version.py"} {
		if !slices.Contains(ScriptFileNames(), must) {
			t.Errorf("embedded script lacks %s", must)
		}
	}
	for _, name := range disk {
		want, _ := os.ReadFile(name)
		got, err := fs.ReadFile(Script(), name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from the embedded copy (err %v)", name, err)
		}
	}
}

func TestFakeLiveIsEmbeddedButNotInTheScript(t *testing.T) {
	for _, name := range []string{"sim.py", "Live.py", "runtime.py", "_Framework/__init__.py", "_Framework/ControlSurface.py"} {
		if _, err := fs.Stat(FakeLive(), name); err != nil {
			t.Errorf("fake Live lacks %s: %v", name, err)
		}
	}
	if _, err := fs.Stat(Script(), "fakelive"); err == nil {
		t.Error("the fake Live must never be installed into Live")
	}
}

func TestVersionComesFromVersionPy(t *testing.T) {
	src, _ := os.ReadFile("version.py")
	if !bytes.Contains(src, []byte(`VERSION = "`+Version()+`"`)) {
		t.Fatalf("Version() = %q does not match version.py", Version())
	}
}
