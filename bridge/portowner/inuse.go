package portowner

import (
	"errors"
	"syscall"
)

// wsaeaddrinuse is Windows' "address already in use" (WSAEADDRINUSE);
// syscall.EADDRINUSE on Windows is an invented number that no socket call
// returns, so both are checked.
const wsaeaddrinuse = syscall.Errno(10048)

// IsAddrInUse reports whether a bind failed because another socket holds the
// port. Only that is a port conflict: any other bind error (no permission,
// an address that is not local, Wine refusing a socket option) is a different
// problem with its own words, and must not send the user looking for a
// program to quit.
func IsAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, wsaeaddrinuse)
}
