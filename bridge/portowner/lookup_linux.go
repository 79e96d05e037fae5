package portowner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxProcesses caps the /proc scan: a desktop has a few hundred processes;
// past this many the machine is unusual enough to give up rather than spend
// the status refresh on it.
const maxProcesses = 20000

// lookup finds the socket's inode in /proc/net, then the process that has
// it open.
func lookup(ctx context.Context, network string, port int) (Owner, error) {
	var socks []procSocket
	for _, table := range []string{"/proc/net/" + network, "/proc/net/" + network + "6"} {
		f, err := os.Open(table)
		if errors.Is(err, fs.ErrNotExist) && strings.HasSuffix(table, "6") {
			continue // a kernel without IPv6
		}
		if err != nil {
			return Owner{}, fmt.Errorf("%w: %v", ErrCannotTell, err)
		}
		s, err := parseProcNet(f, port, network == "tcp")
		f.Close()
		if err != nil {
			return Owner{}, fmt.Errorf("%w: %s: %v", ErrCannotTell, table, err)
		}
		socks = append(socks, s...)
	}
	if len(socks) == 0 {
		what := "socket is bound to it"
		if network == "tcp" {
			what = "program listens on it"
		}
		return Owner{}, fmt.Errorf("%w: no %s (/proc/net/%s)", ErrNotFound, what, network)
	}
	inodes := make(map[uint64]bool, len(socks))
	for _, s := range socks {
		inodes[s.Inode] = true
	}
	pid, err := findSocketPID(ctx, inodes)
	if err != nil {
		if ctx.Err() != nil {
			return Owner{}, fmt.Errorf("%w: %w", ErrCannotTell, err)
		}
		return Owner{}, fmt.Errorf("%w: the socket belongs to uid %d: %v", ErrCannotTell, socks[0].UID, err)
	}
	return readProcess(pid), nil
}

// findSocketPID scans /proc/<pid>/fd for a link to one of inodes and
// returns the first process that has it. Processes whose fd folder this
// user may not read (other users' processes) are skipped; the scan stops
// at maxProcesses or when ctx is done.
func findSocketPID(ctx context.Context, inodes map[uint64]bool) (int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return 0, err
	}
	defer d.Close()
	// Directory order, not sorted: the whole list is read once anyway and
	// sorting thousands of names buys nothing.
	entries, err := d.ReadDir(-1)
	if err != nil {
		return 0, err
	}
	scanned, skipped := 0, 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("gave up after %d processes: %w", scanned, err)
		}
		if scanned++; scanned > maxProcesses {
			return 0, fmt.Errorf("gave up after %d processes", maxProcesses)
		}
		fdDir := filepath.Join("/proc", e.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			skipped++ // another user's process, or it just exited
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil {
				continue
			}
			if n, ok := socketInode(link); ok && inodes[n] {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no process of %d readable ones has it open (%d not readable by this user)", scanned-skipped, skipped)
}

// readProcess describes pid from /proc. A field the OS does not give (the
// process exited meanwhile, exe of another user's process) stays empty.
func readProcess(pid int) Owner {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	o := Owner{PID: pid}
	if exe, err := os.Readlink(filepath.Join(dir, "exe")); err == nil {
		o.Exe = strings.TrimSuffix(exe, " (deleted)")
	}
	comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
	exeBase := ""
	if o.Exe != "" {
		exeBase = filepath.Base(o.Exe)
	}
	o.Name = procName(strings.TrimRight(string(comm), "\n"), exeBase)
	if raw, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		o.CommandLine = joinCmdline(raw)
	}
	return o
}
