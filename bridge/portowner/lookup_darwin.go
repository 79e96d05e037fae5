package portowner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// lsofPath is where macOS ships lsof; PATH is the fallback for a system
// that moved it.
const lsofPath = "/usr/sbin/lsof"

// lookup asks lsof for the process, then ps for its command line and
// executable path.
func lookup(ctx context.Context, network string, port int) (Owner, error) {
	lsof := lsofPath
	if _, err := os.Stat(lsof); err != nil {
		p, lerr := exec.LookPath("lsof")
		if lerr != nil {
			return Owner{}, fmt.Errorf("%w: no lsof: %v", ErrCannotTell, err)
		}
		lsof = p
	}
	// -n -P: no DNS or service-name lookups (slow, and the port must stay
	// a number); -w: no warnings on stderr about unreadable file systems.
	args := []string{"-nP", "-w", "-Fpcn"}
	if network == "tcp" {
		args = append(args, "-iTCP:"+strconv.Itoa(port), "-sTCP:LISTEN")
	} else {
		args = append(args, "-iUDP:"+strconv.Itoa(port))
	}
	out, err := exec.CommandContext(ctx, lsof, args...).Output()
	pid, command, ok := parseLsofFields(string(out), port)
	if !ok {
		var exit *exec.ExitError
		switch {
		case ctx.Err() != nil:
			return Owner{}, fmt.Errorf("%w: lsof: %v", ErrCannotTell, ctx.Err())
		case err == nil || (errors.As(err, &exit) && exit.ExitCode() == 1):
			// lsof exits 1 when it lists nothing. It cannot see other
			// users' processes without root, so "nothing" may mean one.
			return Owner{}, fmt.Errorf("%w: lsof lists none (it does not see other users' processes without root)", ErrNotFound)
		default:
			return Owner{}, fmt.Errorf("%w: lsof: %v", ErrCannotTell, err)
		}
	}
	o := Owner{PID: pid, Name: command}
	// -ww: no cut at the terminal's width (there is none here).
	if out, err := exec.CommandContext(ctx, "/bin/ps", "-ww", "-o", "command=", "-p", strconv.Itoa(pid)).Output(); err == nil {
		o.CommandLine = strings.TrimSpace(string(out))
	}
	// comm is the executable's path on macOS for most processes; use it
	// only when it is one (it serves the "same executable as ours" check).
	if out, err := exec.CommandContext(ctx, "/bin/ps", "-o", "comm=", "-p", strconv.Itoa(pid)).Output(); err == nil {
		if c := strings.TrimSpace(string(out)); filepath.IsAbs(c) {
			o.Exe = c
			if o.Name == "" {
				o.Name = filepath.Base(c)
			}
		}
	}
	return o, nil
}
