package oscin

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// kernelDrops is how many datagrams the kernel dropped for the IPv4 UDP
// socket bound to port because its receive buffer was full: the drops
// column of /proc/net/udp. ok is false if the socket is not listed.
func kernelDrops(port int) (drops uint64, ok bool) {
	data, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return 0, false
	}
	suffix := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 13 || !strings.HasSuffix(f[1], suffix) {
			continue
		}
		n, err := strconv.ParseUint(f[len(f)-1], 10, 64)
		return n, err == nil
	}
	return 0, false
}
