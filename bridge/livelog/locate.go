package livelog

import (
	"errors"
	"fmt"
	"os"
)

// ErrNoLiveLog is returned (wrapped) by FindLog when no Live preferences
// folder with a Log.txt exists on this machine.
var ErrNoLiveLog = errors.New("no Live preferences folder with a Log.txt found")

// FindLog returns the Log.txt to read: override when it is set (the user's
// --live-log), else the log of the most recently used Live version on this
// machine (macOS and Windows preference folders, see docs/LIVE_NOTES). The
// returned path need not exist yet when override is used: Live creates its
// log when it starts, and Tail waits for it.
func FindLog(override string) (string, error) {
	if override != "" {
		return override, nil
	}
	candidates, err := logCandidates()
	if err != nil {
		return "", fmt.Errorf("find Live's log: %w", err)
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if len(candidates) > 0 {
		// Live is installed but has not written a log yet: follow the
		// newest version's, it will appear.
		return candidates[0], nil
	}
	return "", fmt.Errorf("find Live's log: %w (pass --live-log FILE)", ErrNoLiveLog)
}
