"""VimAbl's ControlSurface: the lifecycle that ties the parts together.

``__init__``: logging, UDP sender (``/live/hello``), observers, command server.
``update_display`` (Live's 100 ms timer, main thread): run work handed over
by command threads, drain the log queue, observer update (debounce trailing
edges, polling of what is not listenable), cursor update, heartbeat.
``disconnect``: stop observers, ``/live/bye``, stop UDP, stop the command
server, log final stats, drain. It leaves nothing running, so the next
instance (created right after in the same Python process) binds the ports
again at once.

Nothing here may raise into Live: an exception in ``__init__`` would keep the
script from loading, one in ``update_display`` would repeat every tick.
"""

import collections
import json
import os
import sys
import threading
import time
import uuid

from _Framework.ControlSurface import ControlSurface

from . import logging_config
from .commands import CommandError, CommandProcessor
from .logging_config import drain_log_queue, format_exception, get_log_stats, init_logging, log
from .observers import ObserverManager
from .server import CommandServer
from .udp_sender import UdpSender
from .version import VERSION

DEFAULTS = {"command_host": "127.0.0.1", "command_port": 9001, "events_host": "127.0.0.1", "events_port": 9002}

HEARTBEAT_INTERVAL = 1.0  # seconds

# /live/heartbeat's arguments, in order, with their OSC types, as
# docs/protocol.md lists them (tests/test_heartbeat_doc.py holds the two
# together; the bridge's scriptStats reads them by position).
HEARTBEAT_FIELDS = (
    ("session_id", "s"), ("uptime", "d"), ("log_queue_size", "i"), ("log_queue_max", "i"),
    ("log_enqueued", "i"), ("log_drained", "i"), ("log_dropped", "i"), ("log_peak", "i"),
    ("observers_enabled", "T/F"), ("tracks", "i"), ("scenes", "i"), ("devices", "i"), ("listeners", "i"),
)
LOG_EVENTS_PER_SECOND = 50  # /live/log mirror rate limit (burst: twice that)


def load_config(folder):
    """Ports and hosts from ``config.json`` beside the script (written by the
    installer when they are not the defaults). Returns (config, problem)."""
    cfg = dict(DEFAULTS)
    path = os.path.join(folder, "config.json")
    if not os.path.exists(path):
        return cfg, None
    try:
        with open(path) as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        for key in DEFAULTS:
            if key not in data:
                continue
            value = data[key]
            if key.endswith("_port"):
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
                    raise ValueError("%s must be a port number, got %r" % (key, value))
            elif not isinstance(value, str) or not value:
                raise ValueError("%s must be a host name, got %r" % (key, value))
            cfg[key] = value
    except (OSError, ValueError) as exc:
        return dict(DEFAULTS), "ignoring %s (%s); using the default ports" % (path, exc)
    return cfg, None


class _Job(object):
    """Work a command thread hands to the main thread, and its result."""

    __slots__ = ("fn", "done", "result", "error", "abandoned")

    def __init__(self, fn):
        self.fn = fn
        self.done = threading.Event()
        self.result = None
        self.error = None
        self.abandoned = False


class LiveState(ControlSurface):
    def __init__(self, c_instance):
        ControlSurface.__init__(self, c_instance)
        self.session_id = uuid.uuid4().hex[:12]
        self.live_version = "unknown"
        self._started = time.time()
        # When Live's timer last ran (monotonic seconds); PING, answered off
        # the main thread, reports its age so a stall reads as "Live busy",
        # not as a dead script.
        self._last_tick = time.monotonic()
        self._jobs = collections.deque()
        self._closing = threading.Event()
        self._next_heartbeat = 0.0
        self._log_tokens = float(LOG_EVENTS_PER_SECOND)
        self._log_refill = time.monotonic()
        self.log_events_suppressed = 0
        self.sender = None
        self.server = None
        self.observers = None
        with self.component_guard():
            self._start()

    def _start(self):
        init_logging(self._log_sink)
        folder = os.path.dirname(os.path.abspath(__file__))
        self.config, problem = load_config(folder)
        try:
            app = self.application()
            self.live_version = "%d.%d.%d" % (app.get_major_version(), app.get_minor_version(),
                                             app.get_bugfix_version())
        except Exception:
            pass
        log("LiveState", "VimAbl %s starting (session %s, Live %s, Python %d.%d)" % (
            VERSION, self.session_id, self.live_version, sys.version_info[0], sys.version_info[1]), force=True)
        if problem:
            log("LiveState", problem, "WARNING")
        cfg = self.config
        self.sender = UdpSender(cfg["events_host"], cfg["events_port"])
        try:
            self.sender.start()
        except OSError as exc:
            log("UDP", "cannot open the events socket: %s" % exc, "ERROR")
        self.sender.emit("/live/hello", (self.session_id, VERSION, self.live_version))
        self.observers = ObserverManager(self.song(), self.application(), self.sender)
        try:
            with self.observers.batch():
                self.observers.start()
        except Exception:
            log("Observers", "starting observers failed: %s" % format_exception(), "ERROR")
        self.commands = CommandProcessor(self)
        self.server = CommandServer(cfg["command_host"], cfg["command_port"], self.commands.handle,
                                    self._on_bind_error)
        self.server.start()
        log("LiveState", "sending events to %s:%d" % (cfg["events_host"], cfg["events_port"]))

    # --- what the fake Live and tests ask

    def command_address(self):
        """(host, port) the command server is bound to, or None."""
        return self.server.address if self.server is not None else None

    # --- Live's timer

    def update_display(self):
        self._last_tick = time.monotonic()
        ControlSurface.update_display(self)
        try:
            self._tick()
        except Exception:
            log("LiveState", "tick failed: %s" % format_exception(), "ERROR")

    def _tick(self):
        now = time.monotonic()
        if self._jobs:
            self._run_jobs()
        drain_log_queue(200, self._mirror_log)
        obs = self.observers
        if obs.enabled:
            with self.sender.hold():  # the tick's trailing edges: one wake-up for all
                obs.update(now)
            obs.cursor.update()
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_INTERVAL
            self._heartbeat()

    def heartbeat_values(self):
        """The heartbeat's fields by name (HEARTBEAT_FIELDS); main thread."""
        st = get_log_stats()
        obs = self.observers
        return {
            "session_id": self.session_id, "uptime": time.time() - self._started,
            "log_queue_size": st["queue_size"], "log_queue_max": st["queue_max"],
            "log_enqueued": _i32(st["messages_enqueued"]), "log_drained": _i32(st["messages_drained"]),
            "log_dropped": _i32(st["messages_dropped"]), "log_peak": st["peak_queue_size"],
            "observers_enabled": bool(obs.enabled), "tracks": obs.track_count(), "scenes": len(obs.scenes),
            "devices": obs.device_count(), "listeners": obs.registry.count,
        }

    def _heartbeat(self):
        values = self.heartbeat_values()
        self.sender.emit("/live/heartbeat", tuple(values[name] for name, _ in HEARTBEAT_FIELDS))

    def tick_age(self):
        """Seconds since Live's timer last ran update_display; any thread."""
        return max(0.0, time.monotonic() - self._last_tick)

    # --- handing work to the main thread

    def run_on_main(self, fn, timeout):
        """Run ``fn`` on Live's main thread (next tick) and return its result.

        Called from command threads. Raises CommandError on timeout or when
        the script is shutting down; re-raises CommandError from ``fn``.
        Live stops its timer while a menu or a modal dialog is open (Live 12):
        a job then waits, runs when the timer resumes if still within
        ``timeout``, and otherwise is abandoned -- never run later -- and the
        client is told Live is busy.
        """
        if self._closing.is_set():
            raise CommandError("the Remote Script is shutting down")
        job = _Job(fn)
        self._jobs.append(job)
        deadline = time.monotonic() + timeout
        while not job.done.wait(0.1):
            if self._closing.is_set():
                job.abandoned = True
                raise CommandError("the Remote Script is shutting down")
            if time.monotonic() >= deadline:
                job.abandoned = True
                raise CommandError("Live is busy: its main thread has not run for %.1f s (a menu or dialog open?); "
                                   "the command was not run, send it again" % self.tick_age())
        if job.error is not None:
            raise job.error
        return job.result

    def call_soon(self, fn):
        """Run ``fn`` on the main thread at the next tick, not waiting."""
        self._jobs.append(_Job(fn))

    def _run_jobs(self):
        jobs = self._jobs
        while jobs:
            job = jobs.popleft()
            if job.abandoned:
                continue
            try:
                job.result = job.fn()
            except CommandError as exc:
                job.error = exc
            except Exception:
                job.error = CommandError("command failed in Live: %s" % format_exception())
                log("Commands", "main-thread command failed: %s" % format_exception(), "ERROR")
            job.done.set()

    def _on_bind_error(self, message):
        # From the server thread: show_message is Live's, so hand it over.
        self.call_soon(lambda: self.show_message(message))

    # --- observers on command

    def start_observers(self):
        obs = self.observers
        if not obs.enabled:
            with obs.batch():
                obs.start()
            # Changes made while stopped were never sent: tell receivers to
            # take a new SNAPSHOT.
            self.sender.emit("/live/resync", ("observers started",))
        return obs.stats()

    def stop_observers(self):
        self.observers.flush()
        self.observers.stop()
        log("Observers", "observers stopped by command")
        return self.observers.stats()

    def refresh_observers(self):
        obs = self.observers
        obs.flush()
        obs.stop()
        with obs.batch():
            obs.start()
        self.sender.emit("/live/resync", ("observers refreshed",))
        return obs.stats()

    # --- logging sinks (main thread)

    def _log_sink(self, line):
        self.log_message(line)

    def _mirror_log(self, ts, level, component, message):
        now = time.monotonic()
        self._log_tokens = min(2.0 * LOG_EVENTS_PER_SECOND,
                               self._log_tokens + (now - self._log_refill) * LOG_EVENTS_PER_SECOND)
        self._log_refill = now
        if self._log_tokens < 1.0:
            self.log_events_suppressed += 1
            return
        self._log_tokens -= 1.0
        if self.sender is not None:
            self.sender.emit("/live/log", (level, component, message[:2000]))

    # --- shutdown

    def disconnect(self):
        self._closing.set()
        log("LiveState", "disconnecting (session %s)" % self.session_id, force=True)
        try:
            if self.observers is not None:
                self.observers.flush()
                self.observers.stop()
        except Exception:
            log("Observers", "stopping observers failed: %s" % format_exception(), "ERROR")
        if self.sender is not None:
            self.sender.emit("/live/bye", (self.session_id,))
            self.sender.stop()
        if self.server is not None:
            self.server.stop()
        for job in list(self._jobs):
            job.error = CommandError("the Remote Script is shutting down")
            job.done.set()
        self._jobs.clear()
        st = get_log_stats()
        log("LiveState", "final log stats: enqueued %d, drained %d, dropped %d, peak queue %d of %d" % (
            st["messages_enqueued"], st["messages_drained"], st["messages_dropped"], st["peak_queue_size"],
            st["queue_max"]), force=True)
        drain_log_queue(max_messages=logging_config.DEFAULT_QUEUE_MAX)
        ControlSurface.disconnect(self)


def _i32(n):
    """Counters travel as OSC int32; saturate rather than fail to encode."""
    return n if n < 2 ** 31 else 2 ** 31 - 1
