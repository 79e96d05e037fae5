package packaging

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vimabl/vimabl/icons"
)

// WindowsCC and WindowsWindres are mingw-w64's C compiler and resource
// compiler, which cross-build the Windows .exe (cgo for fyne, the .rsrc).
const (
	WindowsCC      = "x86_64-w64-mingw32-gcc"
	WindowsWindres = "x86_64-w64-mingw32-windres"
)

// BuildWindowsExe builds the release's vimabl.exe into path from the
// repository at root: a GUI program (-H windowsgui, no console window) with
// the icon, version and manifest resources, cross-compiled with mingw-w64
// (on Windows, with the gcc and windres on PATH). `make dist` and the Wine
// tests (packaging/wine) both use it, so the tests run what users get.
//
// The resources are compiled into rsrc_windows_amd64.syso beside main.go,
// which the Go linker picks up from the main package's folder; it exists
// for the duration of the build only.
func BuildWindowsExe(root, path, version string) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	cc, windres := WindowsCC, WindowsWindres
	if runtime.GOOS == "windows" {
		cc, windres = "gcc", "windres"
	}
	for _, tool := range []string{cc, windres} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is required (Debian: apt-get install gcc-mingw-w64-x86-64)", tool)
		}
	}
	tmp, err := os.MkdirTemp("", "vimabl-winres-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ico, manifest, rc := filepath.Join(tmp, "vimabl.ico"), filepath.Join(tmp, "vimabl.exe.manifest"), filepath.Join(tmp, "vimabl.rc")
	if err := os.WriteFile(ico, icons.ICO([]int{16, 32, 48, 256}), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(manifest, Manifest(), 0o644); err != nil {
		return err
	}
	text, err := RCFile(version, ico, manifest)
	if err != nil {
		return err
	}
	if err := os.WriteFile(rc, []byte(text), 0o644); err != nil {
		return err
	}
	syso := filepath.Join(root, "rsrc_windows_amd64.syso")
	if err := RunTool("", nil, windres, "-O", "coff", "-i", rc, "-o", syso); err != nil {
		return fmt.Errorf("compiling the resources: %w", err)
	}
	defer os.Remove(syso)
	env := []string{"CGO_ENABLED=1", "GOOS=windows", "GOARCH=amd64", "CC=" + cc}
	return RunTool(root, env, "go", "build", "-trimpath", "-ldflags", "-H windowsgui -s -w", "-o", path, ".")
}

// RunTool runs a build tool in dir with extra environment variables; its
// error carries the tool's stderr.
func RunTool(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stdout = os.Stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return nil
}
