//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vimabl/vimabl/app"
	"github.com/vimabl/vimabl/internal/testkit"
)

// startVimabl starts this test binary as `vimabl args…` (TestHelperVimabl)
// with env replacing the named variables ("NAME=" removes one), and stops it
// when the test ends. It returns the process, its stderr, and a channel
// that yields its exit error once.
func startVimabl(t *testing.T, env map[string]string, args ...string) (*exec.Cmd, *testkit.SyncBuffer, <-chan error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestHelperVimabl$", "--"}, args...)...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, replaced := env[name]; !replaced {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		if v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Env = append(cmd.Env, helperEnv+"=1")
	stderr := &testkit.SyncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return cmd, stderr, exited
}

// Xvfb starts a virtual X server with extra arguments and returns its
// display name; it is stopped when the test ends. -displayfd makes Xvfb
// pick a free display and say which once it accepts connections.
func xvfb(t *testing.T, extra ...string) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("Xvfb is not installed (make deps installs xvfb)")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", append([]string{"-displayfd", "3", "-screen", "0", "640x480x24", "-nolisten", "tcp"}, extra...)...)
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not report its display: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}

// Guards issue 12 item 1: `vimabl` where no window can be shown no longer
// panics in fyne's driver ("NotInitialized") or quits without a word: it says
// why and what to do in one message on stderr, and the bridge keeps serving
// (/healthz answers) until SIGTERM, when it exits 0.
func TestAppWithoutAWindowKeepsTheBridgeRunning(t *testing.T) {
	cases := []struct {
		name string
		env  func(t *testing.T) map[string]string
		want []string
	}{
		{"no DISPLAY", func(*testing.T) map[string]string { return map[string]string{"DISPLAY": "", "WAYLAND_DISPLAY": ""} },
			[]string{"VimAbl cannot open its window: no display (DISPLAY and WAYLAND_DISPLAY are not set).", "run `vimabl bridge` instead"}},
		// A display that nobody serves: GLFW itself fails (X11 says why).
		{"DISPLAY without an X server", func(*testing.T) map[string]string {
			return map[string]string{"DISPLAY": ":65000", "WAYLAND_DISPLAY": ""}
		}, []string{"VimAbl cannot open its window: no display (X11: Failed to open display :65000)"}},
		// An X server without GLX: the window system is there, OpenGL is
		// not (what a VM without 3D or a remote session looks like).
		{"X without OpenGL", func(t *testing.T) map[string]string {
			return map[string]string{"DISPLAY": xvfb(t, "-extension", "GLX"), "WAYLAND_DISPLAY": ""}
		}, []string{"VimAbl cannot open its window: OpenGL 2.1 is not available (GLX: ", "libgl1-mesa-dri"}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			ws := testkit.FreePort(t, "tcp")
			cmd, stderr, exited := startVimabl(t, c.env(t), "--ws-port", strconv.Itoa(ws),
				"--events-port", strconv.Itoa(testkit.FreePort(t, "udp")), "--command-port", strconv.Itoa(testkit.FreePort(t, "tcp")),
				"--live-log", "/nonexistent/Log.txt")
			testkit.WaitFor(t, "the headless bridge to answer /healthz", 15*time.Second, func() bool {
				r, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", ws))
				if err != nil {
					return false
				}
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
				return true
			})
			out := stderr.String()
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("stderr lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "NotInitialized") {
				t.Errorf("a panic on the way:\n%s", out)
			}
			if n := strings.Count(out, "VimAbl cannot open its window"); n != 1 {
				t.Errorf("the message is said %d times, want once", n)
			}
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("exit after SIGTERM: %v\n%s", err, out)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("still running 5 s after SIGTERM\n%s", stderr.String())
			}
		})
	}
}

// The Windows text of the same message is a message box's: it must say what
// the two buttons do, since the GUI build has no console (issue 12 item 1).
func TestNoWindowMessageOnWindows(t *testing.T) {
	msg := noWindowMessage(fmt.Errorf("%w (WGL: The driver does not appear to support OpenGL)", app.ErrNoOpenGL), "windows")
	for _, w := range []string{"OpenGL 2.1 is not available (WGL: The driver does not appear to support OpenGL).",
		"turn on 3D acceleration", "OK keeps the bridge running; Cancel quits VimAbl."} {
		if !strings.Contains(msg, w) {
			t.Errorf("lacks %q:\n%s", w, msg)
		}
	}
	if strings.Contains(noWindowMessage(app.ErrNoDisplay, "linux"), "OK keeps") {
		t.Error("the Linux text must not offer buttons")
	}
}
