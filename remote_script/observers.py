"""Observers: listen to the Set and turn every change into an event.

What is observed is data. Each kind of Live object has a table of
``Prop(live property, event path, reader)`` rows -- what AbletonOSC's
handlers declare as lists of property names -- and one loop registers a
listener per row and emits ``event (where..., reader(node))`` when it fires.
A row may be *debounced* (faders, parameters, tempo: leading edge, then at
most one event per tick, debounce.py) or sent only when its reading
*changes* (a clip slot's play state, fed by several listeners). The few
handlers left are structure: a list changed (tracks, scenes, devices, clip
slots) and ``listsync.sync_list`` -- one algorithm for all four -- brings the
observers in line, with events for what was removed, moved or inserted (the
inserted object's full contents inside a ``/live/batch``).

One observer per Live object (TrackObserver, DeviceObserver, SceneObserver,
SlotObserver; the cursor's is CursorObserver) holds that object's listeners
and knows its current index; the ObserverManager owns the lists and the
song's own listeners. Readers and SNAPSHOT are in readers.py.

Listener callbacks run on Live's main thread inside Live's own change: they
read the new value, hand an event to the UDP sender (a queue append) and
return. They never change the Set (Live forbids it from a notification).
Everything that reads Live here runs on the main thread.
"""

import time

from .cursor_observer import CursorObserver
from .debounce import Debouncer
from .listsync import ListHooks, sync_list
from .logging_config import format_exception, log
from .readers import (SLOTTED, can_arm, color, live_key, read_clip, read_file_path, read_folded, read_param,
                      read_slot, read_track, read_view, regular_kind, slot_status, valid)

__all__ = ["ObserverManager", "TrackObserver", "DeviceObserver", "SceneObserver", "SlotObserver"]

PLAIN, DEBOUNCED, CHANGES = "plain", "debounced", "changes"


class Prop(object):
    """One row of a property table.

    ``prop``: the Live property listened to; ``event``: the event path;
    ``read(node)``: the value sent after the node's ``where()`` indices;
    ``on(node)``: the Live object listened to (default ``node.obj``);
    ``when(node)``: whether the row applies to this node (default always);
    ``arg``: a listener argument (Application.View's view name);
    ``mode``: PLAIN (every change), DEBOUNCED or CHANGES (only a new value).
    """

    __slots__ = ("prop", "event", "read", "on", "when", "arg", "mode")

    def __init__(self, prop, event, read, on=None, when=None, arg=None, mode=PLAIN):
        self.prop, self.event, self.read = prop, event, read
        self.on, self.when, self.arg, self.mode = on, when, arg, mode


def _get(attr, cast):
    return lambda node: cast(getattr(node.obj, attr))


def _colour(node):
    return color(node.obj)


def _clip(node):
    return node.clip


def _clip_get(attr, cast):
    return lambda node: cast(getattr(node.clip, attr))


def _status(node):
    return slot_status(node.obj)


STATUS = "/live/clip_slot/playing_status"

TRACK_PROPS = (
    Prop("name", "/live/track/renamed", _get("name", str)),
    Prop("mute", "/live/track/mute", _get("mute", bool), when=lambda n: n.kind != "master"),
    Prop("solo", "/live/track/solo", _get("solo", bool), when=lambda n: n.kind != "master"),
    Prop("color", "/live/track/color", _colour),
    Prop("value", "/live/track/volume", lambda n: float(n.volume.value), on=lambda n: n.volume, mode=DEBOUNCED),
)
# Only while the track can be armed; can_be_armed is not listenable, so the
# slow poll adds and removes it (TrackObserver.poll_armable).
ARM_PROP = Prop("arm", "/live/track/arm", _get("arm", bool))

SCENE_PROPS = (
    Prop("name", "/live/scene/renamed", _get("name", str)),
    Prop("color", "/live/scene/color", _colour),
    Prop("is_triggered", "/live/scene/triggered", _get("is_triggered", bool)),
)

SLOT_PROPS = (
    Prop("has_stop_button", "/live/clip_slot/has_stop", _get("has_stop_button", bool)),
    Prop("color", "/live/clip_slot/color", _colour),
    # The slot's own play state: a group slot's, or an empty slot's blinking
    # stop / record button (LOM ClipSlot).
    Prop("playing_status", STATUS, _status, mode=CHANGES),
    Prop("is_triggered", STATUS, _status, mode=CHANGES),
)

# While the slot holds a clip. A clip's play state is the clip's own: its
# playing_status notifies triggered / playing / stopped, is_recording the
# recording (LOM Clip; Ableton's ClipSlotComponent listens to the same two).
CLIP_PROPS = (
    Prop("name", "/live/clip/name", _clip_get("name", str), on=_clip),
    Prop("color", "/live/clip/color", lambda n: color(n.clip), on=_clip),
    Prop("muted", "/live/clip/muted", _clip_get("muted", bool), on=_clip),
    Prop("looping", "/live/clip/looping", _clip_get("looping", bool), on=_clip),
    Prop("playing_status", STATUS, _status, on=_clip, mode=CHANGES),
    Prop("is_recording", STATUS, _status, on=_clip, mode=CHANGES),
)

SONG_PROPS = (
    Prop("is_playing", "/live/transport/play", _get("is_playing", bool)),
    Prop("tempo", "/live/transport/tempo", _get("tempo", float), mode=DEBOUNCED),
    Prop("is_view_visible", "/live/view", lambda m: read_view(m.application), on=lambda m: m.application.view,
         arg="Session", mode=CHANGES),
)


# ---------------------------------------------------------------------------


class Registry(object):
    """Adds and removes listeners with Live's semantics, and counts them.

    Live raises on a double add and on removing an unconnected listener; a
    handle is removed at most once, and removal checks ``has_listener`` first
    (a deleted object's listeners died with it). Callbacks are wrapped so that
    a bug in one is logged instead of reaching Live as a RemoteScriptError on
    every change.
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
        log("Observers", "listener %s failed: %s" % (prop, format_exception()), "ERROR")

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
            log("Observers", "removing %s listener: %s" % (prop, format_exception()), "DEBUG")


class _Node(object):
    """An observer of one Live object (``obj``): its listener handles, its
    property table's listeners, and whether it is still observed."""

    def __init__(self, mgr, obj):
        self.mgr = mgr
        self.obj = obj
        self.key = mgr.key(obj)
        self.handles = []
        self.alive = True
        self.last = {}  # event -> value last sent, for CHANGES rows

    def where(self):
        """The indices an event of this node starts with."""
        return ()

    def listen(self, subject, prop, fn, arg=None, into=None):
        (self.handles if into is None else into).append(self.mgr.registry.add(subject, prop, fn, arg))

    def unlisten(self, handles=None):
        handles = self.handles if handles is None else handles
        registry = self.mgr.registry
        for h in handles:
            registry.remove(h)
        del handles[:]

    def listen_props(self, table, into=None):
        for p in table:
            if p.when is None or p.when(self):
                self.listen(p.on(self) if p.on is not None else self.obj, p.prop, self._callback(p), p.arg, into)

    def _callback(self, p):
        if p.mode == DEBOUNCED:
            key = (self, p.event)

            def send():
                if self.alive:
                    self.mgr.emit(p.event, self.where() + (p.read(self),))

            return lambda: self.mgr.debouncer.touch(key, send)
        if p.mode == CHANGES:
            # What receivers have now (SNAPSHOT): only later changes are sent.
            # Several rows may feed one event; the first sets it.
            if p.event not in self.last:
                self.last[p.event] = p.read(self)
            return lambda: self.send_if_changed(p.event, p.read(self))
        return lambda: self.mgr.emit(p.event, self.where() + (p.read(self),))

    def send_if_changed(self, event, value):
        if value != self.last.get(event):
            self.last[event] = value
            self.mgr.emit(event, self.where() + (value,))


class SceneObserver(_Node):
    def __init__(self, mgr, scene):
        _Node.__init__(self, mgr, scene)
        self.scene = scene
        self.index = -1
        self.live_row = -1  # where Live has it, while a scene edit is applied

    def where(self):
        return (self.index,)

    def register(self):
        self.listen_props(SCENE_PROPS)

    def unregister(self):
        self.alive = False
        self.unlisten()


class SlotObserver(_Node):
    def __init__(self, track_obs, slot):
        _Node.__init__(self, track_obs.mgr, slot)
        self.track_obs = track_obs
        self.slot = slot
        self.scene_index = -1
        self.clip = None
        self.clip_handles = []

    def where(self):
        return (self.track_obs.index, self.scene_index)

    def register(self):
        self.listen(self.slot, "has_clip", self._on_has_clip)
        if self.slot.has_clip:
            self._watch_clip(self.slot.clip)
        self.listen_props(SLOT_PROPS)

    def unregister(self):
        self.alive = False
        self.unlisten(self.clip_handles)
        self.unlisten()

    def _watch_clip(self, clip):
        self.clip = clip
        self.listen_props(CLIP_PROPS, into=self.clip_handles)

    def _on_has_clip(self):
        t, sc = self.where()
        self.unlisten(self.clip_handles)
        self.clip = None
        if self.slot.has_clip:
            self._watch_clip(self.slot.clip)
            self.mgr.emit("/live/clip/added", (t, sc) + read_clip(self.clip))
        else:
            self.mgr.emit("/live/clip/removed", (t, sc))
        self.send_if_changed(STATUS, slot_status(self.slot))

    def emit_full(self):
        """clip_slot/created (and clip/added) with the slot's whole state."""
        t, sc = self.where()
        state = read_slot(self.slot)
        self.last[STATUS] = state[2]
        self.mgr.emit("/live/clip_slot/created", (t, sc) + state)
        if state[0]:
            self.mgr.emit("/live/clip/added", (t, sc) + read_clip(self.slot.clip))


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


class DeviceObserver(_Node):
    def __init__(self, track_obs, device):
        _Node.__init__(self, track_obs.mgr, device)
        self.track_obs = track_obs
        self.device = device
        self.index = -1
        self.params = []

    def register(self):
        d = self.device
        # A renamed device or a changed parameter list (a plug-in configured)
        # has no event of its own: the device is sent again whole.
        self.listen(d, "name", self._on_structure)
        self.listen(d, "parameters", self._on_structure)
        # Kept for emit_full: the list changes only with the parameters
        # notification, which registers again.
        self.params = params = list(d.parameters)
        registry = self.mgr.registry
        handles = self.handles
        for i, p in enumerate(params):
            # One small object per parameter is its listener, already
            # guarded: what a parameter must cost, and no more.
            handles.append(registry.add(p, "value", _ParamWatch(self, i, p), guarded=True))

    def unregister(self):
        self.alive = False
        self.unlisten()
        self.mgr.debouncer.forget(lambda k: k[0] is self)

    def _on_structure(self):
        mgr = self.mgr
        with mgr.batch():
            mgr.emit("/live/device/deleted", (self.track_obs.index, self.index))
            self.unregister()
            self.alive = True
            self.register()
            self.emit_full()

    def emit_full(self):
        t, d = self.track_obs.index, self.index
        dev = self.device
        emit = self.mgr.emit
        emit("/live/device/added", (t, d, str(dev.name), str(dev.class_name)))
        for i, p in enumerate(self.params):
            emit("/live/device/param_info", (t, d, i) + read_param(p))


class _DeviceHooks(ListHooks):
    """A track's device chain changed: deleted, moved (deleted + added with
    its parameters) or added devices."""

    def __init__(self, track_obs):
        self.t = track_obs

    def _renumber(self):
        for i, d in enumerate(self.t.devices):
            d.index = i

    def make(self, device, final_index):
        return DeviceObserver(self.t, device)

    def removed(self, index, obs):
        obs.unregister()
        self._renumber()
        self.t.mgr.emit("/live/device/deleted", (self.t.index, index))

    def moved(self, src, dst, obs):
        self.t.mgr.emit("/live/device/deleted", (self.t.index, src))
        self._renumber()
        obs.emit_full()

    def inserted(self, index, obs):
        self._renumber()
        obs.register()
        obs.emit_full()


class _SlotHooks(ListHooks):
    """What a scene edit left different in one track's slots (a slot Live
    replaced in place): sent whole."""

    def __init__(self, track_obs):
        self.t = track_obs

    def _renumber(self):
        for i, s in enumerate(self.t.slots):
            s.scene_index = i

    def make(self, slot, final_index):
        return self.t.mgr.new_slot(self.t, slot, final_index)

    def removed(self, index, obs):
        self.t.mgr.drop_slot(obs)
        self._renumber()

    def moved(self, src, dst, obs):
        self._renumber()
        for s in self.t.slots[min(src, dst):max(src, dst) + 1]:
            s.emit_full()

    def inserted(self, index, obs):
        self._renumber()
        obs.emit_full()


class TrackObserver(_Node):
    def __init__(self, mgr, track, kind):
        _Node.__init__(self, mgr, track)
        self.track = track
        self.kind = kind
        self.index = -1
        self.devices = []
        self.slots = []
        self.volume = None
        self.folded = False  # what receivers were last told
        self.armable = False
        self.arm_handles = []

    def where(self):
        return (self.index,)

    def register(self):
        t = self.track
        self.volume = t.mixer_device.volume
        self.listen_props(TRACK_PROPS)
        self.armable = can_arm(t, self.kind)
        if self.armable:
            self.listen_props((ARM_PROP,), into=self.arm_handles)
        self.listen(t, "devices", self._on_devices)
        self.devices = [DeviceObserver(self, d) for d in t.devices]
        for i, d in enumerate(self.devices):
            d.index = i
            d.register()
        if self.kind in SLOTTED:
            self.listen(t, "clip_slots", self._on_clip_slots)
            self.slots = [self.mgr.new_slot(self, slot, i) for i, slot in enumerate(t.clip_slots)]
        self.folded = read_folded(t, self.kind)

    def unregister(self):
        self.alive = False
        for d in self.devices:
            d.unregister()
        for s in self.slots:
            self.mgr.drop_slot(s)
        self.devices = []
        self.slots = []
        self.unlisten(self.arm_handles)
        self.unlisten()
        self.mgr.debouncer.forget(lambda k: k[0] is self)

    def _on_devices(self):
        sync_list(self.devices, list(self.track.devices), self.mgr.key, _DeviceHooks(self), around=self.mgr.batch)

    def _on_clip_slots(self):
        self.mgr.grid_changed(self)

    def poll_armable(self):
        """can_be_armed is not listenable: followed by the slow poll."""
        now = can_arm(self.track, self.kind)
        if now == self.armable:
            return
        if now:
            self.listen_props((ARM_PROP,), into=self.arm_handles)
        else:
            self.unlisten(self.arm_handles)
        self.armable = now
        self.mgr.emit(ARM_PROP.event, (self.index, bool(self.track.arm) if now else False))

    def check_fold(self):
        """fold_state is not listenable: checked when visible_tracks
        changes (folding changes it) and by the slow poll."""
        if self.kind != "group" or not valid(self.track):
            return
        folded = read_folded(self.track, self.kind)
        if folded != self.folded:
            self.folded = folded
            self.mgr.emit("/live/track/fold", (self.index, folded))

    def emit_full(self):
        """track/added with the whole track: devices, slots and clips."""
        self.mgr.emit("/live/track/added", (self.index,) + read_track(self.track, self.kind))
        for d in self.devices:
            d.emit_full()
        for s in self.slots:
            s.emit_full()


class _TrackHooks(ListHooks):
    """song.tracks or song.return_tracks changed. Indices are of the
    combined list (the observer's own index before renumbering)."""

    def __init__(self, mgr, kind):
        self.mgr = mgr
        self.kind = kind  # None: read each regular track's kind

    def make(self, track, final_index):
        return self.mgr.new_track(track, self.kind or regular_kind(track))

    def removed(self, index, obs):
        old = obs.index
        self.mgr.track_by_key.pop(obs.key, None)
        obs.unregister()
        self.mgr.renumber_tracks()
        self.mgr.emit("/live/track/deleted", (old,))

    def moved(self, src, dst, obs):
        self.mgr.emit("/live/track/deleted", (obs.index,))
        self.mgr.renumber_tracks()
        obs.emit_full()

    def inserted(self, index, obs):
        self.mgr.renumber_tracks()
        obs.emit_full()


class _SceneHooks(ListHooks):
    """song.scenes changed, and with each scene its row of clip slots in
    every track of ``grid`` (``live``: their clip slots as Live has them)."""

    def __init__(self, mgr, grid, live):
        self.mgr = mgr
        self.grid = grid
        self.live = live

    def make(self, scene, final_index):
        obs = self.mgr.new_scene(scene)
        obs.live_row = final_index
        return obs

    def _renumber_rows(self):
        for t in self.grid:
            for i, o in enumerate(t.slots):
                o.scene_index = i

    def removed(self, index, obs):
        mgr = self.mgr
        mgr.scene_by_key.pop(obs.key, None)
        obs.unregister()
        mgr.renumber_scenes()
        mgr.emit("/live/scene/removed", (index,))
        for t in self.grid:
            mgr.drop_slot(t.slots.pop(index))
        self._renumber_rows()

    def moved(self, src, dst, obs):
        mgr = self.mgr
        mgr.renumber_scenes()
        mgr.emit("/live/scene/reordered", (dst, str(obs.scene.name), src))
        for t in self.grid:
            t.slots.insert(dst, t.slots.pop(src))
        self._renumber_rows()

    def inserted(self, index, obs):
        mgr = self.mgr
        mgr.renumber_scenes()
        mgr.emit("/live/scene/added", (index, str(obs.scene.name), color(obs.scene)))
        # The new row's slots, read where Live has them now.
        for t, slots in zip(self.grid, self.live):
            t.slots.insert(index, mgr.new_slot(t, slots[obs.live_row], index))
        self._renumber_rows()
        for t in self.grid:
            t.slots[index].emit_full()


class ObserverManager(_Node):
    """Owns every observer and the song's own listeners; main thread only."""

    def __init__(self, song, application, sender, clock=time.monotonic):
        self.song = song
        self.application = application
        self.sender = sender
        self.emit = sender.emit
        self.clock = clock
        self.key = live_key(song)  # how Live objects are told apart (a function, not a node's key)
        self.registry = Registry()
        # The manager is the song's node (its property table is SONG_PROPS).
        self.mgr = self
        self.obj = song
        self.handles = []
        self.alive = False
        self.last = {}
        self.debouncer = Debouncer()
        self.enabled = False
        self.regular = []
        self.returns = []
        self.master = None
        self.scenes = []
        self.track_by_key = {}
        self.scene_by_key = {}
        self.slot_by_key = {}
        self._batch_depth = 0
        self._batch_id = 0
        # A scene edit in progress: whether Live has announced the scene
        # list, and which tracks have announced their clip slots.
        self._scenes_changed = False
        self._slots_changed = set()
        self._grid_pending = False
        self._next_slow_poll = 0.0
        self.cursor = CursorObserver(self)
        self.file_path = None  # what receivers were last told (None: nothing yet)

    @property
    def view(self):
        """The main view receivers were last told ("session"/"arrangement"),
        None before start; GET_VIEW reads it from a connection thread."""
        return self.last.get("/live/view")

    # --- events

    def emit(self, path, args):
        """Number and queue one event (UdpSender.emit; __init__ binds it
        directly, one call less per event in a storm)."""
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
        self.alive = True
        self.last = {}
        self.listen_props(SONG_PROPS)
        self.listen(song, "tracks", self._on_tracks)
        self.listen(song, "visible_tracks", self._on_visible_tracks)
        self.listen(song, "return_tracks", self._on_return_tracks)
        self.listen(song, "scenes", self._on_scenes)
        self.regular = [self.new_track(t, regular_kind(t)) for t in song.tracks]
        self.returns = [self.new_track(t, "return") for t in song.return_tracks]
        self.master = self.new_track(song.master_track, "master")
        self.renumber_tracks()
        self.scenes = [self.new_scene(s) for s in song.scenes]
        self.renumber_scenes()
        self.enabled = True
        # Start from what is there now: only later changes become events.
        self.file_path = read_file_path(song)
        self.cursor.start()
        log("Observers", "observing %d tracks, %d scenes, %d devices with %d listeners in %.1f ms" % (
            self.track_count(), len(self.scenes), self.device_count(), self.registry.count,
            (self.clock() - started) * 1000.0))

    def stop(self):
        """Remove every listener (Live's rules) and forget pending trailing edges."""
        if not self.enabled:
            return
        for obs in self.all_tracks():
            obs.unregister()
        for s in self.scenes:
            s.unregister()
        self.unlisten()
        self.alive = False
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
        edit, trailing edges, and the polled values (path, arm, folds, the
        highlighted slot), so that a SNAPSHOT's seq covers everything its
        state shows."""
        if not self.enabled:
            return
        if self._grid_pending:
            self.sync_grid()
        self.debouncer.flush_all()
        self._slow_poll()
        self.cursor.update()

    def update(self, now=None):
        """Per-tick work: trailing edges and polling what is not listenable."""
        if not self.enabled:
            return
        if now is None:
            now = self.clock()
        self.debouncer.tick()
        if self._grid_pending:
            # A scene edit some of whose notifications never came (a track
            # whose clip slots did not change, say): Live's lists agree by now.
            self.sync_grid()
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

    # --- observers of structure

    def new_track(self, track, kind):
        obs = TrackObserver(self, track, kind)
        obs.register()
        self.track_by_key[obs.key] = obs
        return obs

    def new_scene(self, scene):
        obs = SceneObserver(self, scene)
        obs.register()
        self.scene_by_key[obs.key] = obs
        return obs

    def new_slot(self, track_obs, slot, row):
        obs = SlotObserver(track_obs, slot)
        obs.scene_index = row
        obs.register()
        self.slot_by_key[obs.key] = obs
        return obs

    def drop_slot(self, obs):
        self.slot_by_key.pop(obs.key, None)
        obs.unregister()

    def renumber_tracks(self):
        for i, obs in enumerate(self.all_tracks()):
            obs.index = i

    def renumber_scenes(self):
        for i, s in enumerate(self.scenes):
            s.index = i

    # --- the song's structure

    def _on_visible_tracks(self):
        for obs in self.regular:
            obs.check_fold()

    def _on_tracks(self):
        self._sync_tracks(self.regular, list(self.song.tracks), None)

    def _on_return_tracks(self):
        self._sync_tracks(self.returns, list(self.song.return_tracks), "return")

    def _sync_tracks(self, nodes, items, kind):
        with self.batch():
            sync_list(nodes, items, self.key, _TrackHooks(self, kind))
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

    def sync_grid(self):
        """Bring scenes and every track's slot observers to Live's grid:
        scene events (with slot events for the rows they bring) in one
        batch, then whatever a track's slots still differ by, sent whole."""
        grid = [t for t in self.regular if t.kind in SLOTTED]
        scenes = list(self.song.scenes)
        live = [list(t.track.clip_slots) for t in grid]
        if any(len(slots) != len(scenes) for slots in live):
            return  # Live is mid-edit: the last notification will come
        self._grid_pending = self._scenes_changed = False
        self._slots_changed.clear()
        key = self.key
        if [key(sc) for sc in scenes] == [o.key for o in self.scenes] and all(
                [key(x) for x in slots] == [o.key for o in t.slots] for t, slots in zip(grid, live)):
            return  # announced, but nothing differs (a scene moved onto itself)
        with self.batch():
            sync_list(self.scenes, scenes, key, _SceneHooks(self, grid, live))
            for t, slots in zip(grid, live):
                sync_list(t.slots, slots, key, _SlotHooks(t))
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
            mgr.sender.emit("/live/batch/start", (self.id,))
        return self

    def __exit__(self, *exc):
        mgr = self.mgr
        mgr._batch_depth -= 1
        if mgr._batch_depth == 0:
            mgr.sender.emit("/live/batch/end", (self.id,))
        return False
