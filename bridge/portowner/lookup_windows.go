package portowner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
)

// iphlpapi is loaded from System32 only (NewLazySystemDLL), never from the
// folder vimabl.exe sits in, so a planted DLL there is not picked up.
var (
	iphlpapi                = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetExtendedTcpTable = iphlpapi.NewProc("GetExtendedTcpTable")
	procGetExtendedUdpTable = iphlpapi.NewProc("GetExtendedUdpTable")
)

// TCP_TABLE_CLASS / UDP_TABLE_CLASS values and address families (iprtrmib.h).
const (
	tcpTableOwnerPIDListener = 3
	udpTableOwnerPID         = 1
	afInet                   = 2
	afInet6                  = 23
	systemPID                = 4 // the kernel's System process (HTTP.sys ports)
)

// lookup finds the owning pid in the IPv4 then the IPv6 table and names its
// executable.
func lookup(ctx context.Context, network string, port int) (Owner, error) {
	type table struct {
		af     uint32
		layout rowLayout
	}
	proc, class := procGetExtendedTcpTable, uint32(tcpTableOwnerPIDListener)
	tables := []table{{afInet, tcp4Rows}, {afInet6, tcp6Rows}}
	if network == "udp" {
		proc, class = procGetExtendedUdpTable, udpTableOwnerPID
		tables = []table{{afInet, udp4Rows}, {afInet6, udp6Rows}}
	}
	if err := proc.Find(); err != nil {
		return Owner{}, fmt.Errorf("%w: %v", ErrCannotTell, err)
	}
	for _, t := range tables {
		if err := ctx.Err(); err != nil {
			return Owner{}, fmt.Errorf("%w: %v", ErrCannotTell, err)
		}
		buf, err := ownerTable(proc, t.af, class)
		if err != nil {
			return Owner{}, fmt.Errorf("%w: %v", ErrCannotTell, err)
		}
		pid, found, err := ownerPIDForPort(buf, t.layout, port)
		if err != nil {
			return Owner{}, fmt.Errorf("%w: %v", ErrCannotTell, err)
		}
		if found && pid == 0 {
			// Pid 0 is the System Idle Process, which holds no sockets: the
			// table does not know the owner (Wine fills 0 for every row).
			return Owner{}, fmt.Errorf("%w: the system lists the port without its owner", ErrCannotTell)
		}
		if found {
			return describeProcess(pid), nil
		}
	}
	what := "socket is bound to it"
	if network == "tcp" {
		what = "program listens on it"
	}
	return Owner{}, fmt.Errorf("%w: no %s", ErrNotFound, what)
}

// ownerTable calls GetExtendedTcpTable or GetExtendedUdpTable (same
// parameters: table, size, sort, family, class, reserved) until the buffer
// is big enough; the table can grow between the size query and the call.
func ownerTable(proc *windows.LazyProc, af, class uint32) ([]byte, error) {
	size := uint32(16 << 10)
	for try := 0; try < 4; try++ {
		buf := make([]byte, size)
		r, _, _ := proc.Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)), 0, uintptr(af), uintptr(class), 0)
		switch windows.Errno(r) {
		case 0:
			return buf[:min(int(size), len(buf))], nil
		case windows.ERROR_INSUFFICIENT_BUFFER:
			size += 4 << 10 // room for rows added meanwhile
			continue
		default:
			return nil, fmt.Errorf("%s: %w", proc.Name, windows.Errno(r))
		}
	}
	return nil, errors.New(proc.Name + ": the table kept growing")
}

// describeProcess names pid's executable. Without the right to query it
// (a protected or elevated process) the name stays empty.
func describeProcess(pid uint32) Owner {
	o := Owner{PID: int(pid)}
	if pid == systemPID {
		o.Name = "System"
		return o
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return o
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err != nil {
		return o
	}
	o.Exe = windows.UTF16ToString(buf[:n])
	o.Name = filepath.Base(o.Exe)
	return o
}
