//go:build !unix

package livelog

import "os"

// openNonBlocking opens path read-only. Windows has no O_NONBLOCK for
// files; its named pipes live under \\.\pipe\ and fail the stat check.
func openNonBlocking(path string) (*os.File, error) {
	return os.Open(path)
}
