"""Fire-and-forget OSC events over UDP, off Live's main thread.

Live's main thread only numbers an event and appends it to a queue
(``emit``): no encoding and no socket call happen there, so a burst of
changes costs Live microseconds. A sender thread wakes up, encodes and sends
what is queued: several events go out as one OSC bundle of their
``/live/seq`` messages, in order, each datagram at most MAX_DATAGRAM bytes;
a lone event goes as a plain message, as it always did. A storm of 10 000
changes so takes about a hundred datagrams instead of one per event, which
costs the sender thread (and Python's GIL, which Live's main thread needs)
far fewer socket calls, and the bridge far fewer reads.

A send that fails (nobody listening, WinError 10054 on Windows, a full buffer)
is counted and forgotten: the bridge notices the gap from the sequence numbers
and resynchronises. Every datagram leaves from the one socket opened in
``start``, so the bridge can tell this instance's events by their source.
"""

import collections
import socket
import threading
import time

from .logging_config import log
from .osc import BUNDLE_HEADER, bundle_element_size, encode_bundle, encode_event

# Events waiting for the sender thread. Far above any real burst (a Set of
# 100 tracks x 32 scenes loads in ~15 000 events); beyond it events are
# dropped and counted rather than growing without bound.
MAX_PENDING = 200000

# A large send buffer absorbs bursts when the receiver is momentarily slow.
SEND_BUFFER = 4 * 1024 * 1024

# The largest datagram the sender makes of several events: macOS refuses UDP
# datagrams over net.inet.udp.maxdgram, 9216 bytes by default. (One event
# larger than this, a very long log line, still goes alone.)
MAX_DATAGRAM = 8192


class UdpSender(object):
    """Numbers events on the caller's (main) thread and sends them on its own."""

    def __init__(self, host, port):
        # No defaults here: the ports are LiveState.DEFAULTS (held to the
        # bridge's by internal/ports) or config.json's.
        self.host = host
        self.port = port
        self._seq = 0
        self._pending = collections.deque()
        self._wake = threading.Event()
        self._armed = False  # a wake-up is already signalled
        self._held = 0  # > 0: a burst is being queued; wake the thread after it (hold())
        self._stop = threading.Event()
        self._thread = None
        self._sock = None
        self._sending = False  # the thread is sending what it took from the queue
        self.sent = 0  # events sent
        self.datagrams = 0  # datagrams they took
        self.errors = 0
        self.dropped = 0

    @property
    def seq(self):
        """The number of the last event emitted (0 before the first)."""
        return self._seq

    def start(self):
        """Open the socket and start the sender thread."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        except OSError:
            pass  # the OS may cap it; the default still works
        self._sock = sock
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="VimAbl-udp", daemon=True)
        self._thread.start()

    def emit(self, path, args=()):
        """Number one event and queue it; main thread only. Returns its seq."""
        self._seq += 1
        if len(self._pending) >= MAX_PENDING:
            self.dropped += 1
            return self._seq
        self._pending.append((self._seq, time.time(), path, args))
        if not self._armed and not self._held:
            self._armed = True
            self._wake.set()
        return self._seq

    def hold(self):
        """A context that queues a burst (a tick's trailing edges) without
        waking the sender thread per event, and wakes it once at the end.

        Woken at the first event, the thread would encode and send while the
        main thread still queues, and the two would trade Python's GIL for
        the whole burst: a thousand trailing edges then cost Live's timer
        tens of milliseconds instead of one or two."""
        return _Hold(self)

    def _release(self):
        self._held -= 1
        if not self._held and self._pending and not self._armed:
            self._armed = True
            self._wake.set()

    def stop(self, timeout=1.0):
        """Send what is queued (best effort), stop the thread, close the socket."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None

    def flush(self, timeout=1.0):
        """Wait until everything queued has been sent (tests and benchmarks)."""
        deadline = time.time() + timeout
        while (self._pending or self._sending) and time.time() < deadline:
            self._wake.set()
            time.sleep(0.0005)
        return not (self._pending or self._sending)

    def _run(self):
        while True:
            self._wake.wait()
            self._wake.clear()
            self._armed = False
            self._sending = True
            self._send_pending()
            self._sending = False
            if self._stop.is_set():
                self._send_pending()
                return

    def _send_pending(self):
        pending = self._pending
        addr = (self.host, self.port)
        sock = self._sock
        batch = []  # encoded messages of the next datagram, in order
        size = len(BUNDLE_HEADER)
        while pending:
            seq, ts, path, args = pending.popleft()
            try:
                data = encode_event(seq, ts, path, args)
            except (ValueError, TypeError) as exc:
                self.errors += 1
                log("UDP", "cannot encode %s #%d: %s" % (path, seq, exc), "ERROR")
                continue
            if batch and size + bundle_element_size(data) > MAX_DATAGRAM:
                self._send(sock, addr, batch)
                batch, size = [], len(BUNDLE_HEADER)
            batch.append(data)
            size += bundle_element_size(data)
        if batch:
            self._send(sock, addr, batch)

    def _send(self, sock, addr, messages):
        """One datagram: a lone message as it is, several as a bundle."""
        data = messages[0] if len(messages) == 1 else encode_bundle(messages)
        try:
            sock.sendto(data, addr)
            self.sent += len(messages)
            self.datagrams += 1
        except (OSError, AttributeError):
            # Nobody listening (ECONNREFUSED / WinError 10054), buffer
            # full, or the socket was closed by stop(): fire-and-forget.
            self.errors += len(messages)


class _Hold(object):
    __slots__ = ("sender",)

    def __init__(self, sender):
        self.sender = sender

    def __enter__(self):
        self.sender._held += 1
        return self

    def __exit__(self, *exc):
        self.sender._release()
        return False
