package livelog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNotRegularFile is wrapped by the error for a log path that is not a
// regular file (a named pipe, a folder, a device, a socket).
var ErrNotRegularFile = errors.New("not a regular file")

// notRegularError says, in one sentence, what the path is instead.
type notRegularError struct {
	path string
	mode fs.FileMode
}

func (e *notRegularError) Error() string {
	return fmt.Sprintf("%s at %s is %s, not a regular file; VimAbl reads only regular files",
		filepath.Base(e.path), e.path, kindOf(e.mode))
}

func (e *notRegularError) Unwrap() error { return ErrNotRegularFile }

// kindOf names what a non-regular file is, for a person.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "something other than a file"
}

// CheckLog reports whether path can be followed as Live's log: nil for a
// regular file (or a symlink to one), an error wrapping fs.ErrNotExist if
// there is nothing there, one wrapping ErrNotRegularFile for anything else.
// It only stats the path, so it never blocks.
func CheckLog(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("Live's log: %w", err)
	}
	if !st.Mode().IsRegular() {
		return &notRegularError{path: path, mode: st.Mode()}
	}
	return nil
}

// openLog opens Live's log for reading, refusing anything but a regular
// file before it is opened: opening a FIFO blocks until a writer appears,
// which kept the bridge from exiting. The open itself cannot block either
// (O_NONBLOCK where the OS has it, for a FIFO swapped in after the stat),
// and the open file is checked again.
func openLog(path string) (*os.File, fs.FileInfo, error) {
	if err := CheckLog(path); err != nil {
		return nil, nil, err
	}
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open Live's log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("stat Live's log: %w", err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, &notRegularError{path: path, mode: st.Mode()}
	}
	return f, st, nil
}
