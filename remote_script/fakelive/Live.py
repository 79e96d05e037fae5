"""A fake of Ableton Live's ``Live`` module, as strict as Live.

The object model follows the names of Live's Python API and the Live Object
Model reference; docs/fakelive.md lists every rule with its reference. What
Live enforces, this enforces:

- only the main thread (the thread that created the FakeLive runtime) may
  touch any object; any other thread gets RuntimeError and is counted;
- listeners exist only for listenable properties; adding one twice raises
  "Observer already connected", removing an unconnected one raises
  "Observer not connected"; they fire synchronously, with no arguments, and
  only when the value really changes;
- changing the Set while a listener runs raises "Changes cannot be triggered
  by notifications. You will need to defer your response.";
- every read of an object-valued property returns a *fresh* wrapper, as
  Live's Python bindings do: ``is`` and ``id()`` never hold between two
  reads; ``==`` and ``_live_ptr`` identify the underlying object;
- a deleted object dies: it compares equal to ``None`` (Ableton's own
  ``liveobj_valid(obj)`` is ``obj != None``), and reading a property, calling
  a method or touching a listener of it raises RuntimeError;
- the order in which one structural edit notifies its listeners (the scene
  list or the tracks' clip slots first; ``tracks`` or ``visible_tracks``
  first) is drawn from the runtime's seeded random generator, and each list
  changes only when its own notification comes, so a listener never sees a
  list that has not been announced yet.
"""

import itertools
import threading

# The runtime (fakelive.runtime.FakeLive) sets this; Live has one process-wide
# application, and so does the fake.
_runtime = None

NOTIFICATION_ERROR = "Changes cannot be triggered by notifications. You will need to defer your response."
# What the fake raises for a deleted object. Live raises RuntimeError; its
# wording is not documented, so nothing may depend on this text.
DEAD_ERROR = "the Live object was deleted"


class _NoRuntime(object):
    main_ident = None
    violations = 0
    notifying = 0
    version = (12, 1, 5)

    def report_exception(self, where):
        raise

    def first(self, what):
        return True

    def defer(self, fn):
        fn()


def _rt():
    return _runtime if _runtime is not None else _NoRuntime


def _check_thread(what):
    rt = _rt()
    if rt.main_ident is not None and threading.get_ident() != rt.main_ident:
        rt.violations += 1
        raise RuntimeError("Live API accessed off the main thread: %s" % what)


def _check_alive(obj, what):
    _check_thread(what)
    if obj.__dict__["_dead"]:
        raise RuntimeError("%s: %s" % (what, DEAD_ERROR))


def _check_change(obj, what):
    _check_alive(obj, what)
    if _rt().notifying:
        raise RuntimeError(NOTIFICATION_ERROR)


_PLAIN = frozenset((float, int, bool, str, type(None)))


def _fresh(value):
    """What a read returns: new wrappers for Live objects (and for the items
    of a list of them), the value itself otherwise."""
    if isinstance(value, LiveObject):
        return value._wrapper()
    if type(value) is tuple and value and isinstance(value[0], LiveObject):
        return tuple(v._wrapper() for v in value)
    return value


class _Prop(object):
    """A Live property: main-thread only; listenable or not; writable or not;
    ``since`` the Live version that has it (older ones raise AttributeError,
    as for a name Live does not know)."""

    def __init__(self, name, writable=True, check=None, since=None, after=None):
        self.name = name
        self.writable = writable
        self.check = check  # check(obj, value) -> value, or raises
        self.since = since
        self.after = after  # after(obj): what else changes with it (after its own notification)

    def _exists(self, obj):
        if self.since is not None and tuple(_rt().version) < self.since:
            raise AttributeError("'%s' object has no attribute '%s' (before Live %s)" % (
                type(obj).__name__, self.name, ".".join(str(n) for n in self.since)))

    def __get__(self, obj, owner):
        # The checks of _check_alive, inlined: a property read is the fake's
        # hottest path, and the fake must not make the script look slower
        # than Live (whose getters are C++).
        if obj is None:
            return self
        if self.since is not None:
            self._exists(obj)
        rt = _runtime if _runtime is not None else _NoRuntime
        if rt.main_ident is not None and threading.get_ident() != rt.main_ident:
            _check_thread("%s.%s" % (type(obj).__name__, self.name))
        d = obj.__dict__
        if d["_dead"]:
            raise RuntimeError("%s.%s: %s" % (type(obj).__name__, self.name, DEAD_ERROR))
        value = d["_v"][self.name]
        if type(value) in _PLAIN:
            return value
        return _fresh(value)

    def __set__(self, obj, value):
        self._exists(obj)
        what = "%s.%s" % (type(obj).__name__, self.name)
        _check_change(obj, what)
        if not self.writable:
            raise AttributeError("can't set attribute %s" % what)
        if self.check is not None:
            value = self.check(obj, value)
        if obj._set(self.name, value) and self.after is not None:
            self.after(obj)


_MISSING = object()

# Live's _live_ptr is the address of the C++ object; the fake hands out
# unique numbers that look like one.
_PTRS = itertools.count(0x7F3A00001000, 0x40)


class LiveObject(object):
    """Base of every fake Live object: values, listeners, notification, life.

    A wrapper is a second Python object sharing the first one's ``__dict__``:
    the same Live object, a different Python identity.
    """

    _listenable = ()
    # Unhashable: code that keyed dictionaries by Live objects would get a
    # different key for every wrapper; _live_ptr is the key.
    __hash__ = None

    def __init__(self):
        self._v = {}
        self._listeners = {}
        self._live_ptr = next(_PTRS)
        self._dead = False

    def _wrapper(self):
        w = object.__new__(type(self))
        w.__dict__ = self.__dict__
        return w

    def __eq__(self, other):
        if other is None:
            return self.__dict__["_dead"]
        if isinstance(other, LiveObject):
            return self.__dict__["_live_ptr"] == other.__dict__["_live_ptr"]
        return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def _children(self):
        return ()

    def _kill(self):
        """The object is deleted in Live: it and what it owns die."""
        if self._dead:
            return
        self._dead = True
        self._listeners.clear()
        for child in self._children():
            child._kill()

    def _set(self, name, value):
        """Store and notify if changed (no thread/notification checks: callers do)."""
        old = self._v.get(name, _MISSING)
        if type(old) is type(value) and old == value:
            return False
        self._v[name] = value
        self._notify(name)
        return True

    def _notify(self, name):
        cbs = self._listeners.get(name)
        if not cbs or self._dead:
            return
        rt = _rt()
        for cb in list(cbs):
            rt.notifying += 1
            try:
                cb()
            except Exception:
                rt.report_exception("listener of %s.%s" % (type(self).__name__, name))
            finally:
                rt.notifying -= 1

    def __getattr__(self, attr):
        # add_<prop>_listener / remove_<prop>_listener / <prop>_has_listener
        if attr.startswith("__"):
            raise AttributeError(attr)
        for prefix, suffix, kind in (("add_", "_listener", "add"), ("remove_", "_listener", "remove"),
                                     ("", "_has_listener", "has")):
            if attr.startswith(prefix) and attr.endswith(suffix):
                prop = attr[len(prefix):len(attr) - len(suffix)]
                if prop in type(self)._listenable:
                    return _ListenerMethod(self, prop, kind)
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, attr))

    def __repr__(self):
        name = self.__dict__.get("_v", {}).get("name")
        dead = " (deleted)" if self.__dict__.get("_dead") else ""
        return "<%s %r%s>" % (type(self).__name__, name, dead) if name is not None else \
            "<%s%s>" % (type(self).__name__, dead)


class _ListenerMethod(object):
    __slots__ = ("obj", "prop", "kind")

    def __init__(self, obj, prop, kind):
        self.obj, self.prop, self.kind = obj, prop, kind

    def __call__(self, cb):
        _check_alive(self.obj, "%s.%s listener" % (type(self.obj).__name__, self.prop))
        cbs = self.obj._listeners.setdefault(self.prop, [])
        present = any(c is cb or c == cb for c in cbs)
        if self.kind == "has":
            return present
        if self.kind == "add":
            if present:
                raise RuntimeError("Observer already connected")
            cbs.append(cb)
            return None
        if not present:
            raise RuntimeError("Observer not connected")
        for i, c in enumerate(cbs):
            if c is cb or c == cb:
                del cbs[i]
                break
        return None


def listener_count(obj):
    """How many listeners are connected to obj (fake-only, for tests)."""
    return sum(len(v) for v in obj._listeners.values())


def alive(obj):
    """Ableton's liveobj_valid (ableton/v2/base/live_api_utils.py)."""
    return obj != None  # noqa: E711 -- a deleted Live object equals None


# ---------------------------------------------------------------------------


def _clamp_param(param, value):
    value = float(value)
    if value < param._v["min"] or value > param._v["max"]:
        raise ValueError("Invalid value %r for parameter %r (range %r..%r)" % (
            value, param._v["name"], param._v["min"], param._v["max"]))
    return value


class DeviceParameter(LiveObject):
    # LOM: value, display_value, automation_state and state are observable;
    # name is read-only and not observable.
    _listenable = ("value",)
    name = _Prop("name", writable=False)
    value = _Prop("value", check=_clamp_param)
    min = _Prop("min", writable=False)
    max = _Prop("max", writable=False)

    def __init__(self, name, value, vmin=0.0, vmax=1.0):
        LiveObject.__init__(self)
        self._v.update(name=name, value=float(value), min=float(vmin), max=float(vmax))


class MixerDevice(LiveObject):
    volume = _Prop("volume", writable=False)
    panning = _Prop("panning", writable=False)

    def __init__(self, volume=0.85):
        LiveObject.__init__(self)
        self._v.update(volume=DeviceParameter("Track Volume", volume, 0.0, 1.0),
                       panning=DeviceParameter("Track Panning", 0.0, -1.0, 1.0))

    def _children(self):
        return (self._v["volume"], self._v["panning"])


class Device(LiveObject):
    _listenable = ("name", "parameters")
    name = _Prop("name")
    class_name = _Prop("class_name", writable=False)
    parameters = _Prop("parameters", writable=False)

    def __init__(self, name, class_name, params):
        LiveObject.__init__(self)
        self._v.update(name=name, class_name=class_name,
                       parameters=tuple(DeviceParameter(*p) for p in params))

    def _children(self):
        return self._v["parameters"]

    def set_parameters(self, params):
        """Fake-only: a plug-in reconfigured its parameter list (the old
        parameters die)."""
        _check_change(self, "Device.parameters")
        old = self._v["parameters"]
        self._set("parameters", tuple(DeviceParameter(*p) for p in params))
        for p in old:
            p._kill()


# Clip play states (fake bookkeeping; Live shows them through is_playing,
# is_triggered, is_recording and the playing_status notification).
STOPPED, TRIGGERED, PLAYING, RECORDING = "stopped", "triggered", "playing", "recording"


class Clip(LiveObject):
    # LOM Clip: name, color, muted, looping, is_recording observable;
    # playing_status is a notification only ("bang"), with no value to read;
    # is_playing and is_triggered are readable and not observable.
    _listenable = ("name", "color", "muted", "looping", "playing_status", "is_recording")
    name = _Prop("name")
    # A slot shows its clip's colour; a Group Track slot its tracks' clips.
    color = _Prop("color", check=lambda o, v: int(v), after=lambda o: o._slot and o._slot._refresh_color())
    muted = _Prop("muted", check=lambda o, v: bool(v), after=lambda o: o._slot and o._slot._refresh_groups())
    looping = _Prop("looping", check=lambda o, v: bool(v))
    is_playing = _Prop("is_playing", writable=False)
    is_triggered = _Prop("is_triggered", writable=False)
    is_recording = _Prop("is_recording", writable=False)
    length = _Prop("length", writable=False)
    is_midi_clip = _Prop("is_midi_clip", writable=False)
    is_audio_clip = _Prop("is_audio_clip", writable=False)

    def __init__(self, name="", color=0, length=4.0, looping=True, midi=True):
        LiveObject.__init__(self)
        self._slot = None
        self._state = STOPPED
        self._v.update(name=name, color=int(color), muted=False, looping=looping, is_playing=False,
                       is_triggered=False, is_recording=False, length=float(length), is_midi_clip=bool(midi),
                       is_audio_clip=not midi)

    def _set_state(self, state):
        if state == self._state:
            return
        self._state = state
        self._v["is_playing"] = state in (PLAYING, RECORDING)
        self._v["is_triggered"] = state == TRIGGERED
        self._set("is_recording", state == RECORDING)
        self._notify("playing_status")
        if self._slot is not None:
            self._slot._clip_state_changed()

    def fire(self):
        _check_change(self, "Clip.fire")
        self._slot._fire_now()

    def stop(self):
        _check_change(self, "Clip.stop")
        if self._state != STOPPED:
            self._set_state(STOPPED)


class ClipSlot(LiveObject):
    # LOM ClipSlot: has_clip, has_stop_button, playing_status, is_triggered,
    # color, controls_other_clips are observable. playing_status, is_playing
    # and is_recording describe the clips of a Group Track's tracks and are
    # 0 / False for any other slot: a clip's own state is read from the clip.
    _listenable = ("has_clip", "has_stop_button", "playing_status", "is_triggered", "color",
                   "controls_other_clips")
    has_clip = _Prop("has_clip", writable=False)
    has_stop_button = _Prop("has_stop_button", check=lambda o, v: bool(v))
    playing_status = _Prop("playing_status", writable=False)
    is_triggered = _Prop("is_triggered", writable=False)
    color = _Prop("color", writable=False)
    clip = _Prop("clip", writable=False)
    is_group_slot = _Prop("is_group_slot", writable=False)
    controls_other_clips = _Prop("controls_other_clips", writable=False)
    will_record_on_start = _Prop("will_record_on_start", writable=False)

    def __init__(self, track):
        LiveObject.__init__(self)
        self._track = track
        group = track._kind == "group"
        self._v.update(has_clip=False, has_stop_button=True, playing_status=0, is_triggered=False, color=None,
                       clip=None, is_group_slot=group, controls_other_clips=False, will_record_on_start=False)

    @property
    def is_playing(self):
        _check_alive(self, "ClipSlot.is_playing")
        return self._v["playing_status"] != 0

    @property
    def is_recording(self):
        _check_alive(self, "ClipSlot.is_recording")
        return self._v["playing_status"] == 2

    def _children(self):
        return (self._v["clip"],) if self._v["clip"] is not None else ()

    def _row(self):
        return self._track._v["clip_slots"].index(self)

    def _refresh_color(self):
        # UNVERIFIED for a slot outside a group: the LOM documents
        # ClipSlot.color only for Group Track slots; here a slot shows its
        # clip's colour, and None when it is empty.
        clip = self._v["clip"]
        self._set("color", clip._v["color"] if clip is not None else None)
        self._refresh_groups()

    def _refresh_groups(self):
        self._track._song._refresh_groups(self._track, self._row())

    def create_clip(self, length, name="", color=None):
        _check_change(self, "ClipSlot.create_clip")
        if self._v["is_group_slot"]:
            raise RuntimeError("Cannot create a clip in a Group Track slot")
        if self._v["has_clip"]:
            raise RuntimeError("Clip slot already has a clip")
        if not self._track._v["has_midi_input"]:
            raise RuntimeError("Can only create MIDI clips in MIDI tracks")
        if not float(length) > 0.0:
            raise ValueError("Clip length must be greater than 0")
        if color is None:
            color = self._track._v["color"]
        clip = Clip(name, color, length)
        self._put(clip)
        return clip

    def _place_clip(self, clip):
        """Fake-only: a clip dropped in by the user (audio or MIDI)."""
        if self._v["is_group_slot"]:
            raise RuntimeError("Cannot place a clip in a Group Track slot")
        self._put(clip)

    def _put(self, clip):
        clip._slot = self
        self._v["clip"] = clip
        self._set("has_clip", True)
        self._refresh_color()

    def delete_clip(self):
        _check_change(self, "ClipSlot.delete_clip")
        if not self._v["has_clip"]:
            raise RuntimeError("No clip in slot")
        clip = self._v["clip"]
        clip._set_state(STOPPED)
        self._v["clip"] = None
        self._set("has_clip", False)
        self._refresh_color()
        clip._kill()

    def fire(self, record_length=None, launch_quantization=None):
        _check_change(self, "ClipSlot.fire")
        self._fire_now()

    def _fire_now(self):
        """Launch the clip; on an empty slot record (armed track) or stop
        the track (stop button). Quantization is one tick: the slot blinks
        now and the change happens on the fake's next tick."""
        track = self._track
        if self._v["is_group_slot"]:
            for t in track._song._members(track):
                if t._kind != "group":
                    t._v["clip_slots"][self._row()]._fire_now()
            return
        clip = self._v["clip"]
        if clip is not None:
            clip._set_state(TRIGGERED)  # the slot blinks with it (_clip_state_changed)
            _rt().defer(lambda: self._start(clip, PLAYING))
        elif track._v["arm"]:
            self._v["will_record_on_start"] = True
            self._set("is_triggered", True)
            _rt().defer(self._start_recording)
        elif self._v["has_stop_button"]:
            self._set("is_triggered", True)
            _rt().defer(self._stop_track)

    def _start(self, clip, state):
        if clip._dead or self._v["clip"] is not clip or clip._state != TRIGGERED:
            return
        # One clip plays per track: the one that was playing stops.
        for other in self._track._v["clip_slots"]:
            c = other._v["clip"]
            if other is not self and c is not None and c._state in (PLAYING, RECORDING):
                c._set_state(STOPPED)
        clip._set_state(state)
        self._set("is_triggered", False)

    def _start_recording(self):
        if self._dead or self._v["has_clip"]:
            return
        self._v["will_record_on_start"] = False
        track = self._track
        clip = Clip("", track._v["color"], 4.0, midi=bool(track._v["has_midi_input"]))
        clip._state = TRIGGERED
        self._put(clip)
        self._start(clip, RECORDING)

    def _stop_track(self):
        if self._dead:
            return
        for other in self._track._v["clip_slots"]:
            c = other._v["clip"]
            if c is not None and c._state != STOPPED:
                c._set_state(STOPPED)
        self._set("is_triggered", False)

    def stop(self):
        """Stops the clips of this slot's track (LOM: any slot of the track)."""
        _check_change(self, "ClipSlot.stop")
        if self._v["is_group_slot"]:
            for t in self._track._song._members(self._track):
                if t._kind != "group" and t._v["clip_slots"]:
                    t._v["clip_slots"][0]._stop_track()
            return
        self._stop_track()

    def _clip_state_changed(self):
        clip = self._v["clip"]
        self._set("is_triggered", clip is not None and clip._state == TRIGGERED)
        self._refresh_groups()

    def set_fire_button_state(self, state):
        _check_change(self, "ClipSlot.set_fire_button_state")
        if state:
            self._fire_now()


class _MixerProp(_Prop):
    """mute/solo: the master track has neither, and Live raises on access."""

    def __get__(self, obj, owner):
        if obj is not None and obj.__dict__["_kind"] == "master":
            _check_alive(obj, "Track.%s" % self.name)
            raise RuntimeError("Master track has no %s" % self.name)
        return _Prop.__get__(self, obj, owner)


class _FoldProp(_Prop):
    """fold_state exists only on foldable (group) tracks: Live raises
    RuntimeError for any other track (AbletonOSC's handler.py catches it)."""

    def __get__(self, obj, owner):
        if obj is not None and not obj.__dict__["_v"]["is_foldable"]:
            _check_alive(obj, "Track.fold_state")
            raise RuntimeError("Track.fold_state: only Group Tracks can be folded")
        return _Prop.__get__(self, obj, owner)


def _check_arm(track, value):
    if not track._v["can_be_armed"]:
        raise RuntimeError("Track cannot be armed")
    return bool(value)


def _check_fold(track, value):
    if not track._v["is_foldable"]:
        raise RuntimeError("Track.fold_state: only Group Tracks can be folded")
    return 1 if value else 0


class Track(LiveObject):
    # LOM Track: fold_state, is_foldable, is_grouped, group_track and
    # is_visible are not observable (visible_tracks of the Song is).
    _listenable = ("name", "mute", "solo", "arm", "color", "devices", "clip_slots", "output_meter_level",
                   "playing_slot_index", "fired_slot_index")
    name = _Prop("name")
    mute = _MixerProp("mute", check=lambda o, v: o._mixer_check("mute", bool(v)))
    solo = _MixerProp("solo", check=lambda o, v: o._mixer_check("solo", bool(v)))
    arm = _Prop("arm", check=_check_arm)
    color = _Prop("color", check=lambda o, v: int(v))
    can_be_armed = _Prop("can_be_armed", writable=False)
    has_audio_input = _Prop("has_audio_input", writable=False)
    has_midi_input = _Prop("has_midi_input", writable=False)
    devices = _Prop("devices", writable=False)
    clip_slots = _Prop("clip_slots", writable=False)
    mixer_device = _Prop("mixer_device", writable=False)
    is_foldable = _Prop("is_foldable", writable=False)
    # Folding changes Song.visible_tracks (which notifies); fold_state does not.
    fold_state = _FoldProp("fold_state", check=_check_fold, after=lambda o: o._song._update_visible())
    is_grouped = _Prop("is_grouped", writable=False)
    group_track = _Prop("group_track", writable=False)
    playing_slot_index = _Prop("playing_slot_index", writable=False)
    fired_slot_index = _Prop("fired_slot_index", writable=False)

    def __init__(self, song, name, kind, color=0, volume=0.85, group=None):
        LiveObject.__init__(self)
        self._song = song
        self._kind = kind  # audio, midi, group, return, master (fake bookkeeping)
        regular = kind in ("audio", "midi")
        self._v.update(name=name, mute=False, solo=False, arm=False, color=int(color), can_be_armed=regular,
                       has_audio_input=kind == "audio", has_midi_input=kind == "midi", devices=(),
                       clip_slots=(), mixer_device=MixerDevice(volume), is_foldable=kind == "group",
                       fold_state=0, is_grouped=group is not None, group_track=group, playing_slot_index=-1,
                       fired_slot_index=-1)
        if regular or kind == "group":
            self._v["clip_slots"] = tuple(ClipSlot(self) for _ in song._v["scenes"])

    @property
    def is_visible(self):
        """LOM: 0 = the track is hidden in a folded Group Track."""
        _check_alive(self, "Track.is_visible")
        return self._song._is_visible(self)

    def _children(self):
        return self._v["clip_slots"] + self._v["devices"] + (self._v["mixer_device"],)

    def _mixer_check(self, what, value):
        if self._kind == "master":
            raise RuntimeError("Master track has no %s" % what)
        return value

    def delete_device(self, index):
        _check_change(self, "Track.delete_device")
        devs = list(self._v["devices"])
        if not 0 <= index < len(devs):
            raise IndexError("device index %d out of range" % index)
        dead = devs.pop(index)
        self._set("devices", tuple(devs))
        dead._kill()

    def insert_device(self, index, name, class_name, params):
        """Fake-only: the user drops a device into the chain at index. (Live
        12.3's own Track.insert_device(device_name, target_index) inserts a
        native device by name; no script here calls either.)"""
        _check_change(self, "Track.insert_device")
        devs = list(self._v["devices"])
        if index < 0 or index > len(devs):
            index = len(devs)
        dev = Device(name, class_name, params)
        devs.insert(index, dev)
        self._set("devices", tuple(devs))
        return dev._wrapper()

    def move_device(self, src, dst):
        """Fake-only: the user drags a device within the chain."""
        _check_change(self, "Track.move_device")
        devs = list(self._v["devices"])
        dev = devs.pop(src)
        devs.insert(dst, dev)
        self._set("devices", tuple(devs))

    def stop_all_clips(self):
        _check_change(self, "Track.stop_all_clips")
        if self._v["clip_slots"]:
            self._v["clip_slots"][0]._stop_track()


class Scene(LiveObject):
    _listenable = ("name", "color", "is_triggered")
    name = _Prop("name")
    color = _Prop("color", check=lambda o, v: int(v))
    is_triggered = _Prop("is_triggered", writable=False)

    def __init__(self, song, name="", color=0):
        LiveObject.__init__(self)
        self._song = song
        self._v.update(name=name, color=int(color), is_triggered=False)

    def fire(self, force_legato=False, can_select_scene_on_launch=True):
        """Fires every slot of the row (empty slots with a stop button stop
        their track) and, by default, selects the scene (LOM Scene.fire)."""
        _check_change(self, "Scene.fire")
        song = self._song
        row = song._v["scenes"].index(self)
        self._set("is_triggered", True)
        for t in song._v["tracks"]:
            if t._kind in ("audio", "midi") and row < len(t._v["clip_slots"]):
                t._v["clip_slots"][row]._fire_now()
        if can_select_scene_on_launch:
            song._v["view"]._set("selected_scene", self)
        _rt().defer(lambda: self._dead or self._set("is_triggered", False))


class SongView(LiveObject):
    _listenable = ("selected_track", "selected_scene", "detail_clip")
    selected_track = _Prop("selected_track", check=lambda o, v: o._song._check_track(v))
    selected_scene = _Prop("selected_scene", check=lambda o, v: o._song._check_scene(v))
    # LOM: settable, not observable.
    highlighted_clip_slot = _Prop("highlighted_clip_slot", check=lambda o, v: o._song._check_slot(v))

    def __init__(self, song):
        LiveObject.__init__(self)
        self._song = song
        self._v.update(selected_track=None, selected_scene=None, highlighted_clip_slot=None, detail_clip=None)

    def highlight(self, track, scene):
        """Fake-only: the user clicks a clip slot (selects its track and scene)."""
        _check_change(self, "Song.View.highlight")
        song = self._song
        t = song._v["tracks"][track] if isinstance(track, int) else track
        s = song._v["scenes"][scene] if isinstance(scene, int) else scene
        self.selected_track = t
        self.selected_scene = s
        slots = t._v["clip_slots"]
        row = song._v["scenes"].index(s)
        self._v["highlighted_clip_slot"] = slots[row] if row < len(slots) else None


class Song(LiveObject):
    _listenable = ("tracks", "visible_tracks", "return_tracks", "scenes", "is_playing", "tempo",
                   "current_song_time", "metronome")
    tracks = _Prop("tracks", writable=False)
    visible_tracks = _Prop("visible_tracks", writable=False)
    return_tracks = _Prop("return_tracks", writable=False)
    master_track = _Prop("master_track", writable=False)
    scenes = _Prop("scenes", writable=False)
    is_playing = _Prop("is_playing", check=lambda o, v: bool(v))
    tempo = _Prop("tempo", check=lambda o, v: o._check_tempo(v))
    # Song position in beats. Writable; Live keeps it at 0 or later.
    current_song_time = _Prop("current_song_time", check=lambda o, v: max(0.0, float(v)))
    # Beat time of the last event (a clip end, an automation point) in the
    # Arrangement: read-only and not observable in the LOM.
    last_event_time = _Prop("last_event_time", writable=False)
    # Read-only, not observable; simulated from Live 11.3 on (older Lives in
    # the fake have no such attribute).
    file_path = _Prop("file_path", writable=False, since=(11, 3, 0))
    view = _Prop("view", writable=False)
    select_on_launch = _Prop("select_on_launch", writable=False)

    def __init__(self):
        LiveObject.__init__(self)
        self._v.update(tracks=(), visible_tracks=(), return_tracks=(), scenes=(), is_playing=False, tempo=120.0,
                       current_song_time=0.0, last_event_time=0.0, file_path="", select_on_launch=True)
        self._v["master_track"] = Track(self, "Master", "master")
        self._v["view"] = SongView(self)

    def _children(self):
        v = self._v
        return v["tracks"] + v["return_tracks"] + (v["master_track"],) + v["scenes"] + (v["view"],)

    # --- validation used by setters

    def _check_tempo(self, v):
        v = float(v)
        if not 20.0 <= v <= 999.0:
            raise ValueError("Invalid tempo %r (20..999)" % v)
        return v

    def _check_track(self, t):
        if t is not None and (t._dead or t not in self._all_tracks()):
            raise RuntimeError("Track is not part of this Set")
        return t

    def _check_scene(self, s):
        if s is not None and (s._dead or s not in self._v["scenes"]):
            raise RuntimeError("Scene is not part of this Set")
        return s

    def _check_slot(self, slot):
        if slot is not None and (slot._dead or not any(slot in t._v["clip_slots"] for t in self._v["tracks"])):
            raise RuntimeError("Clip slot is not part of this Set")
        return slot

    def _all_tracks(self):
        return self._v["tracks"] + self._v["return_tracks"] + (self._v["master_track"],)

    # --- groups

    def _ancestors(self, track):
        g = track._v["group_track"]
        while g is not None:
            yield g
            g = g._v["group_track"]

    def _is_visible(self, track):
        return not any(g._v["fold_state"] for g in self._ancestors(track))

    def _members(self, group):
        """Every track inside ``group``, nested groups and their tracks included."""
        return [t for t in self._v["tracks"] if any(g is group for g in self._ancestors(t))]

    def _refresh_groups(self, track, row):
        """Recompute the group slots of ``row`` above ``track`` (LOM
        ClipSlot: a Group Track slot reports its tracks' clips)."""
        for g in list(self._ancestors(track)):
            if g._dead:
                continue
            slots = g._v["clip_slots"]
            if row >= len(slots):
                continue
            clips = [t._v["clip_slots"][row]._v["clip"] for t in self._members(g)
                     if t._kind in ("audio", "midi") and row < len(t._v["clip_slots"])]
            clips = [c for c in clips if c is not None]
            states = set(c._state for c in clips)
            slot = slots[row]
            slot._set("playing_status", 2 if RECORDING in states else 1 if PLAYING in states else 0)
            slot._set("is_triggered", TRIGGERED in states)
            slot._set("color", clips[0]._v["color"] if clips else None)
            slot._set("controls_other_clips", any(not c._v["muted"] for c in clips))

    def _visible_list(self, tracks):
        return tuple(t for t in tracks if self._is_visible(t))

    def _update_visible(self):
        self._set("visible_tracks", self._visible_list(self._v["tracks"]))

    # --- structure

    def _set_tracks(self, tracks):
        """Live changes ``tracks`` and ``visible_tracks`` in one edit; which
        one notifies first is drawn at random, and each changes only when it
        notifies. Tracks that left the Set die."""
        tracks = tuple(tracks)
        old = self._v["tracks"]
        visible = self._visible_list(tracks)

        def set_tracks():
            self._set("tracks", tracks)
            for t in old:
                if t not in tracks:
                    t._kill()

        steps = [set_tracks, lambda: self._set("visible_tracks", visible)]
        if not _rt().first("tracks"):
            steps.reverse()
        for step in steps:
            step()
        self._fix_selection()

    def _fix_selection(self):
        view = self._v["view"]
        sel = view._v["selected_track"]
        if sel is not None and sel not in self._all_tracks():
            view._set("selected_track", self._v["tracks"][0] if self._v["tracks"] else self._v["master_track"])
        sc = view._v["selected_scene"]
        if sc is not None and sc not in self._v["scenes"]:
            view._set("selected_scene", self._v["scenes"][0] if self._v["scenes"] else None)
        hl = view._v["highlighted_clip_slot"]
        if hl is not None and (hl._dead or not any(hl in t._v["clip_slots"] for t in self._v["tracks"])):
            view._v["highlighted_clip_slot"] = None

    def _create_track(self, kind, index, name=None):
        _check_change(self, "Song.create_%s_track" % kind)
        tracks = list(self._v["tracks"])
        if index == -1:
            index = len(tracks)
        if not 0 <= index <= len(tracks):
            raise IndexError("track index %d out of range" % index)
        # Inserted before a grouped track, it joins that track's group.
        group = tracks[index]._v["group_track"] if index < len(tracks) else None
        t = Track(self, name or "%d-%s" % (index + 1, "MIDI" if kind == "midi" else "Audio"), kind, group=group)
        tracks.insert(index, t)
        self._set_tracks(tracks)
        if group is not None:
            for row in range(len(self._v["scenes"])):
                self._refresh_groups(t, row)
        return t._wrapper()

    def create_audio_track(self, index=-1):
        return self._create_track("audio", index)

    def create_midi_track(self, index=-1):
        return self._create_track("midi", index)

    def group_tracks(self, first, last):
        """Fake-only: the user selects tracks first..last and groups them
        (Cmd/Ctrl-G): a Group Track is inserted before them. They must share
        one parent (nested groups are allowed)."""
        _check_change(self, "Song.group_tracks")
        tracks = list(self._v["tracks"])
        if not 0 <= first <= last < len(tracks):
            raise IndexError("track range %d..%d out of range" % (first, last))
        parent = tracks[first]._v["group_track"]
        chosen = tracks[first:last + 1]
        if any(t._v["group_track"] is not parent and not any(g is parent for g in self._ancestors(t))
               for t in chosen):
            raise RuntimeError("Only tracks of one group can be grouped together")
        # A group in the range takes its whole contents along.
        end = last + 1
        while end < len(tracks) and any(any(g is c for g in self._ancestors(tracks[end])) for c in chosen):
            end += 1
        g = Track(self, "%d-Group" % (first + 1), "group", color=tracks[first]._v["color"], group=parent)
        for t in tracks[first:end]:
            if t._v["group_track"] is parent:
                t._v["group_track"] = g
                t._v["is_grouped"] = True
        tracks.insert(first, g)
        self._set_tracks(tracks)
        for row in range(len(self._v["scenes"])):
            self._refresh_groups(tracks[first + 1], row)
        return g._wrapper()

    def create_return_track(self):
        _check_change(self, "Song.create_return_track")
        rets = list(self._v["return_tracks"])
        t = Track(self, "%s-Return" % chr(ord("A") + len(rets) % 26), "return")
        rets.append(t)
        self._set("return_tracks", tuple(rets))
        return t._wrapper()

    def delete_track(self, index):
        """Deleting a Group Track deletes the tracks inside it too."""
        _check_change(self, "Song.delete_track")
        tracks = list(self._v["tracks"])
        if not 0 <= index < len(tracks):
            raise IndexError("track index %d out of range" % index)
        if len(tracks) == 1:
            raise RuntimeError("Cannot delete the last track")
        t = tracks[index]
        gone = [t] + (self._members(t) if t._kind == "group" else [])
        rest = [x for x in tracks if not any(x is g for g in gone)]
        if not rest:
            raise RuntimeError("Cannot delete the last track")
        self._set_tracks(rest)
        for row in range(len(self._v["scenes"])):
            self._refresh_groups(t, row)  # the groups it was in (t itself is dead)

    def delete_return_track(self, index):
        _check_change(self, "Song.delete_return_track")
        rets = list(self._v["return_tracks"])
        if not 0 <= index < len(rets):
            raise IndexError("return track index %d out of range" % index)
        dead = rets.pop(index)
        self._set("return_tracks", tuple(rets))
        dead._kill()
        self._fix_selection()

    def move_track(self, src, dst):
        """Fake-only: the user drags an ungrouped track (not a group) to
        another place outside any group."""
        _check_change(self, "Song.move_track")
        tracks = list(self._v["tracks"])
        t = tracks[src]
        if t._kind == "group" or t._v["group_track"] is not None:
            raise RuntimeError("the fake moves only ungrouped, non-group tracks")
        tracks.pop(src)
        tracks.insert(dst, t)
        after = tracks[dst + 1] if dst + 1 < len(tracks) else None
        if after is not None and after._v["group_track"] is not None:
            raise RuntimeError("the fake does not drop a track inside a group")
        self._set_tracks(tracks)

    def _grid_edit(self, scenes, rows):
        """One scene-structure edit: ``scenes`` is the new scene list and
        ``rows(track)`` the track's new clip slots. Live announces the scene
        list and each track's clip slots separately; whether the scene list
        comes first or last is drawn at random, and each list changes only
        when its notification comes. What left the grid dies."""
        old_scenes = self._v["scenes"]
        grid = [t for t in self._v["tracks"] if t._kind in ("audio", "midi", "group")]

        def set_scenes():
            self._set("scenes", tuple(scenes))
            for s in old_scenes:
                if s not in scenes:
                    s._kill()

        def set_slots(t):
            old = t._v["clip_slots"]
            new = tuple(rows(t))
            t._set("clip_slots", new)
            for slot in old:
                if slot not in new:
                    slot._kill()

        steps = [lambda t=t: set_slots(t) for t in grid]
        if _rt().first("scenes"):
            steps.insert(0, set_scenes)
        else:
            steps.append(set_scenes)
        for step in steps:
            step()

    def create_scene(self, index=-1):
        _check_change(self, "Song.create_scene")
        scenes = list(self._v["scenes"])
        if index == -1:
            index = len(scenes)
        if not 0 <= index <= len(scenes):
            raise IndexError("scene index %d out of range" % index)
        s = Scene(self, "")
        scenes.insert(index, s)

        def rows(t):
            slots = list(t._v["clip_slots"])
            slots.insert(index, ClipSlot(t))
            return slots

        self._grid_edit(scenes, rows)
        return s._wrapper()

    def delete_scene(self, index):
        _check_change(self, "Song.delete_scene")
        scenes = list(self._v["scenes"])
        if not 0 <= index < len(scenes):
            raise IndexError("scene index %d out of range" % index)
        if len(scenes) == 1:
            raise RuntimeError("Cannot delete the last scene")
        del scenes[index]

        def rows(t):
            slots = list(t._v["clip_slots"])
            del slots[index]
            return slots

        self._grid_edit(scenes, rows)
        self._fix_selection()

    def move_scene(self, src, dst):
        """Fake-only: the user drags a scene (its row of clip slots moves with it)."""
        _check_change(self, "Song.move_scene")
        scenes = list(self._v["scenes"])
        s = scenes.pop(src)
        scenes.insert(dst, s)

        def rows(t):
            slots = list(t._v["clip_slots"])
            slots.insert(dst, slots.pop(src))
            return slots

        self._grid_edit(scenes, rows)

    def start_playing(self):
        _check_change(self, "Song.start_playing")
        self._set("is_playing", True)

    def stop_playing(self):
        _check_change(self, "Song.stop_playing")
        self._set("is_playing", False)

    def stop_all_clips(self, quantized=True):
        _check_change(self, "Song.stop_all_clips")
        for t in self._v["tracks"]:
            if t._kind in ("audio", "midi") and t._v["clip_slots"]:
                t._v["clip_slots"][0]._stop_track()

    def set_file_path(self, path):
        """Fake-only: the user saves the Set (file_path is not listenable)."""
        _check_change(self, "Song.set_file_path")
        self._v["file_path"] = str(path)


class ApplicationView(LiveObject):
    """Application.View: which of Live's views are shown.

    The six names of Ableton's own scripts (ableton/v2 view_control.py:
    Browser, Arranger, Session, Detail, Detail/Clip, Detail/DeviceChain) and
    the two VimAbl's original script asked about (GroovePool, Help; whether
    Live knows them is UNVERIFIED, so the script must cope with an error).
    Any other name raises, as Live does for a view it does not know.
    """

    _listenable = ("focused_document_view",)
    focused_document_view = _Prop("focused_document_view", writable=False)

    VIEWS = ("Browser", "Arranger", "Session", "Detail", "Detail/Clip", "Detail/DeviceChain", "GroovePool", "Help")

    def __init__(self):
        LiveObject.__init__(self)
        self._v["focused_document_view"] = "Session"
        self._visible = {"Session": True, "Arranger": False, "Browser": True, "Detail": True,
                         "Detail/Clip": False, "Detail/DeviceChain": True, "GroovePool": False, "Help": False}
        self._view_listeners = {}

    def _known(self, name):
        if name not in self._visible:
            raise RuntimeError("Unknown view %r" % (name,))

    def is_view_visible(self, name, main_window_only=True):
        _check_alive(self, "Application.View.is_view_visible")
        self._known(name)
        # The fake has one window: main_window_only changes nothing here.
        return self._visible[name]

    def show_view(self, name):
        _check_change(self, "Application.View.show_view")
        self._known(name)
        wanted = {name: True}
        if name in ("Session", "Arranger"):
            # One document view at a time in the main window.
            wanted["Arranger" if name == "Session" else "Session"] = False
        elif name in ("Detail/Clip", "Detail/DeviceChain"):
            # The Detail view shows either the clip or the device chain.
            wanted["Detail"] = True
            wanted["Detail/DeviceChain" if name == "Detail/Clip" else "Detail/Clip"] = False
        self._apply(wanted)
        if name in ("Session", "Arranger"):
            self._set("focused_document_view", name)

    def focus_view(self, name):
        self.show_view(name)

    def hide_view(self, name):
        _check_change(self, "Application.View.hide_view")
        self._known(name)
        wanted = {name: False}
        if name in ("Session", "Arranger"):
            # Hiding one document view shows the other.
            other = "Arranger" if name == "Session" else "Session"
            wanted[other] = True
        self._apply(wanted)
        if name in ("Session", "Arranger"):
            self._set("focused_document_view", "Arranger" if name == "Session" else "Session")

    def _apply(self, wanted):
        changed = [n for n, v in sorted(wanted.items()) if self._visible[n] != v]
        for n in changed:
            self._visible[n] = wanted[n]
        for n in changed:
            self._notify_view(n)

    def _notify_view(self, name):
        rt = _rt()
        for cb in list(self._view_listeners.get(name, ())):
            rt.notifying += 1
            try:
                cb()
            except Exception:
                rt.report_exception("is_view_visible listener")
            finally:
                rt.notifying -= 1

    def add_is_view_visible_listener(self, name, cb):
        _check_alive(self, "Application.View.add_is_view_visible_listener")
        cbs = self._view_listeners.setdefault(name, [])
        if any(c == cb for c in cbs):
            raise RuntimeError("Observer already connected")
        cbs.append(cb)

    def remove_is_view_visible_listener(self, name, cb):
        _check_alive(self, "Application.View.remove_is_view_visible_listener")
        cbs = self._view_listeners.get(name, [])
        for i, c in enumerate(cbs):
            if c == cb:
                del cbs[i]
                return
        raise RuntimeError("Observer not connected")

    def is_view_visible_has_listener(self, name, cb):
        _check_alive(self, "Application.View.is_view_visible_has_listener")
        return any(c == cb for c in self._view_listeners.get(name, ()))


class Application(LiveObject):
    view = _Prop("view", writable=False)

    def __init__(self, version=(12, 1, 5)):
        LiveObject.__init__(self)
        self._version = tuple(version)
        self._v["view"] = ApplicationView()

    @staticmethod
    def get_application():
        """Live.Application.get_application(), as _Framework's ControlSurface calls it."""
        return _rt().application._wrapper()

    def get_major_version(self):
        _check_alive(self, "Application.get_major_version")
        return self._version[0]

    def get_minor_version(self):
        _check_alive(self, "Application.get_minor_version")
        return self._version[1]

    def get_bugfix_version(self):
        _check_alive(self, "Application.get_bugfix_version")
        return self._version[2]
