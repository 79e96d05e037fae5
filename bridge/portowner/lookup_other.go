//go:build !linux && !darwin && !windows

package portowner

import (
	"context"
	"fmt"
	"runtime"
)

// lookup has no way to ask this OS.
func lookup(ctx context.Context, network string, port int) (Owner, error) {
	return Owner{}, fmt.Errorf("%w on %s", ErrCannotTell, runtime.GOOS)
}
