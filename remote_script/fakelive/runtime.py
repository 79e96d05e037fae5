"""FakeLive: the process-wide side of the fake Live.

It owns the Set, defines Live's main thread (the thread that creates it),
runs the 100 ms tick (scheduled messages, the script's update_display), writes
Log.txt in Live's line format, and loads / unloads the Remote Script the way
Live does: import the package once, call ``create_instance(c_instance)``,
``disconnect()`` before a new instance is created in the same process.
"""

import collections
import datetime
import importlib
import os
import random
import sys
import threading
import time
import traceback

import Live

TICK = 0.1  # seconds: Live calls update_display every 100 ms


class CInstance(object):
    """What Live passes to create_instance."""

    def __init__(self, runtime):
        self.runtime = runtime

    def song(self):
        # A fresh wrapper on every call, as Live's own is.
        return self.runtime.song._wrapper()


class FakeLive(object):
    """``version`` is the Live version simulated (what the Live API offers
    follows it: Song.file_path from 11.3 on). ``seed`` seeds the order in
    which structural edits notify (``first``); None takes it from the
    environment variable FAKELIVE_SEED, else 1, so every run is repeatable
    and a failing order can be replayed."""

    def __init__(self, log_path=None, version=(12, 1, 5), seed=None):
        self.main_ident = threading.get_ident()
        self.version = tuple(version)
        if seed is None:
            seed = int(os.environ.get("FAKELIVE_SEED", "1"))
        self.seed = seed
        self.rng = random.Random(seed)
        # Tests may pin an order: {"scenes": True} means the scene list
        # notifies before the tracks' clip slots; {"tracks": False} means
        # visible_tracks notifies before tracks.
        self.order = {}
        self.violations = 0  # Live API calls made off the main thread
        self.notifying = 0  # depth of listener calls in progress
        self.errors = 0  # exceptions written to Log.txt as RemoteScriptError
        self.status_bar = None  # last show_message text
        self.log_path = log_path
        # A large buffer: flush_log() decides when lines reach the file.
        self._log = open(log_path, "a", encoding="utf-8", buffering=1 << 20) if log_path else None
        self._log_lock = threading.Lock()
        self._log_dirty = False
        Live._runtime = self
        self.application = Live.Application(version)
        self.song = Live.Song()
        self.script = None
        self._deferred = []  # the fake's own next-tick work (a fired clip starts playing)
        self._calls = collections.deque()  # work handed over by other threads
        self._wake = threading.Event()
        self.ticks = 0
        self._next_tick = time.monotonic()
        self._py_line = 200
        self._write("Started: Live %d.%d.%d (fake Live, VimAbl's test double; Python %d.%d)" % (
            version + sys.version_info[:2]))
        self.flush_log()

    # --- Log.txt

    def _write(self, payload):
        if self._log is None:
            return
        stamp = datetime.datetime.now().isoformat(timespec="microseconds")
        with self._log_lock:
            self._log.write("%s: info: %s\n" % (stamp, payload))
            self._log_dirty = True

    def flush_log(self):
        """Write out buffered Log.txt lines. Called when the main thread ends a
        tick, finishes a load/unload or goes idle, not per line: a flush is a
        system call that releases Python's GIL, and a main thread re-taking the
        GIL from busy producer threads hundreds of times a tick would starve,
        which Live's own (C++) log writer never makes it do."""
        if self._log is None:
            return
        with self._log_lock:
            if self._log_dirty:
                self._log_dirty = False
                self._log.flush()

    def write_script_log(self, class_name, text):
        """What ControlSurface.log_message writes: two lines, like Live 11/12."""
        self._write("RemoteScriptMessage: (%s) %s" % (class_name, text))
        self._write("Python: INFO:_Framework.ControlSurface:%d - LOG: (%s) %s" % (self._py_line, class_name, text))

    def report_exception(self, where):
        """An exception escaped into Live: one RemoteScriptError line per line."""
        self.errors += 1
        text = traceback.format_exc()
        for line in text.rstrip("\n").split("\n"):
            self._write("RemoteScriptError: %s" % line)
        self._write("RemoteScriptError: ")

    report_exception_from = report_exception

    # --- the script

    def load_script(self, path):
        """Import the package at ``path`` and create an instance, as Live does
        when the Control Surface is chosen. Returns the instance, or None when
        create_instance raised (the error is in Log.txt)."""
        self._check_main("load_script")
        if self.script is not None:
            raise RuntimeError("a script is already loaded; unload_script() first")
        parent, name = os.path.split(os.path.abspath(path))
        mod = sys.modules.get(name)
        if mod is not None and os.path.dirname(os.path.abspath(getattr(mod, "__file__", "") or "")) != os.path.abspath(path):
            # Another copy of the package was loaded from elsewhere (tests use
            # fresh folders); Live never sees two copies, so forget the old one.
            for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                del sys.modules[key]
        if parent not in sys.path:
            sys.path.insert(0, parent)
        try:
            module = importlib.import_module(name)
            self.script = module.create_instance(CInstance(self))
        except Exception:
            self.report_exception("create_instance")
            self.script = None
        self.flush_log()
        return self.script

    def unload_script(self):
        """Call disconnect() (Control Surface set to None, a Set opened, Live quits)."""
        self._check_main("unload_script")
        script, self.script = self.script, None
        if script is None:
            return
        try:
            script.disconnect()
        except Exception:
            self.report_exception("disconnect")
        self.flush_log()

    def replace_set(self, build=None):
        """Open another Set: disconnect, new Song, build it, new instance."""
        path = None
        if self.script is not None:
            path = os.path.dirname(os.path.abspath(sys.modules[type(self.script).__module__].__file__))
        self.unload_script()
        old, self.song = self.song, Live.Song()
        old._kill()  # every object of the closed Set dies
        self._deferred = []
        if build is not None:
            build(self)
        if path is not None:
            self.load_script(path)

    # --- the main loop

    def _check_main(self, what):
        if threading.get_ident() != self.main_ident:
            self.violations += 1
            raise RuntimeError("Live API accessed off the main thread: %s" % what)

    def first(self, what):
        """Whether ``what`` ("scenes", "tracks") notifies first in a
        structural edit: pinned by ``self.order``, else a seeded coin."""
        if what in self.order:
            return bool(self.order[what])
        return self.rng.random() < 0.5

    def defer(self, fn):
        """The fake's own work for its next tick (a launched clip starts)."""
        self._deferred.append(fn)

    def stall(self, until, timeout):
        """Live's main thread is busy (a menu is open in Live 12, a plug-in
        window loads): no tick, no listener, no handed-over call until
        ``until()`` is true or ``timeout`` seconds pass. ``until`` is called
        from here, so it must not touch Live. Returns until()'s last value."""
        self._check_main("stall")
        deadline = time.monotonic() + timeout
        self.flush_log()
        while not until():
            left = deadline - time.monotonic()
            if left <= 0:
                return bool(until())
            # Not a synchronisation: the main thread is simulated busy, and
            # wakes often only to look at until().
            threading.Event().wait(min(0.005, left))
        return True

    def tick(self):
        """One timer tick: handed-over calls, the fake's own deferred work,
        then the script's update_display() (which runs its scheduled
        messages and tasks, as _Framework's does)."""
        self._check_main("tick")
        self.ticks += 1
        self._next_tick = time.monotonic() + TICK
        self._run_calls()
        deferred, self._deferred = self._deferred, []
        for fn in deferred:
            try:
                fn()
            except Exception:
                self.report_exception("fake deferred action")
        if self.script is not None:
            try:
                self.script.update_display()
            except Exception:
                self.report_exception("update_display")
        self.flush_log()

    def run_until(self, cond, timeout=2.0):
        """Tick every 100 ms of wall time until cond() is true or the timeout
        passes; between ticks, serve call_on_main. Returns cond()'s last value."""
        self._check_main("run_until")
        deadline = time.monotonic() + timeout
        while True:
            if cond():
                return True
            now = time.monotonic()
            if now >= deadline:
                return bool(cond())
            if now >= self._next_tick:
                self.tick()
                continue
            self.flush_log()
            self._wake.wait(max(0.0, min(0.005, min(self._next_tick, deadline) - now)))
            self._wake.clear()
            self._run_calls()

    def run_forever(self, stop, between_ticks=None):
        """Tick until ``stop`` (a threading.Event) is set; ``between_ticks()``
        runs on the main thread as often as every 5 ms (control commands)."""
        while not stop.is_set():
            now = time.monotonic()
            if now >= self._next_tick:
                self.tick()
            if between_ticks is not None:
                between_ticks()
            self.flush_log()
            self._wake.wait(max(0.0, min(0.005, self._next_tick - time.monotonic())))
            self._wake.clear()
            self._run_calls()

    def call_on_main(self, fn, timeout=1.0):
        """From any thread: run fn on the main thread and return its result."""
        if threading.get_ident() == self.main_ident:
            return fn()
        box = {}
        done = threading.Event()
        self._calls.append((fn, box, done))
        self._wake.set()
        if not done.wait(timeout):
            raise TimeoutError("the fake Live's main thread did not run the call within %gs" % timeout)
        if "error" in box:
            raise box["error"]
        return box.get("result")

    def _run_calls(self):
        while self._calls:
            fn, box, done = self._calls.popleft()
            try:
                box["result"] = fn()
            except Exception as exc:
                box["error"] = exc
            done.set()

    def close(self):
        if self.script is not None:
            self.unload_script()
        if self._log is not None:
            self._log.close()
            self._log = None
