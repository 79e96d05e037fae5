"""Running the real Remote Script inside the fake Live, for tests and benchmarks.

``ScriptHarness`` copies remote_script/*.py into a temporary ``VimAbl`` folder
(as the installer would), writes a ``config.json`` pointing the events at a
UDP socket the test owns and the command port at a free port, and loads it in
``fakelive.runtime.FakeLive``. The calling thread is Live's main thread.
"""

import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

from support import FAKELIVE_DIR, SCRIPT_DIR, decode_events, script_files, tcp_command

if FAKELIVE_DIR not in sys.path:
    sys.path.insert(0, FAKELIVE_DIR)


def fake_available():
    return os.path.exists(os.path.join(FAKELIVE_DIR, "runtime.py"))


class ScriptHarness(object):
    def __init__(self, build_set=None, command_port=0):
        from runtime import FakeLive  # the fake Live, on sys.path above

        self.tmp = tempfile.mkdtemp(prefix="vimabl-test-")
        self.script_dir = os.path.join(self.tmp, "VimAbl")
        os.mkdir(self.script_dir)
        for name in script_files():
            shutil.copy(os.path.join(SCRIPT_DIR, name), self.script_dir)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0)
        with open(os.path.join(self.script_dir, "config.json"), "w") as f:
            json.dump({"command_port": command_port, "events_port": self.udp.getsockname()[1]}, f)
        self.log_path = os.path.join(self.tmp, "Log.txt")
        kwargs = {"log_path": self.log_path}
        self.fake = FakeLive(**kwargs)
        if build_set is not None:
            build_set(self.fake)
        self.events = []  # (seq, ts, path, args), in arrival order
        self.instance = None

    # --- lifecycle

    def load(self):
        self.instance = self.fake.load_script(self.script_dir)
        return self.instance

    def unload(self):
        self.fake.unload_script()
        self.instance = None

    def close(self):
        try:
            self.fake.close()  # disconnects a loaded script
        finally:
            self.udp.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def song(self):
        return self.fake.song

    def command_port(self):
        self.fake.run_until(lambda: self.instance.command_address() is not None, timeout=3.0)
        addr = self.instance.command_address()
        if addr is None:
            raise AssertionError("the script's command port never opened")
        return addr[1]

    # --- events

    def pump(self):
        """Read every datagram waiting on the socket (a bundle is several events)."""
        while True:
            try:
                data = self.udp.recv(65536)
            except (BlockingIOError, socket.timeout):
                return
            self.events.extend(decode_events(data))

    def wait_event(self, path, pred=None, timeout=3.0, since=0):
        """Tick the fake until an event ``path`` (matching pred(args)) arrived."""
        found = []

        def check():
            self.pump()
            for ev in self.events[since:]:
                if ev[2] == path and (pred is None or pred(ev[3])):
                    found.append(ev)
                    return True
            return False

        self.fake.run_until(check, timeout=timeout)
        if not found:
            raise AssertionError("no %s event within %gs; got %s" % (
                path, timeout, [e[2] for e in self.events[since:]][-30:]))
        return found[0]

    def mark(self):
        """Index to pass as ``since``: only later events count."""
        self.pump()
        return len(self.events)

    def paths(self, since=0):
        self.pump()
        return [e[2] for e in self.events[since:]]

    def log_tail(self, chars=3000):
        """The end of the fake's Log.txt, for failure messages."""
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()[-chars:]

    # --- commands (the fake's main thread keeps ticking meanwhile)

    def command(self, line, timeout=8.0):
        port = self.command_port()
        box = {}

        def run():
            try:
                box["raw"] = tcp_command(port, (line + "\n").encode("utf-8"), timeout=timeout)
            except Exception as exc:  # reported below, on the main thread
                box["error"] = exc

        t = threading.Thread(target=run)
        t.start()
        self.fake.run_until(lambda: not t.is_alive(), timeout=timeout)
        t.join(1.0)
        if "error" in box:
            raise box["error"]
        if "raw" not in box:
            raise AssertionError("no reply to %r within %gs" % (line, timeout))
        return json.loads(box["raw"].decode("utf-8"))

    def settle(self, quiet=0.35, timeout=5.0):
        """Tick until no event arrived for ``quiet`` seconds (trailing edges sent)."""
        state = {"n": -1, "t": time.monotonic()}

        def check():
            self.pump()
            if len(self.events) != state["n"]:
                state["n"] = len(self.events)
                state["t"] = time.monotonic()
                return False
            return time.monotonic() - state["t"] >= quiet

        self.fake.run_until(check, timeout=timeout)
