package portbind

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vimabl/vimabl/internal/testkit"
)

// reports records what Retry reported.
type reports struct {
	mu sync.Mutex
	st []State
}

func (r *reports) add(s State) {
	r.mu.Lock()
	r.st = append(r.st, s)
	r.mu.Unlock()
}

func (r *reports) last() (State, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.st) == 0 {
		return State{}, 0
	}
	return r.st[len(r.st)-1], len(r.st)
}

// Issue 11/12, moved here by issue 16 (one bind-and-retry loop for both
// ports): a port another socket holds is a conflict, reported once however
// often it is tried, and bound as soon as it is free.
func TestRetryReportsAConflictOnceAndBindsWhenFreed(t *testing.T) {
	holder, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := holder.Addr().String()
	var r reports
	var ln net.Listener
	done := make(chan bool, 1)
	go func() {
		done <- Retry(context.Background(), Config{Network: "tcp", Addr: addr, Every: 5 * time.Millisecond, Report: r.add}, func() (net.Addr, error) {
			var err error
			if ln, err = net.Listen("tcp", addr); err != nil {
				return nil, err
			}
			return ln.Addr(), nil
		})
	}()
	testkit.WaitFor(t, "the conflict to be reported", 5*time.Second, func() bool { _, n := r.last(); return n > 0 })
	st, _ := r.last()
	if st.OK || !st.Conflict || !strings.Contains(st.Err, "VimAbl retries every 5ms") || st.Fix == "" {
		t.Fatalf("state while held: %+v", st)
	}
	holder.Close()
	if !<-done {
		t.Fatal("Retry gave up")
	}
	defer ln.Close()
	st, n := r.last()
	if !st.OK || st.Err != "" || st.Addr != addr || n != 2 {
		t.Fatalf("after the holder left: %+v after %d reports, want bound at %s after 2 (the conflict once, then bound)", st, n, addr)
	}
}

// Issue 12: a bind refused for another reason than a holder says the OS's
// words and what VimAbl cannot do, never "another program".
func TestRetryRefusalIsNotAConflict(t *testing.T) {
	var r reports
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool, 1)
	go func() {
		done <- Retry(ctx, Config{Network: "udp", Addr: "192.0.2.1:9002", Every: 5 * time.Millisecond, Report: r.add}, func() (net.Addr, error) {
			c, err := net.ListenPacket("udp", "192.0.2.1:9002") // TEST-NET-1: on no interface here
			if err != nil {
				return nil, err
			}
			c.Close()
			return c.LocalAddr(), nil
		})
	}()
	testkit.WaitFor(t, "the refusal to be reported", 5*time.Second, func() bool { _, n := r.last(); return n > 0 })
	cancel()
	if <-done {
		t.Fatal("Retry says bound")
	}
	st, _ := r.last()
	if st.OK || st.Conflict || strings.Contains(st.Err+st.Fix, "another program") {
		t.Fatalf("a refusal taken for a conflict: %+v", st)
	}
	if !strings.Contains(st.Err, "192.0.2.1:9002 (UDP): bind:") || !strings.Contains(st.Err, "cannot receive Live's events") {
		t.Fatalf("want the address, the OS's words and what VimAbl cannot do: %q", st.Err)
	}
}
