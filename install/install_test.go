package install

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vimabl/vimabl/livepaths"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// home makes a fake home with Live 12.1.5 (newest) and 11.3.21 in the OS's
// layout and the default User Library, and returns options for it.
func home(t *testing.T, goos string) Options {
	t.Helper()
	h := t.TempDir()
	env := livepaths.Env{OS: goos, Home: h, UserProfile: h, AppData: filepath.Join(h, "AppData", "Roaming")}
	for i, name := range []string{"Live 12.1.5", "Live 11.3.21"} {
		dir := filepath.Join(livepaths.PrefsRoot(env), name)
		if goos == "windows" {
			dir = filepath.Join(dir, "Preferences")
		}
		must(t, os.MkdirAll(dir, 0o755))
		old := time.Now().Add(-time.Duration(i) * 24 * time.Hour)
		os.Chtimes(dir, old, old)
	}
	must(t, os.MkdirAll(livepaths.DefaultUserLibrary(env), 0o755))
	clock := time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC)
	return Options{Env: env, Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestFreshInstallIsByteIdenticalAndIdempotent(t *testing.T) {
	for _, goos := range []string{"darwin", "windows"} {
		o := home(t, goos)
		res, err := Install(o)
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(livepaths.DefaultUserLibrary(o.Env), "Remote Scripts", "VimAbl")
		if res.Dir != want || res.After != UpToDate || res.Before.State != NotInstalled {
			t.Fatalf("%s: %+v", goos, res)
		}
		if !strings.Contains(res.NextSteps, "restart Live") {
			t.Errorf("a first install must say to restart Live: %q", res.NextSteps)
		}
		for _, name := range remotescript.ScriptFileNames() {
			got, err := os.ReadFile(filepath.Join(want, name))
			embedded, _ := fs.ReadFile(remotescript.Script(), name)
			if err != nil || !bytes.Equal(got, embedded) {
				t.Errorf("%s differs from the embedded copy (%v)", name, err)
			}
		}
		if _, err := os.Stat(filepath.Join(want, "__init__.py")); err != nil {
			t.Fatal("__init__.py must be installed: Live cannot load a package without it")
		}
		if _, err := os.Stat(filepath.Join(want, ConfigName)); !errors.Is(err, fs.ErrNotExist) {
			t.Error("config.json must not be written for default ports")
		}
		before := tree(t, filepath.Dir(want))
		res, err = Install(o)
		if err != nil || res.BackupDir != "" || !strings.Contains(res.Actions[0], "nothing to do") {
			t.Fatalf("second install must be a no-op: %+v %v", res, err)
		}
		if after := tree(t, filepath.Dir(want)); strings.Join(after, "|") != strings.Join(before, "|") {
			t.Fatalf("a no-op install changed files: %v → %v", before, after)
		}
	}
}

func TestRelocatedLibraryAndBrokenLibraryCfg(t *testing.T) {
	o := home(t, "darwin")
	vs, _ := livepaths.Versions(o.Env)
	moved := filepath.Join(o.Env.Home, "Studio SSD", "Ableton")
	must(t, os.MkdirAll(filepath.Join(moved, "User Library"), 0o755))
	must(t, os.WriteFile(livepaths.LibraryCfgPath(vs[0]), []byte(`<Ableton><ContentLibrary><UserLibrary><LibraryProject><ProjectPath Value="`+moved+`"/><ProjectName Value="User Library"/></LibraryProject></UserLibrary></ContentLibrary></Ableton>`), 0o644))
	must(t, os.WriteFile(livepaths.LibraryCfgPath(vs[1]), []byte("\x00\x01 garbage"), 0o644))
	res, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dir != filepath.Join(moved, "User Library", "Remote Scripts", "VimAbl") {
		t.Fatalf("installed into %s, want the relocated library", res.Dir)
	}
	if res.Before.LibrarySource != "Library.cfg of Live 12.1.5" {
		t.Errorf("source %q", res.Before.LibrarySource)
	}
	notes := strings.Join(res.Before.Notes, "\n")
	if !strings.Contains(notes, "Live 11.3.21") || !strings.Contains(notes, "broken") {
		t.Errorf("the broken Library.cfg must be reported: %q", notes)
	}

	// Only a broken Library.cfg: fall back to the default, and say so.
	o2 := home(t, "windows")
	vs2, _ := livepaths.Versions(o2.Env)
	must(t, os.WriteFile(livepaths.LibraryCfgPath(vs2[0]), []byte("<Ableton><Content"), 0o644))
	r, err := Inspect(o2)
	if err != nil || r.LibrarySource != "default" || len(r.Notes) == 0 {
		t.Fatalf("fallback: %+v %v", r, err)
	}
}

func TestUpdateOverOlderAndModifiedKeepsBackups(t *testing.T) {
	o := home(t, "darwin")
	old := o
	old.Version = "0.0.9"
	old.Files = fstest.MapFS{"__init__.py": {Data: []byte("# old\n")}, "LiveState.py": {Data: []byte("# old state\n")}}
	if _, err := Install(old); err != nil {
		t.Fatal(err)
	}
	r, _ := Inspect(o)
	if r.State != Older || r.InstalledVersion != "0.0.9" {
		t.Fatalf("state %v version %q", r.State, r.InstalledVersion)
	}
	res, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.BackupDir == "" || !strings.Contains(res.NextSteps, "None") {
		t.Fatalf("an update keeps a backup and explains the reload: %+v", res)
	}
	if data, _ := os.ReadFile(filepath.Join(res.BackupDir, "LiveState.py")); string(data) != "# old state\n" {
		t.Fatal("the backup must hold the old files")
	}
	// The user edits a file: modified, never silently overwritten.
	must(t, os.WriteFile(filepath.Join(res.Dir, "server.py"), []byte("# my tweak\n"), 0o644))
	r, _ = Inspect(o)
	if r.State != Modified || strings.Join(r.ModifiedFiles, ",") != "server.py" {
		t.Fatalf("state %v modified %v", r.State, r.ModifiedFiles)
	}
	res, err = Install(o)
	if err != nil || res.BackupDir == "" {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(res.BackupDir, "server.py")); string(data) != "# my tweak\n" {
		t.Fatal("the user's edit must survive in the backup")
	}
	if r, _ := Inspect(o); r.State != UpToDate {
		t.Fatalf("after reinstall: %v", r.State)
	}
	// Newer than the app's bundle.
	newer := o
	newer.Version = "99.0.0"
	newer.Force = true
	Install(newer)
	if r, _ := Inspect(o); r.State != Newer {
		t.Fatalf("want newer, got %v", r.State)
	}
}

func TestSymlinkAndForeignFoldersAreLeftAlone(t *testing.T) {
	o := home(t, "darwin")
	scripts := filepath.Join(livepaths.DefaultUserLibrary(o.Env), "Remote Scripts")
	must(t, os.MkdirAll(scripts, 0o755))
	checkout := filepath.Join(o.Env.Home, "src", "vimabl", "remote_script")
	must(t, os.MkdirAll(checkout, 0o755))
	must(t, os.WriteFile(filepath.Join(checkout, "__init__.py"), []byte("# dev\n"), 0o644))
	must(t, os.Symlink(checkout, filepath.Join(scripts, "VimAbl")))
	r, _ := Inspect(o)
	if r.State != Foreign || !strings.Contains(strings.Join(r.Notes, " "), "symlink") {
		t.Fatalf("%v %v", r.State, r.Notes)
	}
	if _, err := Install(o); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("must refuse without --force: %v", err)
	}
	if _, err := Uninstall(o); err == nil {
		t.Fatal("uninstall must refuse a folder it did not make")
	}
	if data, _ := os.ReadFile(filepath.Join(checkout, "__init__.py")); string(data) != "# dev\n" {
		t.Fatal("the developer's checkout was touched")
	}
	o.Force = true
	res, err := Install(o)
	if err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(res.BackupDir); err != nil || target != checkout {
		t.Fatalf("the symlink must be moved to the backup intact: %v %v", target, err)
	}
	// Other scripts in Remote Scripts are never touched.
	other := filepath.Join(scripts, "AbletonOSC")
	must(t, os.MkdirAll(other, 0o755))
	Uninstall(o)
	if _, err := os.Stat(other); err != nil {
		t.Fatal("uninstall touched another script")
	}
}

func TestFailedInstallLeavesTheOldCopyWorking(t *testing.T) {
	o := home(t, "darwin")
	old := o
	old.Version = "0.0.9"
	old.Files = fstest.MapFS{"__init__.py": {Data: []byte("# old\n")}}
	res0, err := Install(old)
	must(t, err)
	// A crash in the middle: reading the bundle fails after a few files.
	o.Files = failingFS{fsys: remotescript.Script(), failOn: "server.py"}
	if _, err := Install(o); err == nil || !strings.Contains(err.Error(), "server.py") {
		t.Fatalf("want the read error naming the file, got %v", err)
	}
	if data, err := os.ReadFile(filepath.Join(res0.Dir, "__init__.py")); err != nil || string(data) != "# old\n" {
		t.Fatal("the previous installation must survive a failed install")
	}
	scripts := filepath.Dir(res0.Dir)
	// VimAbl, its __init__.py and manifest, and the install lock: no staging left behind.
	if got := withoutLock(tree(t, scripts)); len(got) != 3 {
		t.Fatalf("leftovers after a failed install: %v", got)
	}
}

// withoutLock drops the install lock file (which stays in Remote Scripts
// between installs) from a tree listing.
func withoutLock(names []string) []string {
	var out []string
	for _, n := range names {
		if n != LockName {
			out = append(out, n)
		}
	}
	return out
}

type failingFS struct {
	fsys   fs.FS
	failOn string
}

func (f failingFS) Open(name string) (fs.File, error) {
	if name == f.failOn {
		return nil, errors.New("simulated crash while reading " + name)
	}
	return f.fsys.Open(name)
}

func TestUnwritableDestinationIsAClearSentence(t *testing.T) {
	o := home(t, "darwin")
	lib := livepaths.DefaultUserLibrary(o.Env)
	// A file where the Remote Scripts folder must go: the same failure a
	// read-only volume gives, and it works even when tests run as root.
	must(t, os.WriteFile(filepath.Join(lib, "Remote Scripts"), []byte("oops"), 0o644))
	_, err := Install(o)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(lib, "Remote Scripts")) {
		t.Fatalf("want an error naming the path, got %v", err)
	}
	if os.Geteuid() != 0 {
		must(t, os.Remove(filepath.Join(lib, "Remote Scripts")))
		must(t, os.Chmod(lib, 0o555))
		defer os.Chmod(lib, 0o755)
		_, err = Install(o)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("read-only library: %v", err)
		}
	}
	// A missing User Library is not created out of thin air.
	o.UserLibrary = filepath.Join(o.Env.Home, "nowhere")
	if _, err := Install(o); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing library: %v", err)
	}
	if _, err := os.Stat(o.UserLibrary); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("install wrote outside the folders the user chose")
	}
}

func TestDryRunWritesNothingAndPortsGoToConfig(t *testing.T) {
	o := home(t, "windows")
	lib := livepaths.DefaultUserLibrary(o.Env)
	o.DryRun, o.CommandPort, o.EventsPort = true, 19001, 19002
	res, err := Install(o)
	if err != nil || len(res.Actions) < 2 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := tree(t, lib); len(got) != 0 {
		t.Fatalf("dry run wrote %v", got)
	}
	o.DryRun = false
	res, err = Install(o)
	must(t, err)
	cfg, err := os.ReadFile(filepath.Join(res.Dir, ConfigName))
	if err != nil || !strings.Contains(string(cfg), `"command_port": 19001`) {
		t.Fatalf("config.json %q %v", cfg, err)
	}
	// Back to the default ports: config.json goes, the rest is unchanged.
	o.CommandPort, o.EventsPort = 0, 0
	if r, _ := Inspect(o); r.State != Older {
		t.Fatalf("other ports must need an update, got %v", r.State)
	}
	res, err = Install(o)
	must(t, err)
	if _, err := os.Stat(filepath.Join(res.Dir, ConfigName)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("config.json must go with default ports")
	}
}

func TestInstallUninstallInstallRoundTrip(t *testing.T) {
	o := home(t, "darwin")
	_, err := Install(o)
	must(t, err)
	res, err := Uninstall(o)
	if err != nil || res.After != NotInstalled || res.BackupDir == "" {
		t.Fatalf("%+v %v", res, err)
	}
	if r, _ := Inspect(o); r.State != NotInstalled {
		t.Fatalf("after uninstall: %v", r.State)
	}
	res, err = Install(o)
	if err != nil || res.Before.State != NotInstalled || res.After != UpToDate {
		t.Fatalf("reinstall: %+v %v", res, err)
	}
}

// The installed folder is a package the (fake) Live can load.
func TestInstalledScriptLoadsInTheFakeLive(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	o := home(t, "darwin")
	o.CommandPort, o.EventsPort = 0, 0
	res, err := Install(o)
	must(t, err)
	fake := t.TempDir()
	must(t, os.CopyFS(fake, remotescript.FakeLive()))
	// Port 0: any free port, so the test never collides with a real 9001.
	must(t, os.Chmod(res.Dir, 0o755))
	must(t, os.WriteFile(filepath.Join(res.Dir, ConfigName), []byte(`{"command_port": 0, "events_port": 9}`), 0o644))
	code := `
import sys
sys.path.insert(0, sys.argv[1])
from runtime import FakeLive
import sets
f = FakeLive()
sets.build_set(f, tracks=2, scenes=2)
s = f.load_script(sys.argv[2])
assert s is not None, "create_instance failed"
assert f.run_until(lambda: s.command_address() is not None, timeout=5)
print("loaded", type(s).__name__, f.violations)
f.close()
`
	out, err := exec.Command(python, "-c", code, fake, res.Dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "loaded LiveState 0") {
		t.Fatalf("the installed script did not load: %v\n%s", err, out)
	}
}

// A failure half way through writing the new copy removes what was written
// (the install-level tests fail earlier, while the bundle is hashed).
func TestFailedStagingLeavesNothingBehind(t *testing.T) {
	o := home(t, "darwin")
	o.fill()
	scripts := t.TempDir()
	o.Files = failingFS{fsys: remotescript.Script(), failOn: "server.py"}
	if _, err := writeStaging(scripts, o); err == nil || !strings.Contains(err.Error(), "server.py") {
		t.Fatalf("want the read error naming the file, got %v", err)
	}
	if got := tree(t, scripts); len(got) != 0 {
		t.Fatalf("a half-written copy was left behind: %v", got)
	}
}

// Two installs in the same second (a double click, a script) each keep a
// backup; the second used to fail because both picked the same name.
func TestInstallsInTheSameSecondKeepSeparateBackups(t *testing.T) {
	o := home(t, "darwin")
	o.Now = func() time.Time { return time.Date(2026, 11, 25, 16, 35, 55, 0, time.UTC) }
	must(t, func() error { _, err := Install(o); return err }())
	moved := o
	moved.EventsPort = 9012
	first, err := Install(moved)
	if err != nil || first.BackupDir == "" {
		t.Fatalf("changing the events port: %v (backup %q)", err, first.BackupDir)
	}
	second, err := Install(o) // back to the default ports, same second
	if err != nil {
		t.Fatalf("second install in the same second: %v", err)
	}
	if second.BackupDir == "" || second.BackupDir == first.BackupDir {
		t.Fatalf("backups %q and %q must both exist, apart", first.BackupDir, second.BackupDir)
	}
	if _, err := os.Stat(filepath.Join(second.Dir, ConfigName)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("back on the default ports, config.json must be gone")
	}
	if data, _ := os.ReadFile(filepath.Join(second.BackupDir, ConfigName)); !strings.Contains(string(data), "9012") {
		t.Fatal("the second backup must hold the copy with the moved port")
	}
	res, err := Uninstall(o)
	if err != nil || res.BackupDir == "" {
		t.Fatalf("uninstall: %v", err)
	}
	if again, _ := Install(o); again.Dir == "" {
		t.Fatal("reinstall after uninstall")
	}
	if res2, err := Uninstall(o); err != nil || res2.BackupDir == res.BackupDir {
		t.Fatalf("a second uninstall in the same second: %v (backup %q, first %q)", err, res2.BackupDir, res.BackupDir)
	}
}
