"""The command port: TCP 127.0.0.1:9001, one line in, one JSON object out.

This is what Hammerspoon configs use (``echo "GET_VIEW" | nc -w 1 127.0.0.1
9001``): a client connects, sends ``COMMAND[:arg[:arg]]`` (the newline is
optional: end of stream also ends the line), gets exactly one JSON object and
a newline, and the server closes the connection.

Each connection gets its own short-lived thread, so a client that sends
nothing, sends junk or sends a huge line only ever delays itself. Nothing here
touches Live: the handler hands Live work to the main thread.

``stop()`` closes the listening socket itself and every thread notices within
a tenth of a second, so a new script instance (Control Surface toggled, a Set
opened) can bind the port again at once.
"""

import errno
import json
import os
import select
import socket
import threading
import time

from .logging_config import log

MAX_LINE = 64 * 1024  # bytes, without the newline
CLIENT_TIMEOUT = 2.0  # seconds a client may take to send its line
MAX_CLIENTS = 64  # connections served at once; more get an immediate "busy"
POLL = 0.1  # how often blocked threads look at the stop flag
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


class CommandServer(object):
    def __init__(self, host, port, handler, on_bind_error=None):
        """``handler(line) -> dict`` runs on a connection thread;
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
        self._clients = set()
        self._lock = threading.Lock()
        self.served = 0
        self.rejected = 0

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
            clients = list(self._clients)
        for t in clients:
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
            sock.listen(64)
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
            self._accept_loop(sock)
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

    def _accept_loop(self, sock):
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([sock], [], [], POLL)
            except (OSError, ValueError):
                return  # closed by stop()
            if not ready:
                continue
            try:
                conn, _ = sock.accept()
            except OSError:
                if self._stop.is_set():
                    return
                continue
            with self._lock:
                busy = len(self._clients) >= MAX_CLIENTS
            if busy:
                self.rejected += 1
                self._reply_and_close(conn, error_reply("server busy: %d commands in progress" % MAX_CLIENTS))
                continue
            t = threading.Thread(target=self._serve, args=(conn,), name="VimAbl-client", daemon=True)
            with self._lock:
                self._clients.add(t)
            t.start()

    # --- one connection

    def _serve(self, conn):
        try:
            line, problem = self._read_line(conn)
            if problem is not None:
                reply = error_reply(problem)
            elif self._stop.is_set():
                reply = error_reply("the Remote Script is shutting down")
            else:
                try:
                    reply = self.handler(line)
                except Exception as exc:
                    log("Server", "command %r failed: %s" % (line[:80], exc), "ERROR")
                    reply = error_reply("internal error: %s" % exc)
            self.served += 1
            self._reply_and_close(conn, reply)
        finally:
            with self._lock:
                self._clients.discard(threading.current_thread())

    def _read_line(self, conn):
        """Returns (line, None) or (None, sentence saying what was wrong)."""
        buf = bytearray()
        deadline = time.time() + CLIENT_TIMEOUT
        conn.setblocking(False)
        while True:
            if self._stop.is_set():
                return None, "the Remote Script is shutting down"
            remaining = deadline - time.time()
            if remaining <= 0:
                if buf:
                    return None, "no end of line within %g s (send one line ending with a newline)" % CLIENT_TIMEOUT
                return None, "no command received within %g s" % CLIENT_TIMEOUT
            try:
                ready, _, _ = select.select([conn], [], [], min(POLL, remaining))
            except (OSError, ValueError):
                return None, "connection error"
            if not ready:
                continue
            try:
                chunk = conn.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                return None, "connection error: %s" % exc
            nl = chunk.find(b"\n")
            if nl >= 0:
                buf += chunk[:nl]
                break
            buf += chunk
            if len(buf) > MAX_LINE:
                return None, "command line longer than 64 KiB"
            if not chunk:
                break  # end of stream ends the line
        if len(buf) > MAX_LINE:
            return None, "command line longer than 64 KiB"
        try:
            text = bytes(buf).decode("utf-8")
        except UnicodeDecodeError:
            return None, "binary data received; send one text line such as GET_VIEW"
        text = text.strip()
        if any(ord(c) < 32 and c != "\t" for c in text):
            return None, "binary data received; send one text line such as GET_VIEW"
        if not text:
            return None, "empty command; send one line such as GET_VIEW"
        return text, None

    def _reply_and_close(self, conn, reply):
        data = encode_reply(reply)
        try:
            conn.setblocking(True)
            conn.settimeout(CLIENT_TIMEOUT)
            conn.sendall(data)
            try:
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        except OSError:
            pass  # the client left; nothing to tell it
        finally:
            try:
                conn.close()
            except OSError:
                pass
