"""Observers: listen to the Set and turn every change into an event.

One small observer object per Live object (track, device, clip slot, scene)
holds that object's listeners and knows its current index; the manager owns
the lists and renumbers them when the structure changes. Adding or removing a
track, scene or device only registers or removes the listeners of what
changed, and the structural event (with the new object's full contents) is
sent inside a ``/live/batch``.

Listener callbacks run on Live's main thread inside Live's own change: they
read the new value, hand an event to the UDP sender (a queue append) and
return. They never change the Set (Live forbids it from a notification).

Everything that reads Live here runs on the main thread.
"""

import sys
import time
import traceback

from .cursor_observer import CursorObserver
from .debounce import Debouncer
from .logging_config import log

REGULAR = ("audio", "midi")
# Tracks of these types have a clip slot per scene (a Group Track's are its
# group slots, LOM ClipSlot); returns and the master have none.
SLOTTED = ("audio", "midi", "group")


# ---------------------------------------------------------------------------
# Reading Live's objects. The same readers feed events and SNAPSHOT, so the
# two always agree on types (floats stay floats, colors are ints).


def _color(obj):
    try:
        return int(obj.color)
    except (AttributeError, TypeError, ValueError):
        return 0


def regular_kind(track):
    """The type of a track of song.tracks: a Group Track is foldable (LOM
    Track is_foldable), has neither audio nor MIDI input and must not pass
    for an audio track."""
    if track.is_foldable:
        return "group"
    return "midi" if track.has_midi_input else "audio"


def read_folded(track, kind):
    """Whether a Group Track is folded (fold_state exists only on them)."""
    return bool(track.fold_state) if kind == "group" else False


def can_arm(track, kind):
    return kind in REGULAR and bool(track.can_be_armed)


def read_track(track, kind):
    """(name, type, mute, solo, arm, volume, color, folded) of a track."""
    master = kind == "master"
    return (
        str(track.name),
        kind,
        False if master else bool(track.mute),
        False if master else bool(track.solo),
        bool(track.arm) if can_arm(track, kind) else False,
        float(track.mixer_device.volume.value),
        _color(track),
        read_folded(track, kind),
    )


def read_param(p):
    return (str(p.name), float(p.value), float(p.min), float(p.max))


def valid(obj):
    """Whether ``obj`` is a live Live object: Ableton's liveobj_valid
    (ableton/v2/base/live_api_utils.py). A deleted object compares equal to
    None while ``obj is None`` stays false."""
    return obj is not None and obj != None  # noqa: E711


STOPPED, PLAYING, TRIGGERED, RECORDING = 0, 1, 2, 3


def slot_status(slot):
    """What a slot shows: 0 stopped, 1 playing, 2 triggered, 3 recording.

    Read from the slot's clip when it has one -- ClipSlot.playing_status
    describes a Group Track's clips and is 0 for every other slot (LOM
    ClipSlot) -- and from the slot itself otherwise (an empty slot blinks
    when its stop or record button is triggered; a group slot reports its
    tracks' clips). The same reading as Ableton's ClipSlotComponent."""
    target = slot.clip if slot.has_clip else slot
    if target.is_triggered:
        return TRIGGERED
    if target.is_recording:
        return RECORDING
    if target.is_playing:
        return PLAYING
    return STOPPED


def read_slot(slot):
    """(has_clip, has_stop_button, playing_status, color) of a clip slot."""
    return (bool(slot.has_clip), bool(slot.has_stop_button), slot_status(slot), _color(slot))


def read_clip(clip):
    """(name, color, muted, looping) of a clip."""
    return (str(clip.name), _color(clip), bool(clip.muted), bool(clip.looping))


def read_view(application):
    return "session" if application.view.is_view_visible("Session") else "arrangement"


def read_file_path(song):
    try:
        path = song.file_path
    except AttributeError:
        # Not every Live version exposes it (UNVERIFIED on Live 11).
        return ""
    return str(path or "")


# ---------------------------------------------------------------------------
# Turning an old list into a new one with few operations.


def _lis(seq):
    """Indices of one longest increasing subsequence of seq."""
    tails = []  # tails[k] = index in seq of the smallest tail of a run of length k+1
    prev = [-1] * len(seq)
    for i, v in enumerate(seq):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if seq[tails[mid]] < v:
                lo = mid + 1
            else:
                hi = mid
        if lo > 0:
            prev[i] = tails[lo - 1]
        if lo == len(tails):
            tails.append(i)
        else:
            tails[lo] = i
    out = []
    i = tails[-1] if tails else -1
    while i >= 0:
        out.append(i)
        i = prev[i]
    return out[::-1]


def plan_list_edit(old, new):
    """Operations turning list ``old`` into ``new`` (lists of unique keys).

    Returns ``('remove', j, key)``, then ``('move', j, t, key)`` and
    ``('insert', t, key)``; each index is valid when the operations are
    applied in order (a move removes at j and then inserts at t). Items whose
    relative order survives (a longest increasing subsequence) never move, so
    dragging one track is one move, not a cascade.
    """
    new_set = set(new)
    ops = []
    cur = list(old)
    for j in range(len(cur) - 1, -1, -1):
        if cur[j] not in new_set:
            ops.append(("remove", j, cur[j]))
            del cur[j]
    pos = dict((k, i) for i, k in enumerate(new))
    stable = set(cur[i] for i in _lis([pos[k] for k in cur]))
    present = set(cur)
    for i, k in enumerate(new):
        if k in stable:
            continue
        if k in present:
            j = cur.index(k)
            del cur[j]
            t = cur.index(new[i - 1]) + 1 if i > 0 else 0
            cur.insert(t, k)
            ops.append(("move", j, t, k))
        else:
            t = cur.index(new[i - 1]) + 1 if i > 0 else 0
            cur.insert(t, k)
            ops.append(("insert", t, k))
    return ops


# ---------------------------------------------------------------------------


class Registry(object):
    """Adds and removes listeners with Live's semantics, and counts them.

    Live raises on a double add and on removing an unconnected listener; a
    handle is removed at most once, and removal checks ``has_listener`` first.
    Callbacks are wrapped so that a bug in one is logged instead of reaching
    Live as a RemoteScriptError on every change.
    """

    def __init__(self):
        self.count = 0
        self.errors = 0

    def add(self, subject, prop, fn, arg=None, guarded=False):
        """Connect ``fn``; unless ``guarded`` (it catches its own errors and
        reports them with ``failed``), wrapped so that an error is logged."""
        registry = self

        def callback():
            try:
                fn()
            except Exception:
                registry.failed(prop)

        if guarded:
            callback = fn
        if arg is None:
            getattr(subject, "add_%s_listener" % prop)(callback)
        else:
            getattr(subject, "add_%s_listener" % prop)(arg, callback)
        self.count += 1
        return (subject, prop, callback, arg)

    def failed(self, prop):
        """A listener raised: count and log it (called from its except block)."""
        self.errors += 1
        log("Observers", "listener %s failed: %s" % (prop, _last_error()), "ERROR")

    def remove(self, handle):
        subject, prop, callback, arg = handle
        self.count -= 1
        if not valid(subject):
            return  # deleted in Live: its listeners went with it
        try:
            if arg is None:
                if getattr(subject, "%s_has_listener" % prop)(callback):
                    getattr(subject, "remove_%s_listener" % prop)(callback)
            elif getattr(subject, "%s_has_listener" % prop)(arg, callback):
                getattr(subject, "remove_%s_listener" % prop)(arg, callback)
        except Exception:
            # The object is gone (a deleted track): its listeners went with it.
            log("Observers", "removing %s listener: %s" % (prop, _last_error()), "DEBUG")


def _last_error():
    etype, value, _ = sys.exc_info()
    return "%s: %s" % (etype.__name__ if etype else "Error", value)


class _Node(object):
    """An observer of one Live object: its listener handles and liveness."""

    def __init__(self, mgr):
        self.mgr = mgr
        self.handles = []
        self.alive = True

    def listen(self, subject, prop, fn, arg=None):
        self.handles.append(self.mgr.registry.add(subject, prop, fn, arg))

    def unlisten(self):
        registry = self.mgr.registry
        for h in self.handles:
            registry.remove(h)
        self.handles = []


class SceneObserver(_Node):
    def __init__(self, mgr, scene):
        _Node.__init__(self, mgr)
        self.scene = scene
        self.key = mgr.key(scene)
        self.index = -1

    def register(self):
        s = self.scene
        self.listen(s, "name", self._on_name)
        self.listen(s, "color", self._on_color)
        self.listen(s, "is_triggered", self._on_triggered)

    def unregister(self):
        self.alive = False
        self.unlisten()

    def _on_name(self):
        self.mgr.emit("/live/scene/renamed", (self.index, str(self.scene.name)))

    def _on_color(self):
        self.mgr.emit("/live/scene/color", (self.index, _color(self.scene)))

    def _on_triggered(self):
        self.mgr.emit("/live/scene/triggered", (self.index, bool(self.scene.is_triggered)))


class SlotObserver(_Node):
    def __init__(self, track_obs, slot):
        _Node.__init__(self, track_obs.mgr)
        self.track_obs = track_obs
        self.slot = slot
        self.key = self.mgr.key(slot)
        self.scene_index = -1
        self.clip = None
        self.clip_handles = []
        self.status = STOPPED  # what receivers were last told

    def register(self):
        s = self.slot
        self.listen(s, "has_clip", self._on_has_clip)
        self.listen(s, "has_stop_button", self._on_has_stop)
        # The slot's own play state: a group slot's, or an empty slot's
        # blinking stop / record button (LOM ClipSlot).
        self.listen(s, "playing_status", self._on_playing_status)
        self.listen(s, "is_triggered", self._on_playing_status)
        self.listen(s, "color", self._on_color)
        if s.has_clip:
            self._watch_clip(s.clip)
        self.status = slot_status(s)

    def unregister(self):
        self.alive = False
        self._unwatch_clip()
        self.unlisten()

    def _watch_clip(self, clip):
        self.clip = clip
        reg = self.mgr.registry
        self.clip_handles = [
            reg.add(clip, "name", self._on_clip_name),
            reg.add(clip, "color", self._on_clip_color),
            reg.add(clip, "muted", self._on_clip_muted),
            reg.add(clip, "looping", self._on_clip_looping),
            # A clip's play state: playing_status notifies triggered,
            # playing and stopped; is_recording the recording.
            reg.add(clip, "playing_status", self._on_playing_status),
            reg.add(clip, "is_recording", self._on_playing_status),
        ]

    def _unwatch_clip(self):
        reg = self.mgr.registry
        for h in self.clip_handles:
            reg.remove(h)
        self.clip_handles = []
        self.clip = None

    def where(self):
        return (self.track_obs.index, self.scene_index)

    def _on_has_clip(self):
        t, sc = self.where()
        self._unwatch_clip()
        if self.slot.has_clip:
            clip = self.slot.clip
            self._watch_clip(clip)
            self.mgr.emit("/live/clip/added", (t, sc) + read_clip(clip))
        else:
            self.mgr.emit("/live/clip/removed", (t, sc))
        self._on_playing_status()

    def _on_has_stop(self):
        self.mgr.emit("/live/clip_slot/has_stop", self.where() + (bool(self.slot.has_stop_button),))

    def _on_playing_status(self):
        status = slot_status(self.slot)
        if status != self.status:
            self.status = status
            self.mgr.emit("/live/clip_slot/playing_status", self.where() + (status,))

    def _on_color(self):
        self.mgr.emit("/live/clip_slot/color", self.where() + (_color(self.slot),))

    def _on_clip_name(self):
        if self.clip is not None:
            self.mgr.emit("/live/clip/name", self.where() + (str(self.clip.name),))

    def _on_clip_color(self):
        if self.clip is not None:
            self.mgr.emit("/live/clip/color", self.where() + (_color(self.clip),))

    def _on_clip_muted(self):
        if self.clip is not None:
            self.mgr.emit("/live/clip/muted", self.where() + (bool(self.clip.muted),))

    def _on_clip_looping(self):
        if self.clip is not None:
            self.mgr.emit("/live/clip/looping", self.where() + (bool(self.clip.looping),))

    def emit_full(self):
        """clip_slot/created (and clip/added) with the slot's whole state."""
        t, sc = self.where()
        state = read_slot(self.slot)
        self.status = state[2]
        self.mgr.emit("/live/clip_slot/created", (t, sc) + state)
        if state[0]:
            self.mgr.emit("/live/clip/added", (t, sc) + read_clip(self.slot.clip))


class DeviceObserver(_Node):
    def __init__(self, track_obs, device):
        _Node.__init__(self, track_obs.mgr)
        self.track_obs = track_obs
        self.device = device
        self.key = self.mgr.key(device)
        self.index = -1
        self.param_count = 0
        self.params = []

    def register(self):
        d = self.device
        self.listen(d, "name", self._on_structure)
        self.listen(d, "parameters", self._on_structure)
        # Kept for emit_full: a parameter list changes only with the
        # parameters notification, which registers again.
        self.params = params = list(d.parameters)
        self.param_count = len(params)
        registry = self.mgr.registry
        handles = self.handles
        for i, p in enumerate(params):
            # One small object per parameter is its listener, already
            # guarded: what a parameter must cost, and no more.
            handles.append(registry.add(p, "value", _ParamWatch(self, i, p), guarded=True))

    def unregister(self):
        self.alive = False
        self.unlisten()

    def _on_structure(self):
        # A renamed device or a changed parameter list (a plug-in configured)
        # has no event of its own: resend the device whole, as a move would.
        mgr = self.mgr
        with mgr.batch():
            mgr.emit("/live/device/deleted", (self.track_obs.index, self.index))
            self.unlisten()
            mgr.debouncer.forget(lambda k: k[0] is self)
            self.register()
            self.emit_full()

    def emit_full(self):
        t, d = self.track_obs.index, self.index
        dev = self.device
        self.mgr.emit("/live/device/added", (t, d, str(dev.name), str(dev.class_name)))
        emit = self.mgr.emit
        for i, p in enumerate(self.params):
            emit("/live/device/param_info", (t, d, i) + read_param(p))


class _ParamWatch(object):
    """The listener of one device parameter. A change only marks it (a
    dictionary look-up); the debouncer sends its value at once or on the next
    tick, read then, so an automation storm reads each parameter once a tick."""

    __slots__ = ("dev", "i", "param", "key")

    def __init__(self, dev, i, param):
        self.dev = dev
        self.i = i
        self.param = param
        self.key = (dev, i)

    def __call__(self):
        try:
            self.dev.mgr.debouncer.touch(self.key, self.send)
        except Exception:
            self.dev.mgr.registry.failed("value")

    def send(self):
        dev = self.dev
        if dev.alive:
            dev.mgr.emit("/live/device/param", (dev.track_obs.index, dev.index, self.i, float(self.param.value)))


class TrackObserver(_Node):
    def __init__(self, mgr, track, kind):
        _Node.__init__(self, mgr)
        self.track = track
        self.kind = kind
        self.key = mgr.key(track)
        self.index = -1
        self.devices = []
        self.slots = []
        self.folded = False  # what receivers were last told
        self.armable = False
        self.volume = None

    def register(self):
        t = self.track
        self.listen(t, "name", self._on_name)
        if self.kind != "master":
            self.listen(t, "mute", self._on_mute)
            self.listen(t, "solo", self._on_solo)
        self.listen(t, "color", self._on_color)
        self.armable = can_arm(t, self.kind)
        if self.armable:
            self.listen(t, "arm", self._on_arm)
        self.volume = t.mixer_device.volume
        self.listen(self.volume, "value", self._on_volume)
        self.listen(t, "devices", self._on_devices)
        self.devices = [DeviceObserver(self, d) for d in t.devices]
        for i, d in enumerate(self.devices):
            d.index = i
            d.register()
        if self.kind in SLOTTED:
            self.listen(t, "clip_slots", self._on_clip_slots)
            self._register_slots()
        self.folded = read_folded(t, self.kind)

    def unregister(self):
        self.alive = False
        for d in self.devices:
            d.unregister()
        for s in self.slots:
            self.mgr.slot_by_key.pop(s.key, None)
            s.unregister()
        self.devices = []
        self.slots = []
        self.unlisten()
        self.mgr.debouncer.forget(lambda k: k[0] is self or getattr(k[0], "track_obs", None) is self)

    # --- properties

    def _on_name(self):
        self.mgr.emit("/live/track/renamed", (self.index, str(self.track.name)))

    def _on_mute(self):
        self.mgr.emit("/live/track/mute", (self.index, bool(self.track.mute)))

    def _on_solo(self):
        self.mgr.emit("/live/track/solo", (self.index, bool(self.track.solo)))

    def _on_arm(self):
        self.mgr.emit("/live/track/arm", (self.index, bool(self.track.arm)))

    def _on_color(self):
        self.mgr.emit("/live/track/color", (self.index, _color(self.track)))

    def _on_volume(self):
        self.mgr.debouncer.touch((self, "volume"), self._send_volume)

    def _send_volume(self):
        if self.alive:
            self.mgr.emit("/live/track/volume", (self.index, float(self.volume.value)))

    def check_fold(self):
        """fold_state is not listenable: checked when visible_tracks
        changes (folding changes it) and by the slow poll."""
        if self.kind != "group" or not valid(self.track):
            return
        folded = read_folded(self.track, self.kind)
        if folded != self.folded:
            self.folded = folded
            self.mgr.emit("/live/track/fold", (self.index, folded))

    def poll_armable(self):
        """can_be_armed is not listenable: follow it from the slow poll."""
        now = can_arm(self.track, self.kind)
        if now == self.armable:
            return
        if now:
            self.listen(self.track, "arm", self._on_arm)
        else:
            for h in [h for h in self.handles if h[1] == "arm"]:
                self.handles.remove(h)
                self.mgr.registry.remove(h)
        self.armable = now
        self.mgr.emit("/live/track/arm", (self.index, bool(self.track.arm) if now else False))

    # --- structure

    def _on_devices(self):
        mgr = self.mgr
        new = list(self.track.devices)
        new_keys = [mgr.key(d) for d in new]
        old_keys = [d.key for d in self.devices]
        if new_keys == old_keys:
            return
        by_key = dict(zip(new_keys, new))
        with mgr.batch():
            for op in plan_list_edit(old_keys, new_keys):
                if op[0] == "remove":
                    obs = self.devices.pop(op[1])
                    obs.unregister()
                    mgr.debouncer.forget(lambda k: k[0] is obs)
                    self._renumber_devices()
                    mgr.emit("/live/device/deleted", (self.index, op[1]))
                elif op[0] == "move":
                    obs = self.devices.pop(op[1])
                    mgr.emit("/live/device/deleted", (self.index, op[1]))
                    self.devices.insert(op[2], obs)
                    self._renumber_devices()
                    obs.emit_full()
                else:
                    obs = DeviceObserver(self, by_key[op[2]])
                    self.devices.insert(op[1], obs)
                    self._renumber_devices()
                    obs.register()
                    obs.emit_full()

    def _renumber_devices(self):
        for i, d in enumerate(self.devices):
            d.index = i

    def _on_clip_slots(self):
        self.mgr.grid_changed(self)

    def _register_slots(self):
        """Slot observers for the track's clip slots as they are now (quiet)."""
        mgr = self.mgr
        self.slots = [mgr.new_slot(self, slot, i) for i, slot in enumerate(self.track.clip_slots)]

    def emit_full(self):
        """track/added with the whole track: devices, slots and clips."""
        mgr = self.mgr
        mgr.emit("/live/track/added", (self.index,) + read_track(self.track, self.kind))
        for d in self.devices:
            d.emit_full()
        for s in self.slots:
            s.emit_full()


class ObserverManager(object):
    """Owns every observer; main thread only."""

    def __init__(self, song, application, sender, clock=time.monotonic):
        self.song = song
        self.application = application
        self.sender = sender
        self.clock = clock
        self.registry = Registry()
        self.debouncer = Debouncer()
        self.enabled = False
        self.regular = []
        self.returns = []
        self.master = None
        self.scenes = []
        self.track_by_key = {}
        self.scene_by_key = {}
        self.slot_by_key = {}
        self._song_handles = []
        self._batch_depth = 0
        self._batch_id = 0
        # A scene edit in progress: whether Live has announced the scene
        # list, and which tracks have announced their clip slots.
        self._scenes_changed = False
        self._slots_changed = set()
        self._grid_pending = False
        self._next_slow_poll = 0.0
        self.cursor = CursorObserver(self)
        # What receivers were last told (None: nothing yet).
        self.view = None
        self.file_path = None
        # Live objects are Python wrappers that may be created anew on each
        # access; _live_ptr identifies the underlying object. The fake keeps
        # one Python object per Live object, so id() serves there.
        if hasattr(song, "_live_ptr"):
            self.key = lambda obj: obj._live_ptr
        else:
            self.key = id

    # --- events

    def emit(self, path, args):
        self.sender.emit(path, args)

    def batch(self):
        return _Batch(self)

    # --- lifecycle

    def start(self):
        """Register every listener of the Set; quiet (receivers SNAPSHOT)."""
        if self.enabled:
            return
        started = self.clock()
        song = self.song
        reg = self.registry
        h = self._song_handles
        h.append(reg.add(song, "tracks", self._on_tracks))
        h.append(reg.add(song, "visible_tracks", self._on_visible_tracks))
        h.append(reg.add(song, "return_tracks", self._on_return_tracks))
        h.append(reg.add(song, "scenes", self._on_scenes))
        h.append(reg.add(song, "is_playing", self._on_playing))
        h.append(reg.add(song, "tempo", self._on_tempo))
        h.append(reg.add(self.application.view, "is_view_visible", self._on_view, "Session"))
        for t in song.tracks:
            self.regular.append(self._new_track(t, regular_kind(t)))
        for t in song.return_tracks:
            self.returns.append(self._new_track(t, "return"))
        self.master = self._new_track(song.master_track, "master")
        self._renumber_tracks()
        for s in song.scenes:
            self.scenes.append(self._new_scene(s))
        self._renumber_scenes()
        self.enabled = True
        # Start from what is there now: only later changes become events.
        self.view = read_view(self.application)
        self.file_path = read_file_path(song)
        self.cursor.start()
        log(
            "Observers",
            "observing %d tracks, %d scenes, %d devices with %d listeners in %.1f ms"
            % (self.track_count(), len(self.scenes), self.device_count(), reg.count,
               (self.clock() - started) * 1000.0),
        )

    def stop(self):
        """Remove every listener (Live's rules) and forget pending trailing edges."""
        if not self.enabled:
            return
        for obs in self.all_tracks():
            obs.unregister()
        for s in self.scenes:
            s.unregister()
        for handle in self._song_handles:
            self.registry.remove(handle)
        self._song_handles = []
        self.regular, self.returns, self.master, self.scenes = [], [], None, []
        self._grid_pending = self._scenes_changed = False
        self._slots_changed.clear()
        self.track_by_key.clear()
        self.scene_by_key.clear()
        self.slot_by_key.clear()
        self.cursor.stop()
        self.debouncer = Debouncer()
        self.enabled = False

    def flush(self):
        """Send what is pending now (before a snapshot, on shutdown): a scene
        edit, trailing edges, and the polled values, so that a SNAPSHOT's
        seq covers everything its state shows."""
        if not self.enabled:
            return
        if self._grid_pending:
            self._resync_grid()
        self.debouncer.flush_all()
        self._slow_poll()

    def _resync_grid(self):
        """A scene edit some of whose notifications never came (a safety
        net: a track whose clip slots did not change, say): Live's lists
        agree by the next tick."""
        self.sync_grid()

    def update(self, now=None):
        """Per-tick work: trailing edges and polling what is not listenable."""
        if not self.enabled:
            return
        if now is None:
            now = self.clock()
        self.debouncer.tick()
        if self._grid_pending:
            self._resync_grid()
        if now >= self._next_slow_poll:
            self._next_slow_poll = now + 0.5
            self._slow_poll()

    def _slow_poll(self):
        path = read_file_path(self.song)
        if path != self.file_path:
            self.file_path = path
            self.emit("/live/project/path", (path,))
        for obs in self.regular:
            obs.poll_armable()
            obs.check_fold()

    # --- figures

    def all_tracks(self):
        out = self.regular + self.returns
        if self.master is not None:
            out.append(self.master)
        return out

    def track_count(self):
        return len(self.regular) + len(self.returns) + (1 if self.master is not None else 0)

    def device_count(self):
        return sum(len(t.devices) for t in self.all_tracks())

    def stats(self):
        return {
            "enabled": self.enabled,
            "track_count": self.track_count(),
            "scene_count": len(self.scenes),
            "device_count": self.device_count(),
            "listener_count": self.registry.count,
            "has_transport": self.enabled,
        }

    # --- song-level listeners

    def _on_playing(self):
        self.emit("/live/transport/play", (bool(self.song.is_playing),))

    def _on_tempo(self):
        self.debouncer.touch((self, "tempo"), self._send_tempo)

    def _send_tempo(self):
        if self.enabled:
            self.emit("/live/transport/tempo", (float(self.song.tempo),))

    def _on_view(self):
        view = read_view(self.application)
        if view != self.view:
            self.view = view
            self.emit("/live/view", (view,))

    # --- structure

    def _new_track(self, track, kind):
        obs = TrackObserver(self, track, kind)
        obs.register()
        self.track_by_key[obs.key] = obs
        return obs

    def _new_scene(self, scene):
        obs = SceneObserver(self, scene)
        obs.register()
        self.scene_by_key[obs.key] = obs
        return obs

    def _renumber_tracks(self):
        i = 0
        for obs in self.regular:
            obs.index = i
            i += 1
        for obs in self.returns:
            obs.index = i
            i += 1
        if self.master is not None:
            self.master.index = i

    def _renumber_scenes(self):
        for i, s in enumerate(self.scenes):
            s.index = i

    def _on_visible_tracks(self):
        for obs in self.regular:
            obs.check_fold()

    def _on_tracks(self):
        self._sync_tracks(self.regular, list(self.song.tracks), None)

    def _on_return_tracks(self):
        self._sync_tracks(self.returns, list(self.song.return_tracks), "return")

    def _sync_tracks(self, lst, new, kind):
        new_keys = [self.key(t) for t in new]
        old_keys = [o.key for o in lst]
        if new_keys == old_keys:
            return
        by_key = dict(zip(new_keys, new))
        offset = 0 if lst is self.regular else len(self.regular)
        with self.batch():
            for op in plan_list_edit(old_keys, new_keys):
                if op[0] == "remove":
                    obs = lst.pop(op[1])
                    self.track_by_key.pop(obs.key, None)
                    obs.unregister()
                    self._renumber_tracks()
                    self.emit("/live/track/deleted", (offset + op[1],))
                elif op[0] == "move":
                    obs = lst.pop(op[1])
                    self.emit("/live/track/deleted", (offset + op[1],))
                    lst.insert(op[2], obs)
                    self._renumber_tracks()
                    obs.emit_full()
                else:
                    track = by_key[op[2]]
                    obs = self._new_track(track, kind or regular_kind(track))
                    lst.insert(op[1], obs)
                    self._renumber_tracks()
                    obs.emit_full()
            self.cursor.check(force=True)

    def _on_scenes(self):
        self.grid_changed(None)

    def grid_changed(self, track_obs):
        """The scene list (``track_obs`` None) or a track's clip slots changed.

        Live announces one scene edit (insert, delete, move) as several
        notifications -- the scene list, and each track's clip slots -- in an
        order no reference guarantees, and a listener may run before the
        other lists have changed (a move keeps every length, so lengths
        cannot tell). The grid is synchronised when the last of them has
        come: the scene list and every track with slots announced.
        """
        if track_obs is None:
            self._scenes_changed = True
        else:
            self._slots_changed.add(track_obs)
        self._grid_pending = True
        if self._scenes_changed and all(t in self._slots_changed for t in self.regular if t.kind in SLOTTED):
            self.sync_grid()

    def new_slot(self, track_obs, slot, row):
        obs = SlotObserver(track_obs, slot)
        obs.scene_index = row
        obs.register()
        self.slot_by_key[obs.key] = obs
        return obs

    def _drop_slot(self, obs):
        self.slot_by_key.pop(obs.key, None)
        obs.unregister()

    def sync_grid(self):
        """Bring scenes and every track's slot observers to Live's grid.

        Scene events (with slot events for the rows they bring) go out in
        one batch; a slot Live replaced in place is sent whole. Called when
        every list of an edit has been announced (grid_changed), and as a
        safety net on the next tick or SNAPSHOT if one never was.
        """
        grid = [t for t in self.regular if t.kind in SLOTTED]
        new = list(self.song.scenes)
        live = [list(t.track.clip_slots) for t in grid]
        if any(len(slots) != len(new) for slots in live):
            return  # Live is mid-edit: the last notification will come
        self._grid_pending = self._scenes_changed = False
        self._slots_changed.clear()
        new_keys = [self.key(sc) for sc in new]
        old_keys = [sc.key for sc in self.scenes]
        live_keys = [[self.key(x) for x in slots] for slots in live]
        if new_keys == old_keys and all(k == [o.key for o in t.slots] for t, k in zip(grid, live_keys)):
            return
        by_key = dict(zip(new_keys, new))
        final_row = dict((k, i) for i, k in enumerate(new_keys))
        with self.batch():
            for op in plan_list_edit(old_keys, new_keys):
                if op[0] == "remove":
                    j = op[1]
                    obs = self.scenes.pop(j)
                    self.scene_by_key.pop(obs.key, None)
                    obs.unregister()
                    self._renumber_scenes()
                    self.emit("/live/scene/removed", (j,))
                    for t in grid:
                        self._drop_slot(t.slots.pop(j))
                elif op[0] == "move":
                    j, to = op[1], op[2]
                    obs = self.scenes.pop(j)
                    self.scenes.insert(to, obs)
                    self._renumber_scenes()
                    self.emit("/live/scene/reordered", (to, str(obs.scene.name), j))
                    for t in grid:
                        t.slots.insert(to, t.slots.pop(j))
                else:
                    at, key = op[1], op[2]
                    scene = by_key[key]
                    obs = self._new_scene(scene)
                    self.scenes.insert(at, obs)
                    self._renumber_scenes()
                    self.emit("/live/scene/added", (at, str(scene.name), _color(scene)))
                    # The new row's slots, read where Live has them now.
                    for t, slots in zip(grid, live):
                        slot_obs = self.new_slot(t, slots[final_row[key]], at)
                        t.slots.insert(at, slot_obs)
                        for i, o in enumerate(t.slots):
                            o.scene_index = i
                        slot_obs.emit_full()
            for t, slots, keys in zip(grid, live, live_keys):
                for i, o in enumerate(t.slots):
                    o.scene_index = i
                    if o.key != keys[i]:
                        # A slot Live replaced in place: send it whole.
                        self._drop_slot(o)
                        t.slots[i] = self.new_slot(t, slots[i], i)
                        t.slots[i].emit_full()
            self.cursor.check(force=True)


class _Batch(object):
    """``/live/batch/start`` … ``/live/batch/end`` around a structural burst; nests."""

    def __init__(self, mgr):
        self.mgr = mgr
        self.id = None

    def __enter__(self):
        mgr = self.mgr
        mgr._batch_depth += 1
        if mgr._batch_depth == 1:
            mgr._batch_id += 1
            self.id = mgr._batch_id
            mgr.emit("/live/batch/start", (self.id,))
        return self

    def __exit__(self, *exc):
        mgr = self.mgr
        mgr._batch_depth -= 1
        if mgr._batch_depth == 0:
            mgr.emit("/live/batch/end", (self.id,))
        return False


# ---------------------------------------------------------------------------
# SNAPSHOT: the whole observed model, read from Live itself.


def snapshot_state(song, application, key=None):
    """The ``state`` object of SNAPSHOT (docs/protocol.md); main thread only."""
    if key is None:
        key = (lambda o: o._live_ptr) if hasattr(song, "_live_ptr") else id
    tracks = []
    track_index = {}
    slot_index = {}
    combined = [(t, regular_kind(t)) for t in song.tracks]
    combined += [(t, "return") for t in song.return_tracks]
    combined.append((song.master_track, "master"))
    for i, (track, kind) in enumerate(combined):
        track_index[key(track)] = i
        name, kind, mute, solo, arm, volume, color, folded = read_track(track, kind)
        devices = []
        for dev in track.devices:
            params = []
            for p in dev.parameters:
                pname, value, pmin, pmax = read_param(p)
                params.append({"name": pname, "value": value, "min": pmin, "max": pmax})
            devices.append({"name": str(dev.name), "class_name": str(dev.class_name), "parameters": params})
        slots = []
        if kind in SLOTTED:
            for s, slot in enumerate(track.clip_slots):
                slot_index[key(slot)] = (i, s)
                has_clip, has_stop, status, scolor = read_slot(slot)
                clip = None
                if has_clip:
                    cname, ccolor, muted, looping = read_clip(slot.clip)
                    clip = {"name": cname, "color": ccolor, "muted": muted, "looping": looping}
                slots.append({"has_clip": has_clip, "has_stop_button": has_stop, "playing_status": status,
                              "color": scolor, "clip": clip})
        tracks.append({"name": name, "type": kind, "mute": mute, "solo": solo, "arm": arm, "volume": volume,
                       "color": color, "folded": folded, "devices": devices, "clip_slots": slots})
    scenes = []
    scene_index = {}
    for i, sc in enumerate(song.scenes):
        scene_index[key(sc)] = i
        scenes.append({"name": str(sc.name), "color": _color(sc), "is_triggered": bool(sc.is_triggered)})
    view = song.view
    sel_t = view.selected_track
    sel_s = view.selected_scene
    cursor = {
        "track": track_index.get(key(sel_t), -1) if sel_t is not None else -1,
        "scene": scene_index.get(key(sel_s), -1) if sel_s is not None else -1,
        "clip_slot": None,
    }
    hl = view.highlighted_clip_slot
    if valid(hl) and key(hl) in slot_index:
        t, s = slot_index[key(hl)]
        status = slot_status(hl)
        cursor["clip_slot"] = {"track": t, "scene": s, "has_clip": bool(hl.has_clip),
                               "is_playing": status in (PLAYING, RECORDING), "is_triggered": status == TRIGGERED}
    return {
        "view": read_view(application),
        "project_path": read_file_path(song),
        "transport": {"playing": bool(song.is_playing), "tempo": float(song.tempo)},
        "cursor": cursor,
        "tracks": tracks,
        "scenes": scenes,
    }


def format_exception():
    """The current exception as one line (for log lines)."""
    return "".join(traceback.format_exception_only(*sys.exc_info()[:2])).strip()
