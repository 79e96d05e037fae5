package install

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vimabl/vimabl/internal/testkit"
	"github.com/vimabl/vimabl/livepaths"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// holdLockEnv makes the test binary a lock holder instead of running tests:
// it takes the install lock of the folder named there, prints "locked" and
// waits until it is killed (or its stdin closes).
const holdLockEnv = "VIMABL_TEST_HOLD_INSTALL_LOCK"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdLockEnv); dir != "" {
		l, err := acquireLock(dir, time.Second)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		l.release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// scriptsOf is the Remote Scripts folder of the options' default User Library.
func scriptsOf(o Options) string {
	return filepath.Join(livepaths.DefaultUserLibrary(o.Env), RemoteScripts)
}

// sameAsEmbedded fails unless dir holds exactly the embedded script's files,
// byte for byte, and the manifest.
func sameAsEmbedded(t *testing.T, dir string) {
	t.Helper()
	want := map[string]bool{ManifestName: true}
	for _, name := range remotescript.ScriptFileNames() {
		want[name] = true
		got, err := os.ReadFile(filepath.Join(dir, name))
		embedded, _ := fs.ReadFile(remotescript.Script(), name)
		if err != nil || string(got) != string(embedded) {
			t.Errorf("%s differs from the embedded copy (%v)", name, err)
		}
	}
	for _, name := range tree(t, dir) {
		if !want[name] {
			t.Errorf("unexpected %s in the installed folder", name)
		}
	}
}

// Guards issue 10 item 5, part 1: installs at once used to both rename a
// staging folder into VimAbl, and all but one failed with "file exists"
// (10 of 10 runs). Now they take turns; the later ones find the new copy
// and do nothing.
func TestConcurrentInstallsTakeTurns(t *testing.T) {
	o := home(t, "darwin")
	o.Now = func() time.Time { return time.Date(2026, 11, 25, 16, 35, 55, 0, time.UTC) }
	old := o
	old.Version, old.Files = "0.0.9", fstest.MapFS{"__init__.py": {Data: []byte("# old\n")}}
	if _, err := Install(old); err != nil {
		t.Fatal(err)
	}
	const n = 4
	results := make([]Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Install(o)
		}()
	}
	wg.Wait()
	backups := 0
	for i, err := range errs {
		if err != nil && !errors.Is(err, ErrBusy) {
			t.Errorf("install %d: %v (want success, or another install is running)", i, err)
		}
		if results[i].BackupDir != "" {
			backups++
		}
	}
	if backups != 1 {
		t.Errorf("%d installs replaced the old copy; want exactly one (the others find it up to date)", backups)
	}
	r, err := Inspect(o)
	if err != nil || r.State != UpToDate {
		t.Fatalf("after the installs: %v %v", r.State, err)
	}
	sameAsEmbedded(t, r.Dir)
	if left := Leftovers(scriptsOf(o)); len(left) != 0 {
		t.Errorf("staging folders left behind: %v", left)
	}
}

// Guards issue 10 item 5, part 1: an install held up by another process
// says so in one sentence with that process's pid, and changes nothing; once
// that process dies (killed, so it never unlocks) the lock is free at once.
func TestLockHeldByAnotherProcessThenItsDeath(t *testing.T) {
	o := home(t, "darwin")
	scripts := scriptsOf(o)
	must(t, os.MkdirAll(scripts, 0o755))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdLockEnv+"="+scripts)
	stdin, err := cmd.StdinPipe()
	must(t, err)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("the lock holder said %q", line)
	}

	o.LockWait = 200 * time.Millisecond
	_, err = Install(o)
	want := fmt.Sprintf("another install is running (pid %d", cmd.Process.Pid)
	if err == nil || !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), want) {
		t.Fatalf("want %q…, got %v", want, err)
	}
	if strings.Count(err.Error(), ". ") > 0 || strings.Contains(err.Error(), "\n") {
		t.Errorf("want one sentence: %q", err)
	}
	if got := withoutLock(tree(t, scripts)); len(got) != 0 {
		t.Fatalf("a refused install wrote %v", got)
	}

	must(t, cmd.Process.Kill())
	cmd.Wait()
	o.LockWait = 0
	start := time.Now()
	res, err := Install(o)
	if err != nil || res.After != UpToDate {
		t.Fatalf("after the holder died: %+v %v", res, err)
	}
	if d := time.Since(start); d > DefaultLockWait/2 {
		t.Errorf("the dead holder's lock was taken over only after %v", d)
	}
	data, _ := os.ReadFile(filepath.Join(scripts, LockName))
	if strings.TrimSpace(string(data)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("the lock file holds %q, want our pid %d", data, os.Getpid())
	}
}

// Guards issue 10 item 5, part 1: the lock file is never written through a
// symlink or into a hard link to a file elsewhere.
func TestLockFileIsNotFollowed(t *testing.T) {
	o := home(t, "darwin")
	scripts := scriptsOf(o)
	must(t, os.MkdirAll(scripts, 0o755))
	outside := filepath.Join(o.Env.Home, "precious.txt")
	must(t, os.WriteFile(outside, []byte("keep me\n"), 0o644))
	lock := filepath.Join(scripts, LockName)
	for _, plant := range []func() error{
		func() error { return os.Symlink(outside, lock) },
		func() error { return os.Link(outside, lock) },
	} {
		must(t, plant())
		if _, err := Install(o); err == nil || !strings.Contains(err.Error(), lock) {
			t.Fatalf("want a refusal naming %s, got %v", lock, err)
		}
		if data, _ := os.ReadFile(outside); string(data) != "keep me\n" {
			t.Fatalf("the file outside Remote Scripts was changed: %q", data)
		}
		if _, err := os.Stat(filepath.Join(scripts, ScriptName)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatal("installed without the lock")
		}
		must(t, os.Remove(lock))
	}
}

// Guards issue 10 item 5, part 2: staging folders left by killed installs
// (40 SIGKILLs left 6) are removed by the next install, even one with
// nothing else to do; nothing else in Remote Scripts is touched.
func TestLeftoversOfKilledInstallsAreRemoved(t *testing.T) {
	o := home(t, "darwin")
	res, err := Install(o)
	must(t, err)
	scripts := filepath.Dir(res.Dir)
	outside := filepath.Join(o.Env.Home, "elsewhere")
	must(t, os.MkdirAll(outside, 0o755))
	must(t, os.WriteFile(filepath.Join(outside, "keep.py"), []byte("# keep\n"), 0o644))
	planted := []string{".VimAbl-new-0a1b2c3d", ".VimAbl-new-deadbeef"}
	for _, name := range planted {
		must(t, os.MkdirAll(filepath.Join(scripts, name), 0o755))
		must(t, os.WriteFile(filepath.Join(scripts, name, "server.py"), []byte("# half\n"), 0o644))
	}
	// Not ours: another script, a name we never make, a symlink, a backup.
	must(t, os.MkdirAll(filepath.Join(scripts, "AbletonOSC"), 0o755))
	must(t, os.WriteFile(filepath.Join(scripts, "AbletonOSC", "__init__.py"), []byte("# osc\n"), 0o644))
	must(t, os.MkdirAll(filepath.Join(scripts, ".VimAbl-new-mine"), 0o755))
	must(t, os.Symlink(outside, filepath.Join(scripts, ".VimAbl-new-cafef00d")))
	must(t, os.MkdirAll(filepath.Join(scripts, ".VimAbl-backup-20261101-101010"), 0o755))
	others := func() string {
		var keep []string
		for _, n := range tree(t, scripts) {
			if !strings.HasPrefix(n, ScriptName+string(filepath.Separator)) && !strings.HasPrefix(n, ".VimAbl-new-0a") && !strings.HasPrefix(n, ".VimAbl-new-de") {
				keep = append(keep, n)
			}
		}
		return strings.Join(keep, "|")
	}
	before := others()

	dry := o
	dry.DryRun = true
	res, err = Install(dry)
	if err != nil || !strings.Contains(strings.Join(res.Actions, "\n"), planted[0]) {
		t.Fatalf("a dry run must say it would remove the leftovers: %v %v", res.Actions, err)
	}
	if len(Leftovers(scripts)) != 2 {
		t.Fatal("a dry run removed leftovers")
	}

	res, err = Install(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range planted {
		if _, err := os.Lstat(filepath.Join(scripts, name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there", name)
		}
	}
	if after := others(); after != before {
		t.Fatalf("other things in Remote Scripts changed:\n%s\n→\n%s", before, after)
	}
	if data, _ := os.ReadFile(filepath.Join(outside, "keep.py")); string(data) != "# keep\n" {
		t.Fatal("a symlink's target was touched")
	}
	if r, _ := Inspect(o); r.State != UpToDate {
		t.Fatalf("the installed copy: %v", r.State)
	}
}

// Guards issue 10 item 5, part 3: `vimabl doctor` lists every backup with
// its size (and leftovers), so a user sees what piles up.
func TestDoctorListsBackupsWithTheirSizes(t *testing.T) {
	o := home(t, "darwin")
	old := o
	old.Version, old.Files = "0.0.9", fstest.MapFS{"__init__.py": {Data: []byte("# old, 13 B\n")}}
	_, err := Install(old)
	must(t, err)
	up, err := Install(o)
	must(t, err)
	gone, err := Uninstall(o)
	must(t, err)
	scripts := filepath.Dir(up.Dir)
	must(t, os.MkdirAll(filepath.Join(scripts, ".VimAbl-new-00ff00ff"), 0o755))

	addr := func(network string) string { return fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t, network)) }
	report := Doctor(context.Background(), DoctorOptions{Options: o, CommandAddr: addr("tcp"), EventsAddr: addr("udp"), WSAddr: addr("tcp")})
	if !strings.Contains(report, "Backups:       2 in "+scripts) {
		t.Fatalf("want the number of backups and where they are:\n%s", report)
	}
	for _, b := range []string{up.BackupDir, gone.BackupDir} {
		var size int64
		filepath.WalkDir(b, func(_ string, d fs.DirEntry, err error) error {
			if info, e := d.Info(); err == nil && e == nil && info.Mode().IsRegular() {
				size += info.Size()
			}
			return nil
		})
		want := filepath.Base(b)
		if !strings.Contains(report, want) || !strings.Contains(lineWith(report, want), formatBytes(size)) {
			t.Errorf("want %s with its size %s:\n%s", want, formatBytes(size), report)
		}
	}
	if !strings.Contains(report, "Leftovers:") || !strings.Contains(report, ".VimAbl-new-00ff00ff") {
		t.Errorf("want the leftover staging folder listed:\n%s", report)
	}
}

func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// Guards issue 10 item 5, part 3: `install --prune-backups` keeps the newest
// three backups (of both kinds), says what it removed, and touches nothing
// else; a dry run only says so, counting the backup it would make.
func TestPruneBackupsKeepsTheNewestThree(t *testing.T) {
	o := home(t, "darwin") // its clock moves a second per call
	var made []string
	for v := 1; v <= 5; v++ {
		ov := o
		ov.Version = "0.0." + strconv.Itoa(v)
		ov.Files = fstest.MapFS{"__init__.py": {Data: []byte("# v" + strconv.Itoa(v) + "\n")}}
		res, err := Install(ov)
		must(t, err)
		if res.BackupDir != "" {
			made = append(made, res.BackupDir)
		}
	}
	res, err := Uninstall(o)
	must(t, err)
	made = append(made, res.BackupDir) // oldest first: 4 backups, then 1 removed
	scripts := filepath.Dir(res.Dir)
	must(t, os.MkdirAll(filepath.Join(scripts, ".VimAbl-backup-mine"), 0o755))
	must(t, os.MkdirAll(filepath.Join(scripts, "AbletonOSC"), 0o755))

	o.PruneBackups = true
	o.DryRun = true
	res, err = Install(o)
	must(t, err)
	if acts := strings.Join(res.Actions, "\n"); !strings.Contains(acts, "remove the backup "+made[0]) || !strings.Contains(acts, made[1]) || strings.Contains(acts, made[2]) {
		t.Fatalf("a dry run must name the two oldest:\n%s", acts)
	}
	if bs, _ := Backups(scripts); len(bs) != 5 {
		t.Fatalf("a dry run removed backups: %d left", len(bs))
	}

	o.DryRun = false
	res, err = Install(o)
	must(t, err)
	if strings.Join(res.Pruned, "|") != made[1]+"|"+made[0] {
		t.Fatalf("pruned %v, want the two oldest %v", res.Pruned, made[:2])
	}
	if acts := strings.Join(res.Actions, "\n"); !strings.Contains(acts, made[0]) || !strings.Contains(acts, made[1]) {
		t.Fatalf("the actions must say what was removed:\n%s", acts)
	}
	bs, _ := Backups(scripts)
	var left []string
	for _, b := range bs {
		left = append(left, b.Path)
	}
	if strings.Join(left, "|") != strings.Join([]string{made[4], made[3], made[2]}, "|") {
		t.Fatalf("kept %v, want the newest three", left)
	}
	for _, name := range []string{".VimAbl-backup-mine", "AbletonOSC", ScriptName} {
		if _, err := os.Stat(filepath.Join(scripts, name)); err != nil {
			t.Errorf("%s must stay: %v", name, err)
		}
	}

	// An update's dry run counts the backup it would make as the newest.
	older := o
	older.DryRun, older.Version = true, "0.0.1"
	res, err = Install(older)
	must(t, err)
	if acts := strings.Join(res.Actions, "\n"); !strings.Contains(acts, "remove the backup "+made[2]) || strings.Contains(acts, made[3]) {
		t.Fatalf("the dry run of an update must name the oldest of the three:\n%s", acts)
	}
}

// Guards issue 10 item 5, part 4: a User Library that is a file used to get
// "use --force", and with --force "does not exist"; now one sentence says
// it is a file, with or without --force, and nothing is written.
func TestUserLibraryThatIsAFile(t *testing.T) {
	o := home(t, "darwin")
	file := filepath.Join(o.Env.Home, "notes.txt")
	must(t, os.WriteFile(file, []byte("not a library\n"), 0o644))
	for _, c := range []struct {
		lib, want string
	}{
		{file, "--user-library " + file + " is a file, not a folder: give the User Library folder"},
		{filepath.Join(file, "User Library"), "is not a folder (part of its path is a file)"},
	} {
		for _, force := range []bool{false, true} {
			oc := o
			oc.UserLibrary, oc.Force = c.lib, force
			_, err := Install(oc)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "--force") || strings.Contains(err.Error(), "does not exist") {
				t.Errorf("force=%v: want %q, got %v", force, c.want, err)
			}
			if _, err := Uninstall(oc); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("uninstall, force=%v: %v", force, err)
			}
		}
	}
	if data, _ := os.ReadFile(file); string(data) != "not a library\n" {
		t.Fatal("the file was changed")
	}
	if got := tree(t, o.Env.Home); strings.Contains(strings.Join(got, "|"), RemoteScripts) {
		t.Fatalf("something was created: %v", got)
	}
}
