package portowner

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
)

// A real second bind of a taken port is "in use"; other bind failures are
// not (issue 12: Wine's refused socket option was reported as a conflict).
func TestIsAddrInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = net.Listen("tcp", l.Addr().String())
	if err == nil {
		t.Fatal("a second listener on the same port was allowed")
	}
	if !IsAddrInUse(err) {
		t.Errorf("second bind: %v not classified as in use", err)
	}
	if !IsAddrInUse(fmt.Errorf("wrapped: %w", syscall.Errno(10048))) {
		t.Error("WSAEADDRINUSE not classified as in use")
	}
	for _, e := range []error{
		syscall.EACCES,
		syscall.EADDRNOTAVAIL,
		syscall.Errno(10045),                 // WSAEOPNOTSUPP: what Wine 8 answers to SIO_UDP_NETRESET
		errors.New("address already in use"), // words alone are not the error
	} {
		if IsAddrInUse(e) {
			t.Errorf("%v classified as in use", e)
		}
	}
}
