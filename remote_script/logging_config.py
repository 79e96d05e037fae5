"""Thread-safe, queue-based logging for the Remote Script.

Live's ``log_message`` may only be called on Live's main thread, but the
command server and the UDP sender run on their own threads. So ``log()``, which
any thread may call, only appends a tuple to a bounded queue: it never formats
a line and never touches Live. ``drain_log_queue()``, called by
``update_display()`` on the main thread, formats the lines and hands them to
the callback given to ``init_logging()`` (the ControlSurface's
``log_message``).

A full queue drops the new message and counts it: a logging storm must never
block a thread or grow memory without bound.
"""

import collections
import sys
import threading
import time
import traceback

# The level names, in severity order, as VimAbl's design names them (WARN, not
# Python's WARNING). They are what Log.txt lines, /live/log events and
# SET_LOG_LEVEL's reply carry.
LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "CRITICAL")

# Other spellings accepted on the way in (log(), SET_LOG_LEVEL) and mapped to
# the canonical name: callers and Hammerspoon configs written for Python's
# logging say WARNING.
ALIASES = {"WARNING": "WARN"}

_CANONICAL = dict((name, name) for name in LEVELS)
_CANONICAL.update(ALIASES)

# Master switch: False silences everything except force=True messages.
ENABLE_LOGGING = True

# The levels that reach Live's log (canonical names). DEBUG is filtered by
# default because a busy Set produces thousands of debug lines per second. The
# set object is updated in place (set_enabled_levels), so readers never see a
# half-built one.
ENABLED_LEVELS = set(("INFO", "WARN", "ERROR", "CRITICAL"))

# How many messages may wait for the main thread. At the default drain of 200
# per 100 ms tick this is several seconds of a sustained storm.
DEFAULT_QUEUE_MAX = 10000

_lock = threading.Lock()
_queue = collections.deque()
_queue_max = DEFAULT_QUEUE_MAX
_callback = None
_stats = {"enqueued": 0, "drained": 0, "dropped": 0, "peak": 0}


def init_logging(callback, queue_max=DEFAULT_QUEUE_MAX):
    """Set the main-thread sink (``callback(line)``) and the queue bound.

    Called from the ControlSurface's ``__init__``. Messages logged before (by
    an earlier instance in the same Python process) are kept and drained by
    the new one.
    """
    global _callback, _queue_max
    with _lock:
        _callback = callback
        _queue_max = max(1, int(queue_max))


def canonical_level(name):
    """The canonical name of a level name (any case, surrounding blanks
    ignored, WARNING → WARN), or None when it names no level."""
    if not isinstance(name, str):
        return None
    return _CANONICAL.get(name.strip().upper())


def log(component, message, level="INFO", force=False):
    """Queue one log line. Safe from any thread; never blocks, never formats.

    ``level`` is one of LEVELS or an alias (WARNING); the line carries the
    canonical name. ``force=True`` logs even when ``ENABLE_LOGGING`` is False
    or the level is filtered (used for start-up and shutdown lines a user
    needs in a bug report). Returns True when the message was queued.

    An unknown level is a caller's mistake, and it is logged, not raised: the
    line goes out at ERROR, past every filter, with a note naming the bad
    level. log() runs inside Live's listeners, its timer and ``except``
    blocks; an exception from there would kill the listener or the tick, or
    replace the very error being reported, and a silent drop would hide the
    mistake. This way it shows in Log.txt, in the bridge's log and in tests.
    """
    try:
        lv = _CANONICAL[level]  # the common case: an exact canonical name
    except (KeyError, TypeError):  # TypeError: an unhashable level
        lv = canonical_level(level)
        if lv is None:
            message = "unknown log level %r (use %s): %s" % (level, ", ".join(LEVELS), message)
            lv = "ERROR"
            force = True
    if not force and (not ENABLE_LOGGING or lv not in ENABLED_LEVELS):
        return False
    with _lock:
        if len(_queue) >= _queue_max:
            _stats["dropped"] += 1
            return False
        _queue.append((time.time(), lv, component, message))
        _stats["enqueued"] += 1
        size = len(_queue)
        if size > _stats["peak"]:
            _stats["peak"] = size
    return True


def format_line(level, component, message):
    """The payload written after ``(LiveState) `` in Live's Log.txt."""
    return "%s [%s] %s" % (level, component, message)


def drain_log_queue(max_messages=200, on_line=None):
    """Format and emit queued lines; main thread only.

    Drains ``max(max_messages, backlog // 2)`` lines so that a backlog shrinks
    geometrically instead of growing during a storm. ``on_line(ts, level,
    component, message)`` is called for each line after the callback (the
    script mirrors lines to the bridge with it). Returns how many were drained.
    """
    with _lock:
        backlog = len(_queue)
        if backlog == 0:
            return 0
        n = min(backlog, max(max_messages, backlog // 2))
        batch = [_queue.popleft() for _ in range(n)]
        _stats["drained"] += n
        callback = _callback
    for ts, level, component, message in batch:
        line = format_line(level, component, message)
        if callback is not None:
            try:
                callback(line)
            except Exception:
                # A failing sink must not kill the tick; the line is lost and
                # there is nowhere else to report it.
                pass
        if on_line is not None:
            on_line(ts, level, component, message)
    return n


def clear_log_queue():
    """Discard every queued line (counted as neither drained nor dropped)."""
    with _lock:
        _queue.clear()


def get_log_stats():
    """A dictionary of the queue's figures; safe from any thread."""
    with _lock:
        size = len(_queue)
        qmax = _queue_max
        enq = _stats["enqueued"]
        dropped = _stats["dropped"]
        stats = {
            "queue_size": size,
            "queue_max": qmax,
            "queue_utilization": float(size) / qmax if qmax else 0.0,
            "messages_enqueued": enq,
            "messages_drained": _stats["drained"],
            "messages_dropped": dropped,
            "peak_queue_size": _stats["peak"],
        }
    attempts = enq + dropped
    stats["drop_rate"] = float(dropped) / attempts if attempts else 0.0
    return stats


def reset_log_stats():
    """Zero the counters (the queue itself is left alone)."""
    with _lock:
        _stats["enqueued"] = 0
        _stats["drained"] = 0
        _stats["dropped"] = 0
        _stats["peak"] = len(_queue)


def set_enabled_levels(levels):
    """Replace the enabled levels at run time. Names are case-insensitive and
    may be aliases (WARNING for WARN); blank names are skipped. Raises
    ValueError, changing nothing, on an unknown name or when no name is given.
    Returns the canonical names now enabled, in severity order."""
    wanted = set()
    for name in levels:
        if not name.strip():
            continue
        lv = canonical_level(name)
        if lv is None:
            raise ValueError("unknown log level %r (use %s; WARNING means WARN)"
                             % (name.strip(), ", ".join(LEVELS)))
        wanted.add(lv)
    if not wanted:
        raise ValueError("no log level given (use %s)" % ", ".join(LEVELS))
    with _lock:
        ENABLED_LEVELS.clear()
        ENABLED_LEVELS.update(wanted)
    return enabled_levels()


def enabled_levels():
    """The enabled levels in severity order."""
    return [lv for lv in LEVELS if lv in ENABLED_LEVELS]


def format_exception():
    """The exception being handled, as one line for a log line
    ("ValueError: boom"); call it from an except block."""
    return "".join(traceback.format_exception_only(*sys.exc_info()[:2])).strip()
