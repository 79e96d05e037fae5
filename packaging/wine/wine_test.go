//go:build linux

package wine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/vimabl/vimabl/internal/testkit"
	"github.com/vimabl/vimabl/packaging"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// The fixture every test of the package shares: built and set up once per
// run by TestMain, because the cross-build takes minutes with a cold cache
// and a Wine prefix seconds and ~700 MB.
var (
	exePath string   // the release .exe, "" if it could not be built
	exeSkip string   // why not
	box     *machine // the Wine machine, nil without Wine
	boxSkip string   // why not
)

// user is the Windows user of the prefix: a space and a non-ASCII letter
// in every profile path (C:\users\Zoë Tester\…), as many real users have.
const user = "Zoë Tester"

// machine is one Wine prefix with VimAbl installed the way the Windows
// installer does (%LOCALAPPDATA%\Programs\VimAbl\vimabl.exe).
type machine struct {
	root    string // the temporary folder holding everything below
	prefix  string // WINEPREFIX
	driveD  string // mapped to D:
	driveE  string // mapped to E:
	winExe  string // vimabl.exe's Windows path
	display string // the Xvfb display the prefix's desktop runs on, "" without Xvfb
	env     []string
}

func TestMain(m *testing.M) {
	start := time.Now()
	root, err := os.MkdirTemp("", "vimabl-wine-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code, timing := setUpAndRun(m, root)
	os.RemoveAll(root)
	fmt.Printf("wine: %s; the whole package %s\n", timing, time.Since(start).Round(time.Second))
	os.Exit(code)
}

// setUpAndRun builds the .exe and the Wine machine, runs the tests and
// tears the machine down; it returns the exit code and where the time went.
func setUpAndRun(m *testing.M, root string) (int, string) {
	t0 := time.Now()
	exe := filepath.Join(root, "vimabl.exe")
	if _, err := exec.LookPath(packaging.WindowsCC); err != nil {
		exeSkip = "mingw-w64 is not installed (make deps installs gcc-mingw-w64-x86-64): no Windows build to test"
	} else if err := packaging.BuildWindowsExe("../..", exe, remotescript.Version()); err != nil {
		fmt.Fprintln(os.Stderr, "building the Windows .exe:", err)
		return 1, "the Windows build failed"
	} else {
		exePath = exe
	}
	timing := fmt.Sprintf("Windows .exe built in %s", time.Since(t0).Round(time.Second))
	if exeSkip != "" {
		boxSkip = exeSkip
		fmt.Println("wine: skipped:", exeSkip)
		return m.Run(), timing
	}
	t1 := time.Now()
	b, stop, err := newMachine(root, exePath)
	switch {
	case errors.Is(err, errNoWine):
		boxSkip = err.Error()
		fmt.Println("wine: skipped:", boxSkip)
	case err != nil:
		fmt.Fprintln(os.Stderr, "setting up Wine:", err)
		return 1, timing
	default:
		box = b
		defer stop()
		timing += fmt.Sprintf(", Wine prefix ready in %s", time.Since(t1).Round(time.Second))
	}
	t2 := time.Now()
	code := m.Run()
	return code, timing + fmt.Sprintf(", tests %s", time.Since(t2).Round(time.Second))
}

var errNoWine = errors.New("wine is not installed (make deps installs Debian's wine and wine64; the Windows build is not run)")

// newMachine creates the prefix: Xvfb for its desktop (when installed), a
// persistent wineserver, wineboot, the stand-in bcryptprimitives.dll, drives
// D: and E:, and vimabl.exe. stop ends every process it started.
func newMachine(root, exe string) (*machine, func(), error) {
	for _, tool := range []string{"wine", "wineboot", "wineserver"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, nil, errNoWine
		}
	}
	b := &machine{root: root, prefix: filepath.Join(root, "prefix"), driveD: filepath.Join(root, "drive-d"), driveE: filepath.Join(root, "drive-e")}
	home := filepath.Join(root, "home")
	// The prefix folder first: wineserver starts in it.
	for _, d := range []string{b.prefix, filepath.Join(home, "Documents"), b.driveD, b.driveE} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, nil, err
		}
	}
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	// The prefix's desktop (explorer.exe, the tray) lives on the display of
	// the wineserver's first client, so Xvfb comes first.
	if _, err := exec.LookPath("Xvfb"); err == nil {
		display, stopX, err := startXvfb("1280x800x24")
		if err != nil {
			return nil, nil, err
		}
		b.display = display
		stops = append(stops, stopX)
	}
	b.env = wineEnv(os.Environ(), map[string]string{
		"WINEPREFIX": b.prefix,
		"WINEARCH":   "win64",
		"WINEDEBUG":  "-all",
		// No dialog offering to download Mono and Gecko.
		"WINEDLLOVERRIDES": "mscoree,mshtml=",
		"HOME":             home,
		"USER":             user,
		"LOGNAME":          user,
		"LANG":             "C.UTF-8",
		"DISPLAY":          b.display,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// A persistent wineserver: without it each command would start one and
	// the desktop anew (seconds each).
	// (No output captured: the server it leaves running would hold the pipe.)
	// It lingers 60 s after the last Windows program, not for ever, in case
	// this run is killed before it stops it.
	if err := b.tool(ctx, "wineserver", "-p60").Run(); err != nil {
		stop()
		return nil, nil, fmt.Errorf("wineserver -p60: %v", err)
	}
	stops = append(stops, func() {
		kctx, kcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer kcancel()
		b.tool(kctx, "wineserver", "-k").Run()
		b.tool(kctx, "wineserver", "-w").Run()
	})
	// wineboot's output is kept in a file, not a pipe: explorer.exe and the
	// services it starts outlive it and inherit its output.
	bootLog := filepath.Join(root, "wineboot.log")
	if err := b.toolLogged(ctx, bootLog, "wineboot", "-i"); err != nil {
		stop()
		out, _ := os.ReadFile(bootLog)
		return nil, nil, fmt.Errorf("wineboot -i: %v\n%s", err, out)
	}
	system32 := filepath.Join(b.prefix, "drive_c", "windows", "system32")
	if out, err := exec.CommandContext(ctx, packaging.WindowsCC, "-shared", "-O2", "-s", "-o", filepath.Join(system32, "bcryptprimitives.dll"),
		"testdata/bcryptprimitives.c", "testdata/bcryptprimitives.def", "-ladvapi32").CombinedOutput(); err != nil {
		stop()
		return nil, nil, fmt.Errorf("building the stand-in bcryptprimitives.dll: %v\n%s", err, out)
	}
	for letter, dir := range map[string]string{"d:": b.driveD, "e:": b.driveE} {
		if err := os.Symlink(dir, filepath.Join(b.prefix, "dosdevices", letter)); err != nil {
			stop()
			return nil, nil, err
		}
	}
	b.winExe = b.profile() + `\AppData\Local\Programs\VimAbl\vimabl.exe`
	if err := copyFile(exe, b.host(b.winExe)); err != nil {
		stop()
		return nil, nil, err
	}
	return b, stop, nil
}

// wineEnv is base without what would leak the host's session into Wine
// (display, D-Bus, another prefix), plus set ("" values are left out).
func wineEnv(base []string, set map[string]string) []string {
	var env []string
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if _, ours := set[name]; ours || name == "WAYLAND_DISPLAY" || name == "DBUS_SESSION_BUS_ADDRESS" || strings.HasPrefix(name, "WINE") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// startXvfb starts a virtual X server and returns its display once it
// accepts connections (-displayfd: Xvfb picks a free display and writes it
// when ready, so nothing waits on the clock).
func startXvfb(screen string, extra ...string) (string, func(), error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", append([]string{"-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp"}, extra...)...)
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // gone with a killed test run
	if err := cmd.Start(); err != nil {
		w.Close()
		return "", nil, fmt.Errorf("starting Xvfb: %w", err)
	}
	w.Close()
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("Xvfb did not report its display: %w", err)
	}
	return ":" + strings.TrimSpace(line), stop, nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}

// need returns the Wine machine or skips the test, saying why.
func need(t *testing.T) *machine {
	t.Helper()
	if box == nil {
		t.Skip(boxSkip)
	}
	return box
}

// profile is the user's profile folder, C:\users\Zoë Tester.
func (b *machine) profile() string { return `C:\users\` + user }

// appData is %APPDATA%.
func (b *machine) appData() string { return b.profile() + `\AppData\Roaming` }

// host is the Linux path of a Windows path on C:, D: or E:.
func (b *machine) host(win string) string {
	drive, rest, ok := strings.Cut(win, `:\`)
	if !ok {
		panic("not an absolute Windows path: " + win)
	}
	var base string
	switch strings.ToUpper(drive) {
	case "C":
		base = filepath.Join(b.prefix, "drive_c")
	case "D":
		base = b.driveD
	case "E":
		base = b.driveE
	default:
		panic("no such drive in the test prefix: " + win)
	}
	return filepath.Join(base, filepath.FromSlash(strings.ReplaceAll(rest, `\`, "/")))
}

// tool is a Wine tool (wine, wineboot, wineserver) in the prefix's environment.
func (b *machine) tool(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = b.env
	cmd.Dir = b.root
	// A Wine service the command starts (rpcss, explorer) inherits its
	// output and outlives it: do not wait for that pipe to close.
	cmd.WaitDelay = 3 * time.Second
	return cmd
}

// toolLogged runs a Wine tool with its output going to the file logPath.
func (b *machine) toolLogged(ctx context.Context, logPath, name string, args ...string) error {
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := b.tool(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	return cmd.Run()
}

// result is what a finished Windows command printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// run runs vimabl.exe with args and waits for it.
func (b *machine) run(t *testing.T, args ...string) result {
	t.Helper()
	return b.exec(t, nil, append([]string{b.winExe}, args...))
}

// reg runs Wine's reg.exe (the registry as `reg` on Windows sees it).
func (b *machine) reg(t *testing.T, args ...string) result {
	t.Helper()
	return b.exec(t, nil, append([]string{"reg"}, args...))
}

// exec runs a Windows command line under wine with extra environment
// variables and waits for it (90 s at most).
func (b *machine) exec(t *testing.T, env []string, argv []string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := b.tool(ctx, "wine", argv...)
	cmd.Env = append(append([]string(nil), b.env...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("wine %s: still running after 90 s\n%s", strings.Join(argv, " "), stderr.String())
	}
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("wine %s: %v", strings.Join(argv, " "), err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// proc is a Windows program running in the background.
type proc struct {
	cmd    *exec.Cmd
	stderr *testkit.SyncBuffer
	exited chan struct{}
	err    error // valid once exited is closed
}

// start starts vimabl.exe with args and extra environment variables in the
// background, and kills it when the test ends.
func (b *machine) start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := b.tool(context.Background(), "wine", append([]string{b.winExe}, args...)...)
	cmd.Env = append(append([]string(nil), b.env...), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // gone with a killed test run
	p := &proc{cmd: cmd, stderr: &testkit.SyncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout = p.stderr
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill ends the program (wine's loader is the Windows process itself) and
// waits for it.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// wait waits up to d for the program to exit and returns its exit code,
// or -1 if it is still running.
func (p *proc) wait(d time.Duration) int {
	select {
	case <-p.exited:
		var ee *exec.ExitError
		if errors.As(p.err, &ee) {
			return ee.ExitCode()
		}
		if p.err != nil {
			return -2
		}
		return 0
	case <-time.After(d):
		return -1
	}
}

// mustContain fails the test for every want missing from got. Runs of
// spaces count as one (the reports align their columns).
func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	squashed := spaces.ReplaceAllString(got, " ")
	for _, w := range wants {
		if !strings.Contains(squashed, spaces.ReplaceAllString(w, " ")) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

var spaces = regexp.MustCompile(` {2,}`)

// regString reads a string value from the registry as Windows programs see
// it. It goes through `reg export`, whose file is UTF-16: `reg query`
// prints in the console's OEM code page, which mangles "ë".
func (b *machine) regString(t *testing.T, key, name string) (string, bool) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "export.reg")
	if r := b.reg(t, "export", key, `Z:`+strings.ReplaceAll(file, "/", `\`), "/y"); r.code != 0 {
		t.Fatalf("reg export %s: exit %d\n%s%s", key, r.code, r.stdout, r.stderr)
	}
	raw, err := os.ReadFile(file)
	if err != nil || len(raw) < 2 || len(raw)%2 != 0 {
		t.Fatalf("reading the export of %s: %v", key, err)
	}
	units := make([]uint16, 0, len(raw)/2)
	for i := 0; i+1 < len(raw); i += 2 {
		units = append(units, uint16(raw[i])|uint16(raw[i+1])<<8)
	}
	text := strings.TrimPrefix(string(utf16.Decode(units)), "\ufeff")
	// A string value is one line: "name"="value", with \ and \" escaped.
	prefix := `"` + name + `"="`
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, prefix) && strings.HasSuffix(line, `"`) {
			v := line[len(prefix) : len(line)-1]
			return strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(v), true
		}
	}
	return "", false
}

// writeFile writes a file (making its folders) on the Linux side.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
