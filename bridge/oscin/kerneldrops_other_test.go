//go:build !linux

package oscin

// kernelDrops is not known on this OS: tests size their rounds to fit the
// socket buffer and wait for every datagram they sent.
func kernelDrops(port int) (drops uint64, ok bool) { return 0, false }
