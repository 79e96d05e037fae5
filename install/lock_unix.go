//go:build unix

package install

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// tryLockFile opens (creating if needed) the lock file without following a
// symlink and takes an exclusive flock on it without waiting; errLocked
// means another install holds it. flock belongs to the open file, not the
// process, so two goroutines of one process exclude each other as two
// processes do (fcntl locks would not).
func tryLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
			return nil, fmt.Errorf("%s is a symlink, which VimAbl does not follow; remove it and try again", path)
		}
		return nil, explain("opening the install lock", path, err)
	}
	if err := checkLockFile(f, path); err != nil {
		f.Close()
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, explain("locking", path, err)
	}
	return f, nil
}

// checkLockFile refuses anything but a plain file with one name: writing
// our pid into a hard link would change a file outside Remote Scripts.
func checkLockFile(f *os.File, path string) error {
	info, err := f.Stat()
	if err != nil {
		return explain("checking", path, err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !info.Mode().IsRegular() || ok && uint64(st.Nlink) != 1 {
		return fmt.Errorf("%s is not a plain file VimAbl made (a folder, a device or a hard link); remove it and try again", path)
	}
	return nil
}
