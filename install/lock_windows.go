//go:build windows

package install

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errSharingViolation is ERROR_SHARING_VIOLATION, which the standard
// library's syscall does not name.
const errSharingViolation syscall.Errno = 32

// tryLockFile opens (creating if needed) the lock file for writing while
// sharing only read access: while this handle is open every other attempt
// to open it for writing fails with a sharing violation (errLocked), and a
// reader can still see the pid. Windows closes the handle when the process
// ends, however it ends. This needs nothing beyond syscall (LockFileEx is
// only in golang.org/x/sys, and its locks would also block reading the pid).
// FILE_FLAG_OPEN_REPARSE_POINT opens a symlink itself instead of its target;
// checkLockFile then refuses it.
func tryLockFile(path string) (*os.File, error) {
	name, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, explain("opening the install lock", path, err)
	}
	h, err := syscall.CreateFile(name, syscall.GENERIC_READ|syscall.GENERIC_WRITE, syscall.FILE_SHARE_READ, nil,
		syscall.OPEN_ALWAYS, syscall.FILE_ATTRIBUTE_HIDDEN|syscall.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if h == syscall.InvalidHandle {
		if errors.Is(err, errSharingViolation) {
			return nil, errLocked
		}
		return nil, explain("opening the install lock", path, err)
	}
	if err := checkLockFile(h, path); err != nil {
		syscall.CloseHandle(h)
		return nil, err
	}
	return os.NewFile(uintptr(h), path), nil
}

// checkLockFile refuses anything but a plain file with one name: writing
// our pid through a symlink or into a hard link would change a file outside
// Remote Scripts.
func checkLockFile(h syscall.Handle, path string) error {
	var info syscall.ByHandleFileInformation
	if err := syscall.GetFileInformationByHandle(h, &info); err != nil {
		return explain("checking", path, err)
	}
	if info.FileAttributes&(syscall.FILE_ATTRIBUTE_REPARSE_POINT|syscall.FILE_ATTRIBUTE_DIRECTORY) != 0 || info.NumberOfLinks != 1 {
		return fmt.Errorf("%s is not a plain file VimAbl made (a folder, a link or a hard link); remove it and try again", path)
	}
	return nil
}
