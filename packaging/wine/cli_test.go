//go:build linux

package wine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/vimabl/vimabl/install"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// liveVersion is the Live version whose preferences the tests write.
const liveVersion = "Live 12.1.5"

// crlf joins lines with Windows line endings, as Live writes on Windows.
func crlf(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

// liveProfile writes what Live leaves in %APPDATA% when the user moved the
// User Library to libParent\User Library (another drive): a Library.cfg
// saying so and a Log.txt, both with Windows line endings, and makes that
// User Library (Live creates it on its first start). Everything goes when
// the test ends. It returns the User Library's Windows path.
func (b *machine) liveProfile(t *testing.T, libParent string) string {
	t.Helper()
	prefs := b.appData() + `\Ableton\` + liveVersion + `\Preferences`
	// In Library.cfg the path is XML-escaped ("&" is "&amp;").
	cfg := crlf(`<?xml version="1.0" encoding="UTF-8"?>`,
		`<Ableton MajorVersion="5" MinorVersion="12.0_12117" SchemaChangeCount="3" Creator="Ableton Live 12.1.5" Revision="">`,
		`	<ContentLibrary>`,
		`		<UserLibrary>`,
		`			<LibraryProject>`,
		`				<ProjectPath Value="`+strings.ReplaceAll(libParent, "&", "&amp;")+`" />`,
		`				<ProjectName Value="User Library" />`,
		`			</LibraryProject>`,
		`		</UserLibrary>`,
		`	</ContentLibrary>`,
		`</Ableton>`)
	writeFile(t, b.host(prefs+`\Library.cfg`), cfg)
	writeFile(t, b.host(prefs+`\Log.txt`), crlf(
		`2024-05-30T16:26:36.476575: info: RemoteScriptMessage: (VimAbl) VimAbl loaded from the D: drive`,
		`2024-05-30T16:26:37.000001: info: RemoteScriptError: Traceback (most recent call last):`,
		`2024-05-30T16:26:37.000002: info: RemoteScriptError:   File "D:\x\observers.py", line 12, in on_tempo`,
		`2024-05-30T16:26:37.000003: info: RemoteScriptError: ValueError: bad tempo`,
		`2024-05-30T16:26:37.000004: info: RemoteScriptError: `))
	lib := libParent + `\User Library`
	if err := os.MkdirAll(b.host(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(b.host(b.appData() + `\Ableton`))
		os.RemoveAll(b.host(libParent))
	})
	return lib
}

// issue 12: `vimabl.exe version` runs under Wine (with the stand-in
// bcryptprimitives.dll) and says it is the Windows build of this version.
func TestVersion(t *testing.T) {
	b := need(t)
	r := b.run(t, "version")
	want := "vimabl " + remotescript.Version() + " (windows/amd64, " + runtime.Version() + ")\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("exit %d, stdout %q, want %q\n%s", r.code, r.stdout, want, r.stderr)
	}
}

// issue 12: doctor on a profile where Live never ran speaks in Windows
// paths — %APPDATA%\Ableton, Documents\Ableton\User Library — says nothing
// is installed, and calls the UDP port what it is under Wine: unusable here
// with the OS's error, not taken by another program.
func TestDoctorOnAnEmptyProfile(t *testing.T) {
	b := need(t)
	r := b.run(t, "doctor")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustContain(t, "doctor", r.stdout,
		"OS: windows/amd64",
		`none found under `+b.appData()+`\Ableton`,
		`default `+b.profile()+`\Documents\Ableton\User Library (exists: false)`,
		"Install state: not-installed",
		"Live's log: not found",
		"UDP 127.0.0.1:9002 cannot be used here (")
	for _, wrong := range []string{"part of its path is a file", "taken", "Quit the program"} {
		if strings.Contains(r.stdout, wrong) {
			t.Errorf("doctor says %q on an empty profile:\n%s", wrong, r.stdout)
		}
	}
}

// issue 12: a Live profile that moved the User Library to another drive
// (D:, a folder with a space, "&" and a non-ASCII letter) in Library.cfg,
// and a Log.txt with Windows line endings: doctor finds both; `logs` shows
// the lines without a stray "\r" and groups the traceback.
func TestDoctorAndLogsOnAProfileWithLibraryOnD(t *testing.T) {
	b := need(t)
	lib := b.liveProfile(t, `D:\Klänge & Samples\Ableton`)
	r := b.run(t, "doctor")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	prefs := b.appData() + `\Ableton\` + liveVersion + `\Preferences`
	mustContain(t, "doctor", r.stdout,
		liveVersion+" "+prefs+" (last used ",
		"Library.cfg of "+liveVersion+" "+lib+" (exists: true)",
		"Install state: not-installed",
		`folder: `+lib+`\Remote Scripts\VimAbl (User Library Library.cfg of `+liveVersion+`: `+lib+")",
		"Live's log: "+prefs+`\Log.txt (`)

	r = b.run(t, "logs")
	if r.code != 0 {
		t.Fatalf("logs: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "\r") || strings.Contains(r.stdout, `\r`) {
		t.Errorf("a carriage return reached the output:\n%q", r.stdout)
	}
	mustContain(t, "logs", r.stdout,
		"[VimAbl] VimAbl loaded from the D: drive\n",
		"[RemoteScriptError] Python traceback:\n    Traceback (most recent call last):\n",
		"    ValueError: bad tempo\n")
}

// issue 12: install, update, edit, reinstall and uninstall in the User
// Library on D: that Library.cfg names, with Windows paths all the way.
func TestInstallUpdateUninstallOnD(t *testing.T) {
	b := need(t)
	lib := b.liveProfile(t, `D:\Klänge & Samples\Ableton`)
	dir := lib + `\Remote Scripts\VimAbl`

	r := b.run(t, "install")
	if r.code != 0 {
		t.Fatalf("install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustContain(t, "install", r.stdout, "write VimAbl "+remotescript.Version()+" into "+dir, "Options › Preferences")
	sameAsRepository(t, b.host(dir))

	r = b.run(t, "install")
	if r.code != 0 || !strings.Contains(r.stdout, "is already installed in "+dir+"; nothing to do") {
		t.Fatalf("a second install must change nothing: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if backups(t, b.host(lib+`\Remote Scripts`)) != nil {
		t.Fatal("a second install made a backup")
	}

	// The user edits a file: the next install keeps the edit in a backup.
	edited := filepath.Join(b.host(dir), "__init__.py")
	orig, err := os.ReadFile(edited)
	if err != nil {
		t.Fatal(err)
	}
	mine := append(append([]byte(nil), orig...), []byte("# my change\r\n")...)
	writeFile(t, edited, mine)
	r = b.run(t, "install")
	if r.code != 0 || !strings.Contains(r.stdout, "move the modified copy") {
		t.Fatalf("install over an edited copy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bs := backups(t, b.host(lib+`\Remote Scripts`))
	if len(bs) != 1 {
		t.Fatalf("backups %v, want one", bs)
	}
	if got, _ := os.ReadFile(filepath.Join(bs[0], "__init__.py")); !bytes.Equal(got, mine) {
		t.Error("the backup does not hold the edited file")
	}
	mustContain(t, "install", r.stdout, "The previous copy is kept at "+lib+`\Remote Scripts\.VimAbl-backup-`)
	sameAsRepository(t, b.host(dir))

	r = b.run(t, "uninstall")
	if r.code != 0 || !strings.Contains(r.stdout, "move "+dir+" to "+lib+`\Remote Scripts\.VimAbl-removed-`) {
		t.Fatalf("uninstall: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(b.host(dir)); !os.IsNotExist(err) {
		t.Errorf("the script is still there after uninstall: %v", err)
	}
	if r := b.run(t, "doctor"); !strings.Contains(r.stdout, "Install state: not-installed") {
		t.Errorf("doctor after uninstall:\n%s", r.stdout)
	}
}

// sameAsRepository checks that dir holds exactly remote_script/*.py, byte
// for byte, and a manifest whose hashes are theirs.
func sameAsRepository(t *testing.T, dir string) {
	t.Helper()
	want, err := filepath.Glob("../../remote_script/*.py")
	if err != nil || len(want) < 10 {
		t.Fatalf("the repository's script files: %v %v", want, err)
	}
	var m install.Manifest
	data, err := os.ReadFile(filepath.Join(dir, install.ManifestName))
	if err != nil || json.Unmarshal(data, &m) != nil {
		t.Fatalf("manifest: %v\n%s", err, data)
	}
	for _, p := range want {
		name := filepath.Base(p)
		w, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, w) {
			t.Errorf("%s: the installed copy differs from the repository's (%v)", name, err)
		}
		sum := sha256.Sum256(w)
		if m.Files[name] != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: the manifest says %q", name, m.Files[name])
		}
	}
	entries, _ := os.ReadDir(dir)
	var extra []string
	for _, e := range entries {
		if e.Name() != install.ManifestName && !strings.HasSuffix(e.Name(), ".py") {
			extra = append(extra, e.Name())
		}
	}
	if len(extra) > 0 || len(m.Files) != len(want) || m.Version != remotescript.Version() {
		t.Errorf("extra files %v; manifest %d files, version %q", extra, len(m.Files), m.Version)
	}
}

// backups lists the backup folders install made in Remote Scripts.
func backups(t *testing.T, scripts string) []string {
	t.Helper()
	bs, err := filepath.Glob(filepath.Join(scripts, ".VimAbl-backup-*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(bs)
	return bs
}

// issue 12: a User Library so deep that the script's files would pass
// Windows' 260-character limit (MAX_PATH, which Live's Python keeps unless
// long paths are enabled) gets the installer's one sentence, and nothing
// is written.
func TestInstallRefusesAPathLongerThanWindowsAllows(t *testing.T) {
	b := need(t)
	parts := []string{`D:\VimAbl long path test`}
	for len(strings.Join(parts, `\`)) < 230 {
		parts = append(parts, "Ein ziemlich langer Ordnername")
	}
	lib := strings.Join(parts, `\`) + `\User Library`
	if err := os.MkdirAll(b.host(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(b.host(`D:\VimAbl long path test`)) })
	r := b.run(t, "install", "--user-library", lib)
	if r.code != 1 || !strings.Contains(r.stderr, "the path is too long for Windows (move the User Library to a shorter path)") {
		t.Errorf("install into a %d-character User Library: exit %d, want 1 and the installer's sentence\n%s%s", len(lib), r.code, r.stdout, r.stderr)
	}
	if files, _ := filepath.Glob(filepath.Join(b.host(lib), "Remote Scripts", "VimAbl", "*.py")); len(files) > 0 {
		t.Errorf("%d files were written beyond Windows' path limit", len(files))
	}
}

// issue 12 item 5: Documents moved (OneDrive, another drive) through the
// registry — HKCU\…\Explorer\User Shell Folders\Personal — is where the
// default User Library is looked for and installed, as Live does.
func TestDocumentsRedirectedThroughTheRegistry(t *testing.T) {
	b := need(t)
	const key = `HKCU\Software\Microsoft\Windows\CurrentVersion\Explorer\User Shell Folders`
	before := b.reg(t, "query", key, "/v", "Personal")
	m := regexp.MustCompile(`Personal\s+REG_EXPAND_SZ\s+(.*\S)`).FindStringSubmatch(before.stdout)
	if m == nil {
		t.Fatalf("reg query: exit %d\n%s%s", before.code, before.stdout, before.stderr)
	}
	docs := `E:\Dokumente (verschoben)`
	if r := b.reg(t, "add", key, "/v", "Personal", "/t", "REG_EXPAND_SZ", "/d", docs, "/f"); r.code != 0 {
		t.Fatalf("reg add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() {
		b.reg(t, "add", key, "/v", "Personal", "/t", "REG_EXPAND_SZ", "/d", m[1], "/f")
		os.RemoveAll(b.host(docs))
	})
	lib := docs + `\Ableton\User Library`
	r := b.run(t, "doctor")
	mustContain(t, "doctor", r.stdout, "default "+lib+" (exists: false)")
	if err := os.MkdirAll(b.host(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	r = b.run(t, "install")
	if r.code != 0 {
		t.Fatalf("install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustContain(t, "install", r.stdout, "write VimAbl "+remotescript.Version()+" into "+lib+`\Remote Scripts\VimAbl`)
	sameAsRepository(t, b.host(lib+`\Remote Scripts\VimAbl`))
}

// issue 12: "Start at Login" writes HKCU\…\Run\VimAbl with the quoted path
// of the installed .exe (spaces and "ë" in it), and removes it again.
func TestStartAtLoginWritesAndRemovesTheRunValue(t *testing.T) {
	b := need(t)
	const key = `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`
	t.Cleanup(func() { b.run(t, "autostart", "off") })
	r := b.run(t, "autostart", "on")
	if r.code != 0 || !strings.Contains(r.stdout, "Start at login: on (") {
		t.Fatalf("autostart on: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, ok := b.regString(t, key, "VimAbl"); !ok || got != `"`+b.winExe+`"` {
		t.Fatalf("after autostart on, %s\\VimAbl is %q (there: %v), want the quoted path %q", key, got, ok, `"`+b.winExe+`"`)
	}
	if r := b.run(t, "autostart"); !strings.Contains(r.stdout, "Start at login: on") {
		t.Errorf("autostart (state): %s%s", r.stdout, r.stderr)
	}
	r = b.run(t, "autostart", "off")
	if r.code != 0 || r.stdout != "Start at login: off\n" {
		t.Fatalf("autostart off: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, ok := b.regString(t, key, "VimAbl"); ok {
		t.Fatalf("the Run value is still there: %q", got)
	}
}
