package install

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vimabl/vimabl/livepaths"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// A real full disk: the User Library is a small tmpfs that holds the
// installed (older) copy but not a second one. Updating must fail with a
// sentence that says so and leave the old copy as it was. Needs root (to
// mount); skipped otherwise.
func TestFullDiskIsAClearSentenceAndKeepsTheOldCopy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	o := home(t, "darwin")
	lib := livepaths.DefaultUserLibrary(o.Env)
	// Room for one copy of the script and a half: tmpfs counts whole pages.
	var pages int64
	fs.WalkDir(remotescript.Script(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			pages += (info.Size() + 4095) / 4096
		}
		return nil
	})
	size := (pages + 2) * 4096 * 3 / 2
	if err := syscall.Mount("tmpfs", lib, "tmpfs", 0, "size="+strconv.FormatInt(size, 10)); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(lib, 0) })

	old := o
	old.Version = "0.0.9"
	res0, err := Install(old)
	if err != nil {
		t.Fatalf("the first copy must fit in %d bytes: %v", size, err)
	}
	before := snapshotDir(t, res0.Dir)

	_, err = Install(o)
	if err == nil || !strings.Contains(err.Error(), "the disk is full") || !strings.Contains(err.Error(), lib) {
		t.Fatalf("want a sentence naming the path and saying the disk is full, got %v", err)
	}
	if after := snapshotDir(t, res0.Dir); after != before {
		t.Fatal("the installed copy changed after a failed update")
	}
	if r, _ := Inspect(o); r.State != Older || r.InstalledVersion != "0.0.9" {
		t.Fatalf("after the failed update: state %v, version %q; want the old copy, intact", r.State, r.InstalledVersion)
	}
	if got := withoutLock(tree(t, filepath.Dir(res0.Dir))); len(got) != len(tree(t, res0.Dir))+1 {
		t.Fatalf("leftovers beside the installed copy after a failed update: %v", got)
	}
}

// snapshotDir is every file's path and content under dir, as one string.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, rel := range tree(t, dir) {
		data, _ := os.ReadFile(filepath.Join(dir, rel))
		b.WriteString(rel + "\n" + string(data) + "\n")
	}
	return b.String()
}
