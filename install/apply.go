package install

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Result says what Install or Uninstall did (or, with DryRun, would do).
type Result struct {
	Before    Report
	After     State
	Dir       string
	BackupDir string   // where the previous folder went, "" if none
	Pruned    []string // backups removed by PruneBackups
	Actions   []string // sentences, in order
	NextSteps string   // what the user does now (restart Live, choose VimAbl…)
}

// Install installs or updates the script. Installing over the same version
// is a no-op. Every failure is a sentence with the path and the cause, and
// leaves the previous installation working.
//
// Unless it is a dry run, it holds the install lock of Remote Scripts (see
// acquireLock) from before it looks at what is there until it is done, so
// two installs at once (a double click, the tray and a terminal) run one
// after the other instead of both renaming into VimAbl. Under the lock it
// also removes staging folders killed installs left behind, and with
// PruneBackups keeps only the newest KeepBackups backups.
func Install(o Options) (Result, error) {
	o, before, res, err := begin(o)
	if err != nil {
		return res, err
	}
	if err := pathLengthProblem(runtime.GOOS, before.Dir, o.Files); err != nil {
		return res, err
	}
	created := false
	if !o.DryRun {
		lock, made, err := lockScripts(before, o, true)
		if err != nil {
			return res, err
		}
		defer lock.release()
		created = made
		// Look again: the install we may have waited for changed what is there.
		if _, before, res, err = begin(o); err != nil {
			return res, err
		}
	}
	scripts := filepath.Dir(before.Dir)
	if created {
		res.Actions = append(res.Actions, "create "+scripts)
	}
	if err := removeLeftovers(scripts, o.DryRun, &res); err != nil {
		return res, err
	}
	backup, err := installCopy(o, before, &res)
	if err != nil {
		return res, err
	}
	if o.PruneBackups {
		planned := ""
		if o.DryRun {
			planned = backup // not there yet, but the newest once the install runs
		}
		if err := pruneBackups(scripts, KeepBackups, planned, o.DryRun, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// installCopy moves what is there to a backup and the new copy into place
// (or, with DryRun, only says so). It returns the backup's path, "" if none.
func installCopy(o Options, before Report, res *Result) (string, error) {
	switch before.State {
	case UpToDate:
		if !o.Force {
			res.Actions = append(res.Actions, fmt.Sprintf("VimAbl %s is already installed in %s; nothing to do", o.Version, before.Dir))
			return "", nil
		}
	case Foreign:
		if !o.Force {
			return "", fmt.Errorf("%s is not a VimAbl installation (%s); it was left alone — use --force to move it to a backup and install", before.Dir, firstNote(before))
		}
	case Unreadable:
		if !o.Force {
			return "", fmt.Errorf("cannot tell what is installed in %s (%s); use --force to move it to a backup and install", before.Dir, firstNote(before))
		}
	}
	scripts := filepath.Dir(before.Dir)
	first := !before.State.Installed()
	if !isDir(before.UserLibrary) {
		return "", fmt.Errorf("the User Library %s does not exist; start Live once, or choose the folder with --user-library", before.UserLibrary)
	}
	if !isDir(scripts) {
		res.Actions = append(res.Actions, "create "+scripts)
	}
	var backup string
	if before.State != NotInstalled {
		backup = unusedPath(filepath.Join(scripts, "."+ScriptName+"-backup-"+o.Now().Format("20060102-150405")))
		res.Actions = append(res.Actions, fmt.Sprintf("move the %s copy (%s) to %s", before.State, describe(before), backup))
	}
	res.Actions = append(res.Actions, fmt.Sprintf("write VimAbl %s into %s", o.Version, before.Dir))
	if configJSON(o) != nil {
		res.Actions = append(res.Actions, fmt.Sprintf("write %s (command port %d, events port %d)", ConfigName, o.CommandPort, o.EventsPort))
	}
	if o.DryRun {
		res.NextSteps = NextSteps(o.Env.OS, first)
		return backup, nil
	}

	if err := os.MkdirAll(scripts, 0o755); err != nil {
		return "", explain("creating", scripts, err)
	}
	staging, err := writeStaging(scripts, o)
	if err != nil {
		return "", err
	}
	if backup != "" {
		if err := os.Rename(before.Dir, backup); err != nil {
			os.RemoveAll(staging)
			return "", explain("moving the old copy aside", before.Dir, err)
		}
		res.BackupDir = backup
	}
	if err := os.Rename(staging, before.Dir); err != nil {
		os.RemoveAll(staging)
		if backup != "" {
			// Put the previous installation back: Live keeps working.
			if rerr := os.Rename(backup, before.Dir); rerr == nil {
				res.BackupDir = ""
			}
		}
		return "", explain("moving the new copy into place", before.Dir, err)
	}
	res.After = UpToDate
	res.NextSteps = NextSteps(o.Env.OS, first)
	return backup, nil
}

// lockScripts takes the install lock of the Remote Scripts folder that
// holds r.Dir. With create it makes that folder first (an install needs it
// anyway); without, or when the User Library itself is missing, a missing
// folder means there is nothing to lock and it returns a nil lock (release
// is safe on it). made says whether it created the folder.
func lockScripts(r Report, o Options, create bool) (lock *installLock, made bool, err error) {
	scripts := filepath.Dir(r.Dir)
	if !isDir(scripts) {
		if !create || !isDir(r.UserLibrary) {
			return nil, false, nil
		}
		if err := os.MkdirAll(scripts, 0o755); err != nil {
			return nil, false, explain("creating", scripts, err)
		}
		made = true
	}
	lock, err = acquireLock(scripts, o.LockWait)
	return lock, made, err
}

// begin fills the options' defaults and inspects what is there.
func begin(o Options) (Options, Report, Result, error) {
	o.fill()
	before, err := Inspect(o)
	return o, before, Result{Before: before, After: before.State, Dir: before.Dir}, err
}

// unusedPath returns base, or base-2, base-3… if base exists: two installs
// in the same second (a double click) must not both pick one backup name,
// which made the second fail with "file exists".
func unusedPath(base string) string {
	p := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(p); err != nil {
			return p // free (or unreadable: then the rename says why)
		}
		p = base + "-" + strconv.Itoa(i)
	}
}

// writeStaging writes the whole script into a hidden folder beside the
// target and returns its path; on any failure it removes it.
func writeStaging(scripts string, o Options) (dir string, err error) {
	var rnd [4]byte
	rand.Read(rnd[:])
	staging := filepath.Join(scripts, "."+ScriptName+"-new-"+hex.EncodeToString(rnd[:]))
	if err := os.Mkdir(staging, 0o755); err != nil {
		return "", explain("creating", staging, err)
	}
	// Not the named result: every failing return sets that to "" before
	// this runs, which left half-written folders behind (on a full disk,
	// keeping it full).
	defer func() {
		if err != nil {
			os.RemoveAll(staging)
		}
	}()
	m := Manifest{Name: ScriptName, Version: o.Version, InstalledAt: o.Now().UTC(), Files: map[string]string{}}
	entries, err := fs.ReadDir(o.Files, ".")
	if err != nil {
		return "", fmt.Errorf("reading the bundled script: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := fs.ReadFile(o.Files, e.Name())
		if err != nil {
			return "", fmt.Errorf("reading the bundled script's %s: %w", e.Name(), err)
		}
		if err := writeFile(filepath.Join(staging, e.Name()), data); err != nil {
			return "", err
		}
		m.Files[e.Name()] = sha256Hex(data)
	}
	if cfg := configJSON(o); cfg != nil {
		if err := writeFile(filepath.Join(staging, ConfigName), cfg); err != nil {
			return "", err
		}
	}
	mdata, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFile(filepath.Join(staging, ManifestName), append(mdata, '\n')); err != nil {
		return "", err
	}
	return staging, nil
}

// writeFile writes and syncs one file, so a crash right after the rename
// cannot leave empty files in place.
func writeFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return explain("creating", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return explain("writing", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return explain("writing", path, err)
	}
	if err := f.Close(); err != nil {
		return explain("writing", path, err)
	}
	return nil
}

// Uninstall moves our folder to a hidden backup beside it; it never touches
// anything else in Remote Scripts, and leaves a folder it did not make alone
// unless forced.
func Uninstall(o Options) (Result, error) {
	o, before, res, err := begin(o)
	if err != nil {
		return res, err
	}
	if !o.DryRun {
		// Under the lock, like Install: moving VimAbl away while an install
		// renames into it would fail one of them half way.
		lock, _, err := lockScripts(before, o, false)
		if err != nil {
			return res, err
		}
		defer lock.release()
		if _, before, res, err = begin(o); err != nil {
			return res, err
		}
	}
	switch before.State {
	case NotInstalled:
		res.Actions = append(res.Actions, "VimAbl is not installed in "+before.Dir+"; nothing to do")
		return res, nil
	case Foreign, Unreadable:
		if !o.Force {
			return res, fmt.Errorf("%s was not installed by VimAbl (%s); it was left alone — use --force to move it to a backup", before.Dir, firstNote(before))
		}
	}
	backup := unusedPath(filepath.Join(filepath.Dir(before.Dir), "."+ScriptName+"-removed-"+o.Now().Format("20060102-150405")))
	res.Actions = append(res.Actions, fmt.Sprintf("move %s to %s", before.Dir, backup))
	if o.DryRun {
		return res, nil
	}
	if err := os.Rename(before.Dir, backup); err != nil {
		return res, explain("moving aside", before.Dir, err)
	}
	res.BackupDir, res.After = backup, NotInstalled
	res.NextSteps = "Restart Live: VimAbl disappears from the Control Surface list. The removed folder is kept at " + backup + "."
	return res, nil
}

// NextSteps tells the user how to get from installed files to a running
// script, in the words of their OS's Live.
func NextSteps(goos string, firstInstall bool) string {
	prefs := "Live › Settings (Preferences) › Link, Tempo & MIDI"
	if goos == "windows" {
		prefs = "Options › Preferences › Link, Tempo & MIDI"
	}
	if firstInstall {
		return "1. Quit and restart Live (it only looks for new Remote Scripts when it starts).\n" +
			"2. Open " + prefs + ".\n" +
			"3. In an empty Control Surface slot choose \"VimAbl\"; set its Input and Output to None.\n" +
			"The menu-bar icon turns green when Live is connected."
	}
	return "To load the new version without restarting Live: open " + prefs + ", set the VimAbl " +
		"Control Surface slot to None, then back to \"VimAbl\" (Input and Output None). Opening another Set also reloads it."
}

func firstNote(r Report) string {
	if len(r.Notes) > 0 {
		return r.Notes[len(r.Notes)-1]
	}
	return r.State.String()
}

func describe(r Report) string {
	switch r.State {
	case Modified:
		return fmt.Sprintf("version %s, edited: %v", r.InstalledVersion, r.ModifiedFiles)
	case Older, Newer, UpToDate:
		return "version " + r.InstalledVersion
	}
	return r.State.String()
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// windowsMaxPath is the longest path Windows programs that do not opt into
// long paths can open (MAX_PATH, 260 with its terminating NUL). Go writes
// longer ones through the \\?\ prefix, so an install would succeed where
// Live then cannot read the files: it is refused up front instead.
const windowsMaxPath = 259

// pathLengthProblem is the installer's sentence when, on Windows, a file the
// install writes — the script's files in dir, or in the staging and backup
// folders beside it, whose names are the longest — would pass MAX_PATH; nil
// otherwise, and on every other OS.
func pathLengthProblem(goos, dir string, files fs.FS) error {
	if goos != "windows" {
		return nil
	}
	longest := ManifestName
	if entries, err := fs.ReadDir(files, "."); err == nil {
		for _, e := range entries {
			if len(e.Name()) > len(longest) {
				longest = e.Name()
			}
		}
	}
	parent := dir[:strings.LastIndexAny(dir, `\/`)+1] // with its trailing separator
	for _, p := range []string{
		dir + `\` + longest,
		parent + "." + ScriptName + "-backup-20060102-150405-99" + `\` + longest,
		parent + "." + ScriptName + "-new-00000000" + `\` + longest,
	} {
		if len(p) > windowsMaxPath {
			return fmt.Errorf("installing into %s failed: the path is too long for Windows (move the User Library to a shorter path): a file there would take %d characters, Windows allows %d", dir, len(p), windowsMaxPath)
		}
	}
	return nil
}

// explain turns a file-system error into one sentence with the path and
// the cause a user can act on.
func explain(doing, path string, err error) error {
	cause := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		cause = le.Err.Error()
	}
	switch {
	case errors.Is(err, fs.ErrPermission):
		cause = "permission denied (check the folder's permissions, or choose another User Library)"
	case errors.Is(err, syscall.EROFS):
		cause = "the volume is read-only"
	case errors.Is(err, syscall.ENOSPC):
		cause = "the disk is full"
	case errors.Is(err, syscall.ENAMETOOLONG) || runtime.GOOS == "windows" && len(path) >= 260:
		cause = "the path is too long for Windows (move the User Library to a shorter path)"
	}
	return fmt.Errorf("%s %s failed: %s", doing, path, cause)
}
