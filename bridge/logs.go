package bridge

import (
	"context"
	"time"

	"github.com/vimabl/vimabl/bridge/livelog"
)

// Live's log: Log.txt followed by livelog.Tail, and the script's /live/log
// events, merged in one ring (Engine.Logs).

func newLogRing() *livelog.Ring {
	r := livelog.NewRing(livelog.DefaultRingSize)
	r.SetHoldback(logHoldback)
	return r
}

// logHoldback is how long Live's log lines wait in the ring before the UI
// sees them, so that the two ways they arrive are merged in time order:
// /live/log events come at once, lines only in Log.txt (Live's own,
// tracebacks) up to one tick plus one poll later (100 ms + 250 ms).
const logHoldback = 500 * time.Millisecond

// logsAppended tells the UI about new log lines once they are past the
// ring's holdback: one timer at a time, re-armed while lines still wait.
func (e *Engine) logsAppended() {
	if !e.logs.Pending() {
		e.notify()
		return
	}
	if e.logTimer.CompareAndSwap(false, true) {
		time.AfterFunc(logHoldback, func() {
			e.logTimer.Store(false)
			e.notify()
			e.logsAppended()
		})
	}
}

func (e *Engine) logLoop(ctx context.Context) {
	for ctx.Err() == nil {
		path, err := livelog.FindLog(e.cfg.LiveLogPath)
		if err != nil {
			e.mu.Lock()
			e.st.logFound = false
			e.mu.Unlock()
			if !sleep(ctx, findLogEvery) {
				return
			}
			continue
		}
		e.mu.Lock()
		e.st.logPath = path
		e.mu.Unlock()
		t := &livelog.Tail{
			Path:  path,
			Lines: tailLines,
			Emit: func(es []livelog.Entry) {
				e.logs.Append(es...)
				// Entries come with a problem too (the tailer's note that
				// the path became a folder, say): look again.
				e.checkLog(path)
				e.logsAppended()
			},
			// The tailer reports each problem once, not on every poll.
			OnErr: func(err error) {
				e.log.Warn("reading Live's log", "err", err)
				e.checkLog(path)
			},
		}
		e.checkLog(path)
		t.Run(ctx)
		return
	}
}

// checkLog records whether Live's log at path can be followed: only a
// regular file is "found" (a FIFO or a folder named Log.txt is not). It
// only stats the path.
func (e *Engine) checkLog(path string) {
	found := livelog.CheckLog(path) == nil
	e.mu.Lock()
	e.st.logFound = found
	e.mu.Unlock()
}

// sleep waits d or until ctx is done; false if ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
