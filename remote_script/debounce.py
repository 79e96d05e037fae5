"""Leading edge at once, at most one event per tick, the final value always.

Dragging a fader produces a change per pixel, and automation changes a
parameter on every audio block. The first change of a burst is sent at once
(so a controller feels instant); later changes only mark the control; on
Live's next 100 ms tick (``tick()`` from ``update_display``) every marked
control sends once, reading its value *then* -- the final value, read once
however many changes came -- and its window stays open one more tick. A
control therefore sends at most one event between two ticks, and its last
event carries the value it settled on.

A change costs a dictionary look-up: no read of Live, no event. The tick
costs one read and one event per control that changed more than once, so an
automation storm of a thousand parameters is a thousand events per tick, not
a thousand per change.

Keys identify a control (an observer object and a property), not an index:
``send()`` reads the control's *current* index and value when it runs, so a
track deleted or moved meanwhile is reported where it is now (or not at all).
"""


class Debouncer(object):
    """Per-key leading edge and per-tick trailing edge; main thread only."""

    def __init__(self):
        # key -> the send of a pending trailing edge, or None (open, quiet)
        self._open = {}
        self.leading = 0
        self.trailing = 0
        self.suppressed = 0  # changes folded into a trailing edge

    def __len__(self):
        return len(self._open)

    def touch(self, key, send):
        """The control ``key`` changed: ``send()`` now, or on the next tick."""
        opened = self._open
        if key in opened:
            self.suppressed += 1
            opened[key] = send
            return
        opened[key] = None
        self.leading += 1
        send()

    def tick(self):
        """Live's timer: send each marked control once; close quiet windows.
        Returns how many were sent."""
        opened = self._open
        if not opened:
            return 0
        self._open = still = {}
        sent = 0
        for key, send in opened.items():
            if send is not None:
                still[key] = None  # open one more tick: a drag stays rate-limited
                sent += 1
                send()
        self.trailing += sent
        # A trailing edge is not a change: suppressed counted the changes it
        # folded, minus the one it sends.
        self.suppressed -= sent
        return sent

    def flush_all(self):
        """Send every marked control now and close every window (before a
        snapshot, on shutdown). Returns how many were sent."""
        opened, self._open = self._open, {}
        pending = [send for send in opened.values() if send is not None]
        for send in pending:
            send()
        self.trailing += len(pending)
        self.suppressed -= len(pending)
        return len(pending)

    def forget(self, predicate):
        """Drop the windows whose key matches (their control is gone)."""
        for key in [k for k in self._open if predicate(k)]:
            del self._open[key]
