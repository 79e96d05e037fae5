package packaging

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"testing"

	remotescript "github.com/vimabl/vimabl/remote_script"
)

func TestInfoPlistIsValidAndComplete(t *testing.T) {
	v, err := ParsePlist(InfoPlist(remotescript.Version()))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("top level is %T, want a dict", v)
	}
	want := map[string]any{
		"CFBundleIdentifier":         BundleID,
		"CFBundleExecutable":         "vimabl",
		"CFBundleIconFile":           "vimabl.icns",
		"CFBundlePackageType":        "APPL",
		"CFBundleShortVersionString": remotescript.Version(),
		"CFBundleVersion":            remotescript.Version(),
		"LSMinimumSystemVersion":     MinMacOS,
		"LSUIElement":                true, // a menu-bar accessory: no Dock icon
		"NSHighResolutionCapable":    true,
	}
	for k, w := range want {
		if d[k] != w {
			t.Errorf("%s = %v, want %v", k, d[k], w)
		}
	}
	for _, k := range []string{"NSHumanReadableCopyright", "CFBundleName", "NSAppleEventsUsageDescription"} {
		if s, _ := d[k].(string); s == "" {
			t.Errorf("%s missing", k)
		}
	}
	if _, err := os.Stat("../icons/vimabl.icns"); err != nil {
		t.Errorf("the plist names an icon that is not there: %v", err)
	}
}

func TestPlistParserRejectsBrokenFiles(t *testing.T) {
	for name, doc := range map[string]string{
		"unclosed":  `<plist><dict><key>a</key><string>x</string></plist>`,
		"dup key":   `<plist><dict><key>a</key><true/><key>a</key><false/></dict></plist>`,
		"no key":    `<plist><dict><string>x</string></dict></plist>`,
		"wrong top": `<html></html>`,
		"bad int":   `<plist><integer>x</integer></plist>`,
	} {
		if _, err := ParsePlist([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	v, err := ParsePlist([]byte(`<plist><dict><key>n</key><integer>3</integer><key>l</key><array><string>a</string><false/></array></dict></plist>`))
	if err != nil || v.(map[string]any)["n"] != int64(3) || len(v.(map[string]any)["l"].([]any)) != 2 {
		t.Fatalf("%v %v", v, err)
	}
}

func TestTarballContents(t *testing.T) {
	var b bytes.Buffer
	bin := []byte("\x7fELF fake binary")
	if err := WriteTarball(&b, bin, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	got := map[string]*tar.Header{}
	var binData []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
		if h.Name == "vimabl-1.2.3/vimabl" {
			binData, _ = io.ReadAll(tr)
		}
	}
	for _, name := range []string{"vimabl-1.2.3/vimabl", "vimabl-1.2.3/vimabl.desktop", "vimabl-1.2.3/vimabl.png", "vimabl-1.2.3/README.txt"} {
		if got[name] == nil {
			t.Errorf("missing %s", name)
		}
	}
	if len(got) != 4 {
		t.Errorf("unexpected files: %v", got)
	}
	if h := got["vimabl-1.2.3/vimabl"]; h == nil || h.Mode&0o111 == 0 || !bytes.Equal(binData, bin) {
		t.Error("the binary must be executable and intact")
	}
	if !strings.Contains(string(DesktopFile()), "Exec=vimabl") {
		t.Error("desktop entry")
	}
}

func TestRCFileVersion(t *testing.T) {
	rc, err := RCFile("0.12.3", `C:\tmp\i.ico`, "/tmp/m.manifest")
	if err != nil || !strings.Contains(rc, "FILEVERSION 0,12,3,0") || !strings.Contains(rc, `"C:/tmp/i.ico"`) {
		t.Fatalf("%v\n%s", err, rc)
	}
	if _, err := RCFile("one.two", "i", "m"); err == nil {
		t.Fatal("a non-numeric version must be refused")
	}
}
