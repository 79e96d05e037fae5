// Command dist builds VimAbl's release artefacts into dist/ (run by
// `make dist` through packaging/dist.sh, from the repository root):
//
//   - Linux:   vimabl-<v>-linux-amd64.tar.gz (binary, .desktop, icon)
//   - Windows: vimabl-<v>-windows-amd64.exe, a GUI program with icon,
//     version and manifest resources (needs x86_64-w64-mingw32-gcc/windres);
//     VimAbl-<v>-setup.exe too when Inno Setup's iscc is installed
//   - macOS:   VimAbl.app (universal, on a Mac only: Cocoa needs macOS's SDK)
//
// and SHA256SUMS for everything built. Targets this machine cannot build are
// reported and skipped, never faked.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/vimabl/vimabl/icons"
	"github.com/vimabl/vimabl/packaging"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

func main() {
	out := flag.String("out", "dist", "output folder")
	only := flag.String("only", "linux,windows,macos", "targets to build")
	flag.Parse()
	version := remotescript.Version()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail("%v", err)
	}
	want := map[string]bool{}
	for _, t := range strings.Split(*only, ",") {
		want[strings.TrimSpace(t)] = true
	}
	fmt.Printf("dist: VimAbl %s into %s\n", version, *out)
	if want["linux"] {
		step("linux tarball", func() error { return linux(*out, version) })
	}
	if want["windows"] {
		step("windows exe", func() error { return windows(*out, version) })
	}
	if want["macos"] {
		step("macOS app", func() error { return macos(*out, version) })
	}
	if err := sums(*out); err != nil {
		fail("SHA256SUMS: %v", err)
	}
}

func step(name string, f func() error) {
	if err := f(); err != nil {
		fail("%s: %v", name, err)
	}
}

func linux(out, version string) error {
	if runtime.GOOS != "linux" {
		fmt.Println("dist: skipping the Linux tarball (build it on Linux)")
		return nil
	}
	tmp, err := os.MkdirTemp("", "vimabl-dist-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "vimabl")
	if err := run(nil, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "."); err != nil {
		return err
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	path := filepath.Join(out, packaging.TarballName(version))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := packaging.WriteTarball(f, data, version); err != nil {
		f.Close()
		return err
	}
	fmt.Println("dist:", path)
	return f.Close()
}

// windows builds the GUI .exe with its resources, and the installer where
// Inno Setup is installed.
func windows(out, version string) error {
	path := filepath.Join(out, "vimabl-"+version+"-windows-amd64.exe")
	if err := packaging.BuildWindowsExe(".", path, version); err != nil {
		return err
	}
	fmt.Println("dist:", path)
	if iscc, err := exec.LookPath("iscc"); err == nil {
		abs, _ := filepath.Abs(path)
		if err := run(nil, iscc, "/DAppVersion="+version, "/DExe="+abs, filepath.Join("packaging", "windows", "vimabl.iss")); err != nil {
			return err
		}
	} else {
		fmt.Println("dist: Inno Setup (iscc) not installed; the installer is built by the release workflow on Windows")
	}
	return nil
}

func macos(out, version string) error {
	if runtime.GOOS != "darwin" {
		fmt.Println("dist: skipping VimAbl.app (fyne's Cocoa driver builds only on macOS; the release workflow does it)")
		return nil
	}
	app := filepath.Join(out, "VimAbl.app")
	os.RemoveAll(app)
	for _, d := range []string{"Contents/MacOS", "Contents/Resources"} {
		if err := os.MkdirAll(filepath.Join(app, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(app, "Contents", "Info.plist"), packaging.InfoPlist(version), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(app, "Contents", "Resources", "vimabl.icns"), icons.ICNS(), 0o644); err != nil {
		return err
	}
	// A universal binary: one build per architecture, joined by lipo.
	var parts []string
	for _, arch := range []string{"arm64", "amd64"} {
		p := filepath.Join(out, "vimabl-darwin-"+arch)
		if err := run([]string{"CGO_ENABLED=1", "GOOS=darwin", "GOARCH=" + arch, "MACOSX_DEPLOYMENT_TARGET=" + packaging.MinMacOS},
			"go", "build", "-trimpath", "-ldflags", "-s -w", "-o", p, "."); err != nil {
			return err
		}
		parts = append(parts, p)
	}
	exe := filepath.Join(app, "Contents", "MacOS", "vimabl")
	if err := run(nil, "lipo", append([]string{"-create", "-output", exe}, parts...)...); err != nil {
		return err
	}
	for _, p := range parts {
		os.Remove(p)
	}
	if id := os.Getenv("VIMABL_CODESIGN_IDENTITY"); id != "" {
		if err := run(nil, "codesign", "--force", "--options", "runtime", "--timestamp", "--sign", id, app); err != nil {
			return err
		}
		if profile := os.Getenv("VIMABL_NOTARY_PROFILE"); profile != "" {
			zip := filepath.Join(out, "VimAbl-"+version+"-macos.zip")
			if err := run(nil, "ditto", "-c", "-k", "--keepParent", app, zip); err != nil {
				return err
			}
			if err := run(nil, "xcrun", "notarytool", "submit", zip, "--keychain-profile", profile, "--wait"); err != nil {
				return err
			}
			if err := run(nil, "xcrun", "stapler", "staple", app); err != nil {
				return err
			}
		}
	}
	zip := filepath.Join(out, "VimAbl-"+version+"-macos.zip")
	os.Remove(zip)
	if err := run(nil, "ditto", "-c", "-k", "--keepParent", app, zip); err != nil {
		return err
	}
	fmt.Println("dist:", app, "and", zip)
	return nil
}

// sums writes SHA256SUMS for the files in out (sha256sum's format).
func sums(out string) error {
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	var lines []string
	for _, e := range entries {
		if e.IsDir() || e.Name() == "SHA256SUMS" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		lines = append(lines, hex.EncodeToString(sum[:])+"  "+e.Name())
	}
	sort.Strings(lines)
	fmt.Printf("dist: SHA256SUMS (%d files)\n", len(lines))
	return os.WriteFile(filepath.Join(out, "SHA256SUMS"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

func run(env []string, name string, args ...string) error { return runIn("", env, name, args...) }

func runIn(dir string, env []string, name string, args ...string) error {
	return packaging.RunTool(dir, env, name, args...)
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "dist: "+format+"\n", a...)
	os.Exit(1)
}
