"""The command port: TCP 127.0.0.1:9001, one line in, one JSON object out.

This is what Hammerspoon configs use (``echo "GET_VIEW" | nc -w 1 127.0.0.1
9001``): a client connects, sends ``COMMAND[:arg[:arg]]``, gets exactly one
JSON object and a newline, and the server closes the connection. The newline
is optional: end of stream also ends the line, and so does a pause of QUIET
seconds after the last byte, for clients that write the command without one
and wait for the reply with their side still open (VimAbl's first server
took whatever the first read returned; those clients still work).

One thread watches every connection with a selector and only reads: a
client that sends nothing, sends junk, sends a huge line or trickles one byte
a second costs a buffer and a deadline, never a thread, so a thousand of them
do not delay a real command. A complete line is answered at once when it is
junk, and otherwise handed to a short-lived thread that runs the command
(which may wait for Live's main thread). Nothing here touches Live.

``stop()`` closes the listening socket itself and every thread notices within
a tenth of a second, so a new script instance (Control Surface toggled, a Set
opened) can bind the port again at once.
"""

import errno
import json
import os
import selectors
import socket
import threading
import time

from .logging_config import log

MAX_LINE = 64 * 1024  # bytes, without the newline
CLIENT_TIMEOUT = 2.0  # seconds a client may take to send its line
QUIET = 0.1  # seconds without a byte that end a line sent without a newline
MAX_RUNNING = 64  # commands running at once; more get an immediate "busy"
# Connections being read at once. Past it the oldest is told so and closed:
# a flood of idle connections can never lock a real client out. Windows'
# select() watches at most 512 sockets.
MAX_OPEN = 500 if os.name == "nt" else 900
POLL = 0.1  # how often the threads look at the stop flag
RETRY_BIND = 3.0  # seconds between attempts when the port is taken


def error_reply(message):
    return {"success": False, "error": message}


def encode_reply(reply):
    """One JSON object and a newline; never raises."""
    try:
        text = json.dumps(reply)
    except (TypeError, ValueError) as exc:
        text = json.dumps(error_reply("reply could not be encoded: %s" % exc))
    return (text + "\n").encode("utf-8")


def parse_line(data, ended):
    """Validate what a client sent. Returns (line, None) or (None, problem).

    ``ended`` is True when the line is complete (newline or end of stream).
    """
    if len(data) > MAX_LINE:
        return None, "command line longer than 64 KiB"
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return None, "binary data received; send one text line such as GET_VIEW"
    text = text.strip()
    if any(ord(c) < 32 and c != "\t" for c in text):
        return None, "binary data received; send one text line such as GET_VIEW"
    if not text:
        return None, "empty command; send one line such as GET_VIEW"
    return text, None


class _Conn(object):
    __slots__ = ("sock", "buf", "deadline", "opened", "quiet_at")

    def __init__(self, sock, now):
        self.sock = sock
        self.buf = bytearray()
        self.opened = now
        self.deadline = now + CLIENT_TIMEOUT
        self.quiet_at = None  # when buf, still without a newline, counts as the line


class CommandServer(object):
    def __init__(self, host, port, handler, on_bind_error=None):
        """``handler(line) -> dict`` runs on a command thread;
        ``on_bind_error(message)`` is told (once per failure streak) that the
        port is taken."""
        self.host = host
        self.port = port
        self.handler = handler
        self.on_bind_error = on_bind_error
        self.address = None  # (host, port) once bound
        self._sock = None
        self._stop = threading.Event()
        self._thread = None
        self._running = set()
        self._lock = threading.Lock()
        self.served = 0
        self.rejected = 0
        self.evicted = 0

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="VimAbl-commands", daemon=True)
        self._thread.start()

    def stop(self, timeout=1.0):
        """Close the port and end every thread within ``timeout`` seconds."""
        self._stop.set()
        sock = self._sock
        self._sock = None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        deadline = time.time() + timeout
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.time()))
            self._thread = None
        with self._lock:
            running = list(self._running)
        for t in running:
            t.join(max(0.0, deadline - time.time()))
        self.address = None

    def wait_bound(self, timeout=2.0):
        """Wait until the port is bound (tests, the fake Live's ready line)."""
        deadline = time.time() + timeout
        while self.address is None and time.time() < deadline and not self._stop.is_set():
            time.sleep(0.005)
        return self.address

    # --- listening

    def _bind(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if os.name == "nt":
                # SO_REUSEADDR on Windows lets another program steal a bound
                # port; the exclusive option is the safe equivalent.
                sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_EXCLUSIVEADDRUSE", -5), 1)
            else:
                # Lets a new instance bind while connections of the previous
                # one sit in TIME_WAIT; it never allows two listeners.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            sock.setblocking(False)
        except Exception:
            sock.close()
            raise
        return sock

    def _run(self):
        failing = False
        while not self._stop.is_set():
            try:
                sock = self._bind()
            except OSError as exc:
                if not failing:
                    failing = True
                    self._report_bind_error(exc)
                self._stop.wait(RETRY_BIND)
                continue
            if self._stop.is_set():
                sock.close()
                return
            self._sock = sock
            self.address = sock.getsockname()[:2]
            if failing:
                log("Server", "port %d is free again; listening on %s:%d" % (self.port, self.address[0], self.address[1]),
                    "WARNING")
            else:
                log("Server", "listening on %s:%d" % self.address)
            try:
                self._serve(sock)
            except Exception as exc:  # never let the command port die silently
                log("Server", "command port loop failed: %s" % exc, "ERROR")
            return

    def _report_bind_error(self, exc):
        if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1), 10048):
            msg = ("VimAbl: port %d is used by another program; Hammerspoon commands will not work "
                   "until it is free (retrying every %d s)" % (self.port, RETRY_BIND))
        else:
            msg = "VimAbl: cannot listen on %s:%d: %s (retrying every %d s)" % (self.host, self.port, exc, RETRY_BIND)
        log("Server", msg, "ERROR")
        if self.on_bind_error is not None:
            try:
                self.on_bind_error(msg)
            except Exception:
                pass

    # --- the selector loop: reads lines, never runs commands

    def _serve(self, listener):
        sel = selectors.DefaultSelector()
        sel.register(listener, selectors.EVENT_READ, None)
        conns = {}  # socket -> _Conn, in arrival order (dicts keep it)
        try:
            while not self._stop.is_set():
                timeout = POLL
                quiet = [c.quiet_at for c in conns.values() if c.quiet_at is not None]
                if quiet:
                    timeout = max(0.0, min(POLL, min(quiet) - time.time()))
                try:
                    ready = sel.select(timeout)
                except (OSError, ValueError):
                    return  # the listener was closed by stop()
                now = time.time()
                for key, _ in ready:
                    if key.data is None:
                        self._accept(listener, sel, conns, now)
                    else:
                        self._read(key.data, sel, conns)
                self._expire(sel, conns, now)
        finally:
            for c in list(conns.values()):
                self._finish(sel, conns, c, None, "the Remote Script is shutting down")
            sel.close()

    def _accept(self, listener, sel, conns, now):
        while True:
            try:
                sock, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sock.setblocking(False)
            if len(conns) >= MAX_OPEN:
                # The oldest connection has had the longest to send its line.
                oldest = next(iter(conns.values()))
                self.evicted += 1
                self._finish(sel, conns, oldest, None, "too many open connections; closed the oldest idle one")
            c = _Conn(sock, now)
            conns[sock] = c
            sel.register(sock, selectors.EVENT_READ, c)

    def _read(self, c, sel, conns):
        try:
            chunk = c.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._finish(sel, conns, c, None, "connection error: %s" % exc)
            return
        nl = chunk.find(b"\n")
        if nl >= 0:
            c.buf += chunk[:nl]
            self._complete(sel, conns, c)
            return
        c.buf += chunk
        if len(c.buf) > MAX_LINE:
            self._finish(sel, conns, c, None, "command line longer than 64 KiB")
        elif not chunk:
            self._complete(sel, conns, c)  # end of stream ends the line
        else:
            c.quiet_at = time.time() + QUIET

    def _complete(self, sel, conns, c):
        line, problem = parse_line(c.buf, True)
        self._finish(sel, conns, c, line, problem)

    def _expire(self, sel, conns, now):
        for c in [c for c in conns.values() if c.quiet_at is not None and c.quiet_at <= now]:
            self._complete(sel, conns, c)  # a pause after the last byte ends the line
        for c in [c for c in conns.values() if c.deadline <= now]:
            if c.buf:
                problem = "no end of line within %g s (send one line ending with a newline)" % CLIENT_TIMEOUT
            else:
                problem = "no command received within %g s" % CLIENT_TIMEOUT
            self._finish(sel, conns, c, None, problem)

    def _finish(self, sel, conns, c, line, problem):
        """Stop reading c; answer a problem at once, or run the command."""
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError, OSError):
            pass
        conns.pop(c.sock, None)
        if problem is not None:
            self._reply_and_close(c.sock, error_reply(problem), wait=False)
            return
        with self._lock:
            busy = len(self._running) >= MAX_RUNNING
        if busy:
            self.rejected += 1
            self._reply_and_close(c.sock, error_reply("server busy: %d commands in progress" % MAX_RUNNING), wait=False)
            return
        t = threading.Thread(target=self._command, args=(c.sock, line), name="VimAbl-command", daemon=True)
        with self._lock:
            self._running.add(t)
        t.start()

    def _command(self, sock, line):
        try:
            if self._stop.is_set():
                reply = error_reply("the Remote Script is shutting down")
            else:
                try:
                    reply = self.handler(line)
                except Exception as exc:
                    log("Server", "command %r failed: %s" % (line[:80], exc), "ERROR")
                    reply = error_reply("internal error: %s" % exc)
            self.served += 1
            self._reply_and_close(sock, reply, wait=True)
        finally:
            with self._lock:
                self._running.discard(threading.current_thread())

    def _reply_and_close(self, sock, reply, wait):
        """Send one reply and close. ``wait=False`` (the selector thread)
        never blocks: a client that does not read its error loses it."""
        data = encode_reply(reply)
        try:
            if wait:
                sock.setblocking(True)
                sock.settimeout(CLIENT_TIMEOUT)
                sock.sendall(data)
            else:
                sock.send(data)  # small: fits the socket buffer unless the peer is gone
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        except OSError:
            pass  # the client left; nothing to tell it
        finally:
            try:
                sock.close()
            except OSError:
                pass
