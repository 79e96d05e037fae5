// Package install puts the embedded Remote Script into Live's User Library,
// updates it and removes it — without ever leaving Live a half-written
// script or deleting a user's files.
//
// The script goes to `<User Library>/Remote Scripts/VimAbl/`. A new copy is
// written to a hidden folder beside it and renamed into place; an older or
// modified copy is first moved to a hidden, timestamped backup beside it. A
// symlink or a folder VimAbl did not make (a developer's checkout) is left
// alone unless forced. A manifest records the version and the SHA-256 of
// every file, so the state of what is there is always known.
//
// The package has no UI: `vimabl install` and the tray app both call it.
package install

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vimabl/vimabl/internal/ports"
	"github.com/vimabl/vimabl/livepaths"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// Names on disk.
const (
	ScriptName    = "VimAbl" // the folder name Live lists as a Control Surface
	RemoteScripts = "Remote Scripts"
	ManifestName  = "vimabl-manifest.json"
	ConfigName    = ports.ScriptConfigName
)

// Options says what to install where. Zero values mean: this machine, the
// preferred User Library, the embedded script and version, default ports.
type Options struct {
	Env         livepaths.Env
	UserLibrary string // the user's choice; "" = found from Library.cfg or the default
	Force       bool   // replace a symlink or a folder VimAbl did not make (moved to a backup)
	DryRun      bool   // say what would be done; write nothing
	CommandPort int    // written to config.json only when not 9001
	EventsPort  int    // written to config.json only when not 9002
	Files       fs.FS  // the script's files; default remotescript.Script()
	Version     string // default remotescript.Version()
	Now         func() time.Time
	// PruneBackups: after installing, remove all but the newest KeepBackups backups.
	PruneBackups bool
	// LockWait is how long to wait for another install; 0 = DefaultLockWait.
	LockWait time.Duration
}

func (o *Options) fill() {
	if o.Env.OS == "" {
		o.Env = livepaths.Current()
	}
	if o.Files == nil {
		o.Files = remotescript.Script()
	}
	if o.Version == "" {
		o.Version = remotescript.Version()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CommandPort == 0 {
		o.CommandPort = ports.Command
	}
	if o.EventsPort == 0 {
		o.EventsPort = ports.Events
	}
}

// State is what is installed.
type State int

const (
	NotInstalled State = iota
	UpToDate
	Older      // our script, an older version (or the same version with other files)
	Newer      // our script, a newer version than this app bundles
	Modified   // our script, but files differ from the manifest (edited by the user)
	Foreign    // a symlink, or a folder VimAbl did not make
	Unreadable // cannot be read (permissions, a broken manifest)
)

func (s State) String() string {
	return [...]string{"not-installed", "up-to-date", "older", "newer", "modified", "foreign", "unreadable"}[s]
}

// Installed reports whether Live could load a VimAbl script from there.
func (s State) Installed() bool { return s != NotInstalled && s != Unreadable }

// Manifest is written beside the script.
type Manifest struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	InstalledAt time.Time         `json:"installed_at"`
	Files       map[string]string `json:"files"` // name → SHA-256 hex
}

// Report describes what is there.
type Report struct {
	State            State
	Dir              string // <User Library>/Remote Scripts/VimAbl
	UserLibrary      string
	LibrarySource    string // "default", "Library.cfg of Live 12.1.5", "chosen by you"
	InstalledVersion string
	BundledVersion   string
	ModifiedFiles    []string
	Libraries        []livepaths.Library
	LiveVersions     []livepaths.Version
	Notes            []string // sentences for the user (a broken Library.cfg, a symlink target…)
}

// Inspect looks at the chosen User Library without changing anything.
func Inspect(o Options) (Report, error) {
	o.fill()
	r := Report{BundledVersion: o.Version}
	libs, versions, err := livepaths.UserLibraries(o.Env)
	r.Libraries, r.LiveVersions = libs, versions
	if err != nil {
		r.Notes = append(r.Notes, err.Error())
	}
	for _, l := range libs {
		if l.Problem != "" {
			r.Notes = append(r.Notes, l.Problem)
		}
	}
	if o.UserLibrary != "" {
		r.UserLibrary, r.LibrarySource = filepath.Clean(o.UserLibrary), "chosen by you"
	} else {
		p := livepaths.Preferred(libs)
		r.UserLibrary, r.LibrarySource = p.Path, p.Source
	}
	if r.UserLibrary == "" {
		return r, errors.New("no User Library found; choose one with --user-library")
	}
	r.Dir = filepath.Join(r.UserLibrary, RemoteScripts, ScriptName)
	if err := checkLibraryIsFolder(r, o.UserLibrary != ""); err != nil {
		return r, err
	}
	inspectDir(&r, o)
	return r, nil
}

// checkLibraryIsFolder says in one sentence when the User Library is a file
// (or lies under one). Left to inspectDir, that looked like an unreadable
// install ("use --force"), and with --force like a missing folder.
func checkLibraryIsFolder(r Report, chosen bool) error {
	info, err := os.Stat(r.UserLibrary)
	what := ""
	switch {
	case err == nil && !info.IsDir():
		what = "is a file, not a folder"
	case errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, fs.ErrNotExist):
		// Windows answers ERROR_PATH_NOT_FOUND for a missing parent, which Go
		// counts as ENOTDIR too: missing is not "part of its path is a file".
		what = "is not a folder (part of its path is a file)"
	default:
		return nil // a folder, or missing: Install says what to do about that
	}
	if chosen {
		return fmt.Errorf("--user-library %s %s: give the User Library folder", r.UserLibrary, what)
	}
	return fmt.Errorf("the User Library %s (%s) %s: choose the User Library folder with --user-library", r.UserLibrary, r.LibrarySource, what)
}

func inspectDir(r *Report, o Options) {
	info, err := os.Lstat(r.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.State = NotInstalled
		return
	case err != nil:
		r.State = Unreadable
		r.Notes = append(r.Notes, explain("checking", r.Dir, err).Error())
		return
	case info.Mode()&fs.ModeSymlink != 0:
		r.State = Foreign
		target, _ := os.Readlink(r.Dir)
		r.Notes = append(r.Notes, fmt.Sprintf("%s is a symlink to %s (a developer's checkout?); VimAbl leaves it alone unless you force it", r.Dir, target))
		return
	case !info.IsDir():
		r.State = Foreign
		r.Notes = append(r.Notes, fmt.Sprintf("%s is a file, not a folder; VimAbl leaves it alone unless you force it", r.Dir))
		return
	}
	data, err := os.ReadFile(filepath.Join(r.Dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		r.State = Foreign
		r.Notes = append(r.Notes, fmt.Sprintf("%s was not installed by VimAbl (no %s); it is left alone unless you force it", r.Dir, ManifestName))
		return
	}
	if err != nil {
		r.State = Unreadable
		r.Notes = append(r.Notes, explain("reading", filepath.Join(r.Dir, ManifestName), err).Error())
		return
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil || m.Version == "" {
		r.State = Unreadable
		r.Notes = append(r.Notes, fmt.Sprintf("%s is damaged (%v); reinstalling replaces it (the old folder is kept as a backup)", filepath.Join(r.Dir, ManifestName), err))
		return
	}
	r.InstalledVersion = m.Version
	for name, sum := range m.Files {
		got, err := hashFile(filepath.Join(r.Dir, name))
		if err != nil || got != sum {
			r.ModifiedFiles = append(r.ModifiedFiles, name)
		}
	}
	sort.Strings(r.ModifiedFiles)
	if len(r.ModifiedFiles) > 0 {
		r.State = Modified
		return
	}
	bundled, err := hashFS(o.Files)
	if err != nil {
		r.State = Unreadable
		r.Notes = append(r.Notes, fmt.Sprintf("reading the bundled script: %v", err))
		return
	}
	switch c := compareVersions(m.Version, o.Version); {
	case c < 0:
		r.State = Older
	case c > 0:
		r.State = Newer
	case !sameFiles(m.Files, bundled) || !configMatches(r.Dir, o):
		r.State = Older // same version, other files or ports: needs an update
	default:
		r.State = UpToDate
	}
}

func sameFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func configMatches(dir string, o Options) bool {
	want := configJSON(o)
	got, err := os.ReadFile(filepath.Join(dir, ConfigName))
	if want == nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	return err == nil && string(got) == string(want)
}

// configJSON is config.json's content, nil when the ports are the defaults.
func configJSON(o Options) []byte { return ports.ScriptConfig(o.CommandPort, o.EventsPort) }

// compareVersions compares dotted numeric versions ("0.10.1" > "0.9").
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(strings.TrimFunc(pa[i], func(r rune) bool { return r < '0' || r > '9' }))
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(strings.TrimFunc(pb[i], func(r rune) bool { return r < '0' || r > '9' }))
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func hashFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func hashFS(files fs.FS) (map[string]string, error) {
	out := map[string]string{}
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := fs.ReadFile(files, e.Name())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(data)
		out[e.Name()] = hex.EncodeToString(sum[:])
	}
	return out, nil
}
