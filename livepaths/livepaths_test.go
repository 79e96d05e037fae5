package livepaths

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeHome builds a home folder with the given Live versions (name → age)
// in the OS's layout and returns its Env.
func fakeHome(t *testing.T, goos string, versions map[string]time.Duration) Env {
	t.Helper()
	home := t.TempDir()
	env := Env{OS: goos, Home: home, UserProfile: home, AppData: filepath.Join(home, "AppData", "Roaming")}
	root := PrefsRoot(env)
	now := time.Now()
	for name, age := range versions {
		dir := filepath.Join(root, name)
		if goos == "windows" {
			dir = filepath.Join(dir, "Preferences")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(dir, now.Add(-age), now.Add(-age))
	}
	os.MkdirAll(filepath.Join(root, "Live Reports", "Usage"), 0o755)
	return env
}

func TestVersionsNewestFirstBothLayouts(t *testing.T) {
	for _, goos := range []string{"darwin", "windows"} {
		env := fakeHome(t, goos, map[string]time.Duration{"Live 11.3.21": 48 * time.Hour, "Live 12.1.5": time.Hour, "Live 12.0": 24 * time.Hour})
		vs, err := Versions(env)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, v := range vs {
			names = append(names, v.Name)
		}
		if strings.Join(names, ",") != "Live 12.1.5,Live 12.0,Live 11.3.21" {
			t.Fatalf("%s: %v (Live Reports must be ignored)", goos, names)
		}
		wantLog := filepath.Join(PrefsRoot(env), "Live 12.1.5", "Log.txt")
		if goos == "windows" {
			wantLog = filepath.Join(env.AppData, "Ableton", "Live 12.1.5", "Preferences", "Log.txt")
		}
		if LogPath(vs[0]) != wantLog {
			t.Errorf("%s log %s, want %s", goos, LogPath(vs[0]), wantLog)
		}
	}
}

func TestDefaultPathsPerOS(t *testing.T) {
	mac := Env{OS: "darwin", Home: "/Users/me"}
	if got := DefaultUserLibrary(mac); got != filepath.Join("/Users/me", "Music", "Ableton", "User Library") {
		t.Errorf("mac default %s", got)
	}
	if got := PrefsRoot(mac); got != filepath.Join("/Users/me", "Library", "Preferences", "Ableton") {
		t.Errorf("mac prefs %s", got)
	}
	win := Env{OS: "windows", UserProfile: "/c/Users/me", AppData: "/c/Users/me/AppData/Roaming"}
	if got := DefaultUserLibrary(win); got != filepath.Join("/c/Users/me", "Documents", "Ableton", "User Library") {
		t.Errorf("windows default %s", got)
	}
	// issue 12 item 5: a Documents folder Windows moved (OneDrive, another
	// drive) holds the default User Library, not <profile>\Documents.
	win.Documents = "/d/OneDrive/Dokumente"
	if got := DefaultUserLibrary(win); got != filepath.Join("/d/OneDrive/Dokumente", "Ableton", "User Library") {
		t.Errorf("windows default with Documents moved %s", got)
	}
	if PrefsRoot(Env{OS: "linux"}) != "" {
		t.Error("no Live on linux")
	}
}

func TestParseLibraryCfg(t *testing.T) {
	cases := map[string]string{
		`<?xml version="1.0" encoding="UTF-8"?>
<Ableton MajorVersion="5" MinorVersion="12.0_12049">
	<ContentLibrary>
		<UserLibrary>
			<LibraryProject>
				<ProjectPath Value="/Volumes/Studio/Ableton" />
				<ProjectName Value="User Library" />
			</LibraryProject>
		</UserLibrary>
	</ContentLibrary>
</Ableton>`: "/Volumes/Studio/Ableton/User Library",
		// "Mostly XML": junk after the root, a Windows path with backslashes.
		`<Ableton><ContentLibrary><UserLibrary><LibraryProject><ProjectPath Value="D:\Music\Ableton"/><ProjectName Value="My Lib &amp; Co"/></LibraryProject></UserLibrary></ContentLibrary></Ableton>` + "\x00garbage<": "D:/Music/Ableton/My Lib & Co",
	}
	for in, want := range cases {
		got, err := ParseLibraryCfg([]byte(in))
		if err != nil || got != filepath.FromSlash(want) {
			t.Errorf("got %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ParseLibraryCfg([]byte("<Ableton><broken")); err == nil {
		t.Error("a Library.cfg without ProjectPath must be an error")
	}
}

func TestUserLibrariesRelocatedBrokenAndDefault(t *testing.T) {
	env := fakeHome(t, "darwin", map[string]time.Duration{"Live 12.1.5": time.Hour, "Live 11.3.21": 48 * time.Hour})
	vs, _ := Versions(env)
	moved := filepath.Join(env.Home, "Studio")
	os.MkdirAll(filepath.Join(moved, "User Library"), 0o755)
	os.WriteFile(LibraryCfgPath(vs[0]), []byte(`<Ableton><ContentLibrary><UserLibrary><LibraryProject><ProjectPath Value="`+moved+`"/><ProjectName Value="User Library"/></LibraryProject></UserLibrary></ContentLibrary></Ableton>`), 0o644)
	os.WriteFile(LibraryCfgPath(vs[1]), []byte("not xml at all"), 0o644)
	libs, _, err := UserLibraries(env)
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) != 3 {
		t.Fatalf("want relocated, broken, default: %+v", libs)
	}
	if libs[0].Path != filepath.Join(moved, "User Library") || !libs[0].Exists || libs[0].Source != "Library.cfg of Live 12.1.5" {
		t.Errorf("relocated: %+v", libs[0])
	}
	if libs[1].Problem == "" || !strings.Contains(libs[1].Problem, "using the default User Library") {
		t.Errorf("broken cfg must say so: %+v", libs[1])
	}
	if libs[2].Source != "default" {
		t.Errorf("default last: %+v", libs[2])
	}
	if p := Preferred(libs); p.Path != libs[0].Path {
		t.Errorf("preferred %+v", p)
	}
	// Only the broken one: fall back to the default.
	if p := Preferred(libs[1:]); p.Source != "default" {
		t.Errorf("fallback %+v", p)
	}
}

// FuzzParseLibraryCfg: a broken Library.cfg is an error or a path, never a panic.
func FuzzParseLibraryCfg(f *testing.F) {
	f.Add([]byte(`<Ableton><ContentLibrary><UserLibrary><LibraryProject><ProjectPath Value="/Volumes/S"/><ProjectName Value="User Library"/></LibraryProject></UserLibrary></ContentLibrary></Ableton>`))
	f.Add([]byte(`<UserLibrary><ProjectPath Value="C:\Music"/>`))
	f.Add([]byte("\x00<Ableton"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseLibraryCfg(data)
		if err == nil && p == "" {
			t.Fatal("no error and no path")
		}
	})
}
