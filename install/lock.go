package install

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LockName is the install lock, a small hidden file inside Remote Scripts.
// It stays there between installs (see acquireLock for why it is never
// removed) and holds the pid of the last install that took it.
const LockName = ".VimAbl-install.lock"

// How long a second install waits for the first, and how often it looks.
// An install takes milliseconds, so a few seconds covers a double click or
// the tray app and `vimabl install` at once; anything longer is stuck or
// slow enough that the user should hear about it.
const (
	DefaultLockWait = 5 * time.Second
	lockPoll        = 50 * time.Millisecond
)

// ErrBusy is wrapped by the error an install returns when another install
// holds the lock for longer than it waits.
var ErrBusy = errors.New("another install is running")

// errLocked is what tryLockFile returns when someone else holds the lock.
var errLocked = errors.New("locked")

// installLock is held from before an install looks at Remote Scripts until
// it has finished changing it.
type installLock struct{ f *os.File }

// acquireLock takes the install lock of a Remote Scripts folder, waiting up
// to wait (DefaultLockWait when 0) for another install to let go; after
// that it returns an error wrapping ErrBusy that names the holder's pid.
//
// The lock is an operating-system lock on the file, not the file's mere
// existence: flock on Unix, an open handle that shares no write access on
// Windows (see lock_*.go). The kernel drops it when its process ends, however
// it ends, so a killed install never leaves a stale lock, there is no pid to
// test for liveness (os.FindProcess always succeeds on Windows, and a dead
// install's pid may belong to another program by now) and no racy take-over.
// For the same reason the file is never removed: deleting a locked file lets
// a third install lock a new file of the same name while a second waits on
// the old one, and both would go ahead.
func acquireLock(scripts string, wait time.Duration) (*installLock, error) {
	if wait <= 0 {
		wait = DefaultLockWait
	}
	path := filepath.Join(scripts, LockName)
	deadline := time.Now().Add(wait)
	for {
		f, err := tryLockFile(path)
		if err == nil {
			if err := writePid(f); err != nil {
				f.Close()
				return nil, explain("writing", path, err)
			}
			return &installLock{f: f}, nil
		}
		if !errors.Is(err, errLocked) {
			return nil, err
		}
		if !time.Now().Before(deadline) {
			return nil, busyError(path)
		}
		time.Sleep(lockPoll)
	}
}

// release lets the next install go ahead. Closing the file releases the
// lock on every OS.
func (l *installLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
	}
}

// writePid records our pid for the message a waiting install prints. The pid
// and its newline go first and the file is cut after them, so a reader
// never sees a mix of two pids on the first line.
func writePid(f *os.File) error {
	line := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if _, err := f.WriteAt(line, 0); err != nil {
		return err
	}
	return f.Truncate(int64(len(line)))
}

// busyError is the sentence for a lock held too long, with the holder's pid
// when the file says it.
func busyError(path string) error {
	who := "pid unknown"
	if f, err := os.Open(path); err == nil {
		buf := make([]byte, 32)
		n, _ := io.ReadFull(f, buf)
		f.Close()
		first, _, _ := strings.Cut(string(buf[:n]), "\n")
		if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 {
			who = "pid " + strconv.Itoa(pid)
		}
	}
	return fmt.Errorf("%w (%s, holding %s); try again when it has finished", ErrBusy, who, path)
}
