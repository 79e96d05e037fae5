//go:build unix

package livelog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mkfifo makes a named pipe at dir/name; when the test ends it is opened
// for writing once, so that anything stuck opening it for reading is freed.
func mkfifo(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	return p
}

// within fails the test if f does not return within d.
func within(t *testing.T, what string, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// issue 10 item 4: with a FIFO as Log.txt the tailer used to block in open
// until someone wrote to it, and the bridge could not exit. It is refused
// before it is opened, told once, and Run stops promptly when cancelled.
func TestTailRefusesFIFOAndStopsPromptly(t *testing.T) {
	path := mkfifo(t, t.TempDir(), "Log.txt")
	var err error
	within(t, "ReadTail of a FIFO", 2*time.Second, func() { _, _, err = ReadTail(path, 10) })
	if !errors.Is(err, ErrNotRegularFile) || !strings.Contains(err.Error(), "Log.txt at "+path+" is a named pipe (FIFO), not a regular file; VimAbl reads only regular files") {
		t.Fatalf("ReadTail: %v", err)
	}

	errs := make(chan error, 10)
	c := &collector{}
	tl := &Tail{Path: path, Lines: 10, Poll: 5 * time.Millisecond, Emit: c.emit, OnErr: func(err error) { errs <- err }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.Run(ctx) }()
	select {
	case err := <-errs:
		if !errors.Is(err, ErrNotRegularFile) {
			t.Fatalf("OnErr got %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the FIFO was not refused within 2 s")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return within 2 s of its cancel")
	}
	if len(errs) != 0 {
		t.Fatalf("the same problem reported again on a later poll: %v", <-errs)
	}
	// However often it is polled, the problem is new only once.
	for i := 0; i < 3; i++ {
		if err, fresh := tl.step(); !errors.Is(err, ErrNotRegularFile) || fresh {
			t.Fatalf("poll %d: %v, reported as new: %v", i, err, fresh)
		}
	}
	if m := c.messages(); len(m) != 1 || !strings.Contains(m[0], "named pipe") {
		t.Fatalf("want one entry about the pipe, got %q", m)
	}
}

// issue 10 item 4: a symlink to a regular file is followed; one to a
// device (/dev/zero never ends) is refused.
func TestTailSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.txt")
	appendFile(t, real, scriptLine("through the link"))
	link := filepath.Join(dir, "Log.txt")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	step(t, newTail(link, 10, c))
	expect(t, c, "through the link")

	dev := filepath.Join(dir, "zero.txt")
	if err := os.Symlink("/dev/zero", dev); err != nil {
		t.Fatal(err)
	}
	var err error
	within(t, "a step on /dev/zero", 2*time.Second, func() { err = newTail(dev, 10, &collector{}).Step() })
	if !errors.Is(err, ErrNotRegularFile) || !strings.Contains(err.Error(), "character device") {
		t.Fatalf("/dev/zero: %v", err)
	}
}

// issue 10 item 4: a FIFO swapped in between the check and the open cannot
// block the open (O_NONBLOCK), and the open file is checked again.
func TestOpenOfFIFODoesNotBlock(t *testing.T) {
	path := mkfifo(t, t.TempDir(), "Log.txt")
	within(t, "opening a FIFO", 2*time.Second, func() {
		f, err := openNonBlocking(path)
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || st.Mode().IsRegular() {
			t.Errorf("the opened FIFO looks like a regular file: %v %v", st.Mode(), err)
		}
	})
}
