// Package packaging makes VimAbl's release artefacts from one version — the
// one in remote_script/version.py — and checks them: the macOS Info.plist,
// the Windows resource script, the Linux tarball. packaging/dist drives it
// (`make dist`); the tests read the artefacts back with their own parsers.
package packaging

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/vimabl/vimabl/icons"
)

// BundleID identifies the macOS app (and the LaunchAgent label).
const BundleID = "app.vimabl.VimAbl"

// MinMacOS is the oldest macOS the app supports (fyne 2.7's floor).
const MinMacOS = "10.13"

//go:embed macos/Info.plist.tmpl windows/vimabl.rc.tmpl windows/vimabl.exe.manifest linux/vimabl.desktop
var files embed.FS

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// InfoPlist is VimAbl.app's Contents/Info.plist for version.
func InfoPlist(version string) []byte {
	t := template.Must(template.New("plist").Parse(string(mustRead("macos/Info.plist.tmpl"))))
	var b bytes.Buffer
	t.Execute(&b, map[string]string{"BundleID": BundleID, "Version": xmlEscape(version), "MinMacOS": MinMacOS})
	return b.Bytes()
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Manifest is the Windows application manifest (per-monitor DPI, asInvoker).
func Manifest() []byte { return mustRead("windows/vimabl.exe.manifest") }

// DesktopFile is the Linux .desktop entry.
func DesktopFile() []byte { return mustRead("linux/vimabl.desktop") }

// RCFile is the Windows resource script for version, referring to the icon
// and manifest files at the given paths.
func RCFile(version, iconPath, manifestPath string) (string, error) {
	nums, err := versionNumbers(version)
	if err != nil {
		return "", err
	}
	t := template.Must(template.New("rc").Parse(string(mustRead("windows/vimabl.rc.tmpl"))))
	var b bytes.Buffer
	err = t.Execute(&b, map[string]string{
		"Icon":     strings.ReplaceAll(iconPath, `\`, `/`),
		"Manifest": strings.ReplaceAll(manifestPath, `\`, `/`),
		"Version":  version,
		"Comma":    fmt.Sprintf("%d,%d,%d,%d", nums[0], nums[1], nums[2], nums[3]),
	})
	return b.String(), err
}

// versionNumbers turns "1.2.3" into the four numbers Windows wants.
func versionNumbers(v string) ([4]int, error) {
	var out [4]int
	parts := strings.Split(strings.SplitN(v, "-", 2)[0], ".")
	if len(parts) == 0 || len(parts) > 4 {
		return out, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH", v)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return out, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH", v)
		}
		out[i] = n
	}
	return out, nil
}

// TarballName is the Linux archive's file name.
func TarballName(version string) string { return "vimabl-" + version + "-linux-amd64.tar.gz" }

// WriteTarball writes the Linux archive: the binary, the .desktop file and
// the icon, in a folder named after the version.
func WriteTarball(w io.Writer, binary []byte, version string) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	dir := "vimabl-" + version + "/"
	mod := time.Unix(0, 0) // reproducible archives
	add := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: dir + name, Mode: mode, Size: int64(len(data)), ModTime: mod, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	readme := []byte("VimAbl " + version + " for Linux (for developers and CI: Live itself runs on macOS and Windows).\n\n" +
		"  ./vimabl            the tray app (opens its window where no tray exists)\n" +
		"  ./vimabl demo       the app against a fake Live (needs python3)\n" +
		"  ./vimabl help       every command\n\n" +
		"Install the desktop entry: copy vimabl.desktop to ~/.local/share/applications and\n" +
		"vimabl.png to ~/.local/share/icons/hicolor/256x256/apps/, with vimabl on your PATH.\n")
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{
		{"vimabl", 0o755, binary},
		{"vimabl.desktop", 0o644, DesktopFile()},
		{"vimabl.png", 0o644, icons.App()},
		{"README.txt", 0o644, readme},
	} {
		if err := add(f.name, f.mode, f.data); err != nil {
			return fmt.Errorf("writing %s into the tarball: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// ParsePlist reads an XML property list (what `plutil -lint` accepts, minus
// binary plists): dict, array, string, integer, real, true, false, date,
// data. It returns the top-level value.
func ParsePlist(data []byte) (any, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("plist: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "plist" {
				return nil, fmt.Errorf("plist: root element is <%s>, not <plist>", se.Name.Local)
			}
			v, err := plistValue(d, nil)
			if err != nil {
				return nil, err
			}
			return v, nil
		}
	}
}

// plistValue reads the next value element (start given, or read next).
func plistValue(d *xml.Decoder, start *xml.StartElement) (any, error) {
	if start == nil {
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, fmt.Errorf("plist: %w", err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				start = &se
				break
			}
			if _, ok := tok.(xml.EndElement); ok {
				return nil, errors.New("plist: expected a value")
			}
		}
	}
	switch start.Name.Local {
	case "dict":
		m := map[string]any{}
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, fmt.Errorf("plist: %w", err)
			}
			switch t := tok.(type) {
			case xml.EndElement:
				return m, nil
			case xml.StartElement:
				if t.Name.Local != "key" {
					return nil, fmt.Errorf("plist: <%s> where a <key> belongs", t.Name.Local)
				}
				var key string
				if err := d.DecodeElement(&key, &t); err != nil {
					return nil, fmt.Errorf("plist: %w", err)
				}
				if _, dup := m[key]; dup {
					return nil, fmt.Errorf("plist: key %q twice", key)
				}
				v, err := plistValue(d, nil)
				if err != nil {
					return nil, err
				}
				m[key] = v
			}
		}
	case "array":
		var a []any
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, fmt.Errorf("plist: %w", err)
			}
			switch t := tok.(type) {
			case xml.EndElement:
				return a, nil
			case xml.StartElement:
				v, err := plistValue(d, &t)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
		}
	case "true", "false":
		if err := d.Skip(); err != nil {
			return nil, err
		}
		return start.Name.Local == "true", nil
	case "string", "date", "data":
		var s string
		if err := d.DecodeElement(&s, start); err != nil {
			return nil, fmt.Errorf("plist: %w", err)
		}
		return s, nil
	case "integer":
		var s string
		if err := d.DecodeElement(&s, start); err != nil {
			return nil, err
		}
		return strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	case "real":
		var s string
		if err := d.DecodeElement(&s, start); err != nil {
			return nil, err
		}
		return strconv.ParseFloat(strings.TrimSpace(s), 64)
	}
	return nil, fmt.Errorf("plist: unknown element <%s>", start.Name.Local)
}

// Windows resource types (winuser.h).
const (
	RTIcon      = 3
	RTVersion   = 16
	RTGroupIcon = 14
	RTManifest  = 24
)

// ResourceTypes lists the resource type IDs in a PE file's .rsrc section.
func ResourceTypes(rsrc []byte) ([]uint32, error) {
	if len(rsrc) < 16 {
		return nil, errors.New("resource section too short")
	}
	named := int(binary.LittleEndian.Uint16(rsrc[12:]))
	ids := int(binary.LittleEndian.Uint16(rsrc[14:]))
	var out []uint32
	for i := 0; i < named+ids; i++ {
		off := 16 + 8*i
		if off+8 > len(rsrc) {
			return nil, errors.New("resource directory truncated")
		}
		name := binary.LittleEndian.Uint32(rsrc[off:])
		if name&0x80000000 == 0 {
			out = append(out, name)
		}
	}
	return out, nil
}
