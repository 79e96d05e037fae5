package portowner

import (
	"strconv"
	"strings"
)

// parseLsofFields finds the process holding port in lsof's field output
// (-F pcn). Each line is one field: its first character names it and the
// rest is the value. A "p" line (pid) starts a process, "c" is its command
// name (in full: the 9-character cut applies only to lsof's columns), "f"
// starts one of its files and "n" is that file's name, for a socket
// "127.0.0.1:9002", "*:9002", "[::1]:8765" or
// "127.0.0.1:50000->127.0.0.1:9002" for a connected one. Other fields are
// ignored.
//
// lsof's -i:port matches the local or the remote port, so a program that
// merely sends to 9002 is listed too; only a name whose local side (before
// "->") has this port counts. The first such process wins.
func parseLsofFields(out string, port int) (pid int, command string, ok bool) {
	want := strconv.Itoa(port)
	curPID, curCmd := 0, ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		val := line[1:]
		switch line[0] {
		case 'p':
			n, err := strconv.Atoi(val)
			if err != nil {
				curPID = 0
				continue
			}
			curPID, curCmd = n, ""
		case 'c':
			curCmd = val
		case 'n':
			local, _, _ := strings.Cut(val, "->")
			colon := strings.LastIndexByte(local, ':')
			if curPID > 0 && colon >= 0 && local[colon+1:] == want {
				return curPID, curCmd, true
			}
		}
	}
	return 0, "", false
}
