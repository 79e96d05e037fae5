"""Leading-edge debounce with a guaranteed trailing edge.

Dragging a fader produces a change per pixel. The first change of a burst is
sent at once (so a controller feels instant), later ones inside the window
only remember the newest value, and the window's end always sends that final
value — the receiver never keeps a stale intermediate. Windows end on Live's
100 ms tick (``flush_due`` from ``update_display``), so a sustained drag is
sent at most once per tick per control.

Keys identify a control (an observer object and a property), not an index:
the send callback reads the control's *current* index when the trailing edge
fires, so a track deleted or moved meanwhile is reported where it is now.
"""

import time


class Debouncer(object):
    """Per-key leading/trailing debounce; main thread only."""

    def __init__(self, interval=0.05, clock=time.monotonic):
        self.interval = interval
        self._clock = clock
        # key -> [deadline, has_pending, value, send]
        self._windows = {}
        self.leading = 0
        self.trailing = 0
        self.suppressed = 0

    def __len__(self):
        return len(self._windows)

    def submit(self, key, value, send):
        """Report a new value; ``send(value)`` runs now or at the window's end."""
        w = self._windows.get(key)
        if w is None:
            self._windows[key] = [self._clock() + self.interval, False, None, send]
            self.leading += 1
            send(value)
            return
        if w[1]:
            self.suppressed += 1
        w[1] = True
        w[2] = value
        w[3] = send

    def flush_due(self, now=None):
        """Send the trailing edge of every expired window. Returns how many were sent."""
        if not self._windows:
            return 0
        if now is None:
            now = self._clock()
        sent = 0
        expired = [k for k, w in self._windows.items() if w[0] <= now]
        for key in expired:
            w = self._windows[key]
            if w[1]:
                # Keep the window open one more interval: a drag that goes on
                # stays rate-limited instead of turning every change into a
                # leading edge.
                w[0] = now + self.interval
                w[1] = False
                value, send = w[2], w[3]
                w[2] = None
                self.trailing += 1
                sent += 1
                send(value)
            else:
                del self._windows[key]
        return sent

    def flush_all(self):
        """Send every pending trailing edge now (before a snapshot or on shutdown)."""
        pending = [(k, w) for k, w in self._windows.items() if w[1]]
        self._windows.clear()
        for _, w in pending:
            self.trailing += 1
            w[3](w[2])
        return len(pending)

    def forget(self, predicate):
        """Drop windows whose key matches (their control is gone)."""
        for key in [k for k in self._windows if predicate(k)]:
            del self._windows[key]
