//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vimabl/vimabl/internal/testkit"
)

// helperEnv marks a child process started to be vimabl; its arguments
// follow "--" on its command line.
const helperEnv = "VIMABL_TEST_HELPER"

// TestHelperVimabl is not a test: it is `vimabl` itself when a test starts
// this test binary as a child with helperEnv set. It runs main's own
// dispatch (`run`), so the child is the real `vimabl bridge`: its signal
// handling, engine and ports. The test binary is used rather than a `go
// build` of the app, which takes minutes without a warm cache (fyne, cgo).
func TestHelperVimabl(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("runs only as a child process of another test")
	}
	for i, a := range os.Args {
		if a == "--" {
			os.Exit(run(os.Args[i+1:]))
		}
	}
	os.Exit(2)
}

// issue 10 item 4: with a FIFO as Log.txt, `vimabl bridge` closed its ports
// on SIGTERM but stayed alive in openat until someone wrote to the FIFO.
// Whatever odd thing Log.txt is, the process must exit within 2 s.
func TestBridgeExitsOnSIGTERMWhateverLogTxtIs(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo", "Log.txt")
	os.Mkdir(filepath.Dir(fifo), 0o755)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		// Frees an open stuck on the pipe (in a child that outlived its
		// test) once the test is over.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	folder := filepath.Join(dir, "folder", "Log.txt")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	device := filepath.Join(dir, "device", "Log.txt")
	os.Mkdir(filepath.Dir(device), 0o755)
	if err := os.Symlink("/dev/zero", device); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(dir, "sparse", "Log.txt")
	os.Mkdir(filepath.Dir(sparse), 0o755)
	if f, err := os.Create(sparse); err != nil {
		t.Fatal(err)
	} else {
		f.Truncate(2 << 30)
		f.Close()
	}
	for _, c := range []struct{ name, path string }{
		{"a named pipe", fifo}, {"a folder", folder}, {"a symlink to /dev/zero", device}, {"a 2 GB sparse file", sparse},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			exitsWithin2s(t, c.path)
		})
	}
}

// exitsWithin2s starts `vimabl bridge --live-log logPath`, waits until it
// serves and follows that path, sends SIGTERM and requires a clean exit
// within 2 s.
func exitsWithin2s(t *testing.T, logPath string) {
	ws := testkit.FreePort(t, "tcp")
	args := []string{"bridge", "--events-port", strconv.Itoa(testkit.FreePort(t, "udp")), "--ws-port", strconv.Itoa(ws),
		"--command-port", strconv.Itoa(testkit.FreePort(t, "tcp")), "--live-log", logPath}
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestHelperVimabl$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	// Serving, and the log loop has reached the tailer for this path.
	testkit.WaitFor(t, "the bridge to serve /status naming the log", 10*time.Second, func() bool {
		r, err := http.Get("http://127.0.0.1:" + strconv.Itoa(ws) + "/status")
		if err != nil {
			return false
		}
		defer r.Body.Close()
		var s struct {
			LiveLog string `json:"live_log"`
		}
		return json.NewDecoder(r.Body).Decode(&s) == nil && s.LiveLog == logPath
	})
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
		t.Logf("exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(2 * time.Second):
		cmd.Process.Kill()
		exited <- <-exited
		t.Fatalf("still running 2 s after SIGTERM\n%s", stderr.String())
	}
}
