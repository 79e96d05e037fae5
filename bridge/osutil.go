package bridge

import (
	"errors"
	"os"
	"syscall"
)

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// isAddrInUse reports a bind failure because another socket holds the port
// (EADDRINUSE; WSAEADDRINUSE is 10048 on Windows).
func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.Errno(10048))
}
