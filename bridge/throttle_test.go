package bridge

import (
	"testing"
	"time"
)

// A stream of events the mirror rejects yields one warning per
// applyWarnEvery, each saying how many were held back since the last one.
func TestThrottleLetsOneLineThroughPerPeriodAndCountsTheRest(t *testing.T) {
	var th throttle
	t0 := time.Unix(1_700_000_000, 0)
	if held, ok := th.allow(t0); !ok || held != 0 {
		t.Fatalf("first warning: ok=%v held=%d, want true 0", ok, held)
	}
	// 10 000 events a second for one period: all held back.
	step := time.Second / 10000
	n := int(applyWarnEvery/step) - 1
	for i := 1; i <= n; i++ {
		if _, ok := th.allow(t0.Add(time.Duration(i) * step)); ok {
			t.Fatalf("event %d, %v after the first warning, was let through", i, time.Duration(i)*step)
		}
	}
	held, ok := th.allow(t0.Add(applyWarnEvery))
	if !ok || held != n {
		t.Fatalf("after one period: ok=%v held=%d, want true %d", ok, held, n)
	}
	if held, ok := th.allow(t0.Add(3 * applyWarnEvery)); !ok || held != 0 {
		t.Fatalf("after a quiet spell: ok=%v held=%d, want true 0", ok, held)
	}
}
