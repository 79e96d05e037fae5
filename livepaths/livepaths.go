// Package livepaths knows where Ableton Live keeps its files on macOS and
// Windows: the Preferences folder of each installed Live version (with
// Log.txt and Library.cfg) and the User Library, default or relocated.
//
// Everything is a function of an Env (the OS and its home folders), so both
// layouts are computed — and tested — on any machine.
package livepaths

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Env is what the paths depend on.
type Env struct {
	OS          string // "darwin", "windows" (others: no Live)
	Home        string // the user's home folder
	AppData     string // Windows: %APPDATA% (…\AppData\Roaming)
	UserProfile string // Windows: %USERPROFILE%
	// Documents is the user's Documents folder where Windows says it is:
	// the Known Folder FOLDERID_Documents, which OneDrive's backup or an
	// administrator's folder redirection moves away from the profile (to
	// …\OneDrive\Documents, D:\Docs, a network share). Live's default User
	// Library is inside it. "" means <UserProfile>\Documents.
	Documents string
}

// Current describes this machine.
func Current() Env {
	home, _ := os.UserHomeDir()
	e := Env{OS: runtime.GOOS, Home: home, AppData: os.Getenv("APPDATA"), UserProfile: os.Getenv("USERPROFILE")}
	if e.UserProfile == "" {
		e.UserProfile = home
	}
	if e.AppData == "" && e.OS == "windows" {
		e.AppData = filepath.Join(e.UserProfile, "AppData", "Roaming")
	}
	e.Documents = documentsFolder()
	return e
}

// PrefsRoot is the folder holding one "Live x.y.z" folder per version
// ("" where Live does not run).
func PrefsRoot(env Env) string {
	switch env.OS {
	case "darwin":
		return filepath.Join(env.Home, "Library", "Preferences", "Ableton")
	case "windows":
		return filepath.Join(env.AppData, "Ableton")
	}
	return ""
}

// DefaultUserLibrary is where Live puts the User Library unless moved.
func DefaultUserLibrary(env Env) string {
	switch env.OS {
	case "windows":
		docs := env.Documents
		if docs == "" {
			docs = filepath.Join(env.UserProfile, "Documents")
		}
		return filepath.Join(docs, "Ableton", "User Library")
	default:
		return filepath.Join(env.Home, "Music", "Ableton", "User Library")
	}
}

// Version is one installed Live version's preferences.
type Version struct {
	Name     string    // the folder name, e.g. "Live 12.1.5"
	PrefsDir string    // holds Log.txt and Library.cfg
	ModTime  time.Time // of the folder: the newest is the one in use
}

// LogPath is the version's Log.txt.
func LogPath(v Version) string { return filepath.Join(v.PrefsDir, "Log.txt") }

// LibraryCfgPath is the version's Library.cfg.
func LibraryCfgPath(v Version) string { return filepath.Join(v.PrefsDir, "Library.cfg") }

var versionName = regexp.MustCompile(`^Live \d+(\.\d+)*`)

// Versions lists the installed Live versions, most recently modified first.
// No Preferences folder at all is not an error: the list is empty.
func Versions(env Env) ([]Version, error) {
	root := PrefsRoot(env)
	if root == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Live's preferences folder %s: %w", root, err)
	}
	var out []Version
	for _, e := range entries {
		if !e.IsDir() || !versionName.MatchString(e.Name()) {
			continue // "Live Reports", stray files
		}
		dir := filepath.Join(root, e.Name())
		prefs := dir
		if env.OS == "windows" {
			prefs = filepath.Join(dir, "Preferences")
		}
		info, err := os.Stat(prefs)
		if err != nil {
			continue
		}
		mod := info.ModTime()
		// Live writes Log.txt on every start: the best sign of the version in use.
		if li, err := os.Stat(filepath.Join(prefs, "Log.txt")); err == nil && li.ModTime().After(mod) {
			mod = li.ModTime()
		}
		out = append(out, Version{Name: e.Name(), PrefsDir: prefs, ModTime: mod})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].ModTime.Equal(out[j].ModTime) {
			return out[i].ModTime.After(out[j].ModTime)
		}
		return out[i].Name > out[j].Name
	})
	return out, nil
}

// ErrNoUserLibrary is wrapped by ParseLibraryCfg when the file names no
// User Library.
var ErrNoUserLibrary = errors.New("no User Library in Library.cfg")

// ParseLibraryCfg reads the User Library from a Library.cfg: ProjectPath
// joined with ProjectName under ContentLibrary/UserLibrary/LibraryProject.
// The file is "mostly XML": a strict parse is tried first, then a regular
// expression over the text.
func ParseLibraryCfg(data []byte) (string, error) {
	var doc struct {
		Project struct {
			Path struct {
				Value string `xml:"Value,attr"`
			} `xml:"ProjectPath"`
			Name struct {
				Value string `xml:"Value,attr"`
			} `xml:"ProjectName"`
		} `xml:"ContentLibrary>UserLibrary>LibraryProject"`
	}
	if err := xml.Unmarshal(data, &doc); err == nil && doc.Project.Path.Value != "" {
		return joinLibrary(doc.Project.Path.Value, doc.Project.Name.Value), nil
	}
	text := string(data)
	if i := strings.Index(text, "<UserLibrary"); i >= 0 {
		text = text[i:]
	}
	path := cfgValue.FindStringSubmatch(text)
	name := cfgName.FindStringSubmatch(text)
	if path == nil {
		return "", fmt.Errorf("%w (no ProjectPath Value)", ErrNoUserLibrary)
	}
	n := ""
	if name != nil {
		n = name[1]
	}
	return joinLibrary(path[1], n), nil
}

var (
	cfgValue = regexp.MustCompile(`<ProjectPath\s+Value="([^"]*)"`)
	cfgName  = regexp.MustCompile(`<ProjectName\s+Value="([^"]*)"`)
)

func joinLibrary(path, name string) string {
	path = xmlUnescape(path)
	name = xmlUnescape(name)
	// Windows values may use \ or /; make them this OS's separator.
	path = filepath.FromSlash(strings.ReplaceAll(path, `\`, "/"))
	if name == "" {
		name = "User Library"
	}
	return filepath.Join(path, name)
}

func xmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'").Replace(s)
}

// Library is one place the User Library may be, and why we think so.
type Library struct {
	Path    string
	Source  string // "default" or "Library.cfg of Live 12.1.5"
	Version string // the Live version whose Library.cfg named it, "" for the default
	Problem string // why a Library.cfg could not be used, "" if fine
	Exists  bool
}

// UserLibraries lists the candidates, the most likely first: each Live
// version's Library.cfg (newest version first), then the default. A broken
// Library.cfg yields a candidate with Problem set and no Path.
func UserLibraries(env Env) ([]Library, []Version, error) {
	versions, err := Versions(env)
	var out []Library
	seen := map[string]bool{}
	for _, v := range versions {
		cfg := LibraryCfgPath(v)
		data, rerr := os.ReadFile(cfg)
		if errors.Is(rerr, os.ErrNotExist) {
			continue
		}
		lib := Library{Source: "Library.cfg of " + v.Name, Version: v.Name}
		if rerr != nil {
			lib.Problem = fmt.Sprintf("cannot read %s: %v; using the default User Library", cfg, rerr)
		} else if p, perr := ParseLibraryCfg(data); perr != nil {
			lib.Problem = fmt.Sprintf("%s is broken (%v); using the default User Library", cfg, perr)
		} else {
			lib.Path = p
		}
		if lib.Path != "" {
			if seen[lib.Path] {
				continue
			}
			seen[lib.Path] = true
			lib.Exists = isDir(lib.Path)
		}
		out = append(out, lib)
	}
	def := DefaultUserLibrary(env)
	if !seen[def] {
		out = append(out, Library{Path: def, Source: "default", Exists: isDir(def)})
	}
	return out, versions, err
}

// Preferred picks the User Library to install into: the newest version's
// Library.cfg when it names a folder, else the default.
func Preferred(libs []Library) Library {
	for _, l := range libs {
		if l.Path != "" && l.Problem == "" {
			return l
		}
	}
	for _, l := range libs {
		if l.Source == "default" {
			return l
		}
	}
	return Library{}
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}
