//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// issue 10 item 4: `vimabl logs` on a named pipe or a folder says what it
// is in one sentence and exits at once instead of blocking in open.
func TestLogsRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "Log.txt")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		// Frees an open stuck on the pipe if the refusal ever regresses.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	for _, args := range [][]string{{"--live-log", fifo}, {"-f", "--live-log", fifo}, {"--live-log", dir}} {
		done := make(chan struct{})
		var code int
		var errOut string
		go func() {
			defer close(done)
			code, _, errOut = runLogsCmd(t, args...)
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("vimabl logs %q did not return within 2 s", args)
		}
		if code != 1 || !strings.Contains(errOut, "not a regular file; VimAbl reads only regular files") ||
			strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("vimabl logs %q: exit %d, %q", args, code, errOut)
		}
	}
}
