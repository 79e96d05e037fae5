"""A fake of Ableton Live's ``Live`` module, as strict as Live.

The object model follows the names of Live's Python API (docs/fakelive.md).
What Live enforces, this enforces:

- only the main thread (the thread that created the FakeLive runtime) may
  touch any object; any other thread gets RuntimeError and is counted;
- listeners exist only for listenable properties; adding one twice raises
  "Observer already connected", removing an unconnected one raises
  "Observer not connected"; they fire synchronously, with no arguments, and
  only when the value really changes;
- changing the Set while a listener runs raises "Changes cannot be triggered
  by notifications. You will need to defer your response."
"""

import threading

# The runtime (fakelive.runtime.FakeLive) sets this; Live has one process-wide
# application, and so does the fake.
_runtime = None

NOTIFICATION_ERROR = "Changes cannot be triggered by notifications. You will need to defer your response."


class _NoRuntime(object):
    main_ident = None
    violations = 0
    notifying = 0

    def report_exception(self, where):
        raise


def _rt():
    return _runtime if _runtime is not None else _NoRuntime


def _check_thread(what):
    rt = _rt()
    if rt.main_ident is not None and threading.get_ident() != rt.main_ident:
        rt.violations += 1
        raise RuntimeError("Live API accessed off the main thread: %s" % what)


def _check_change(what):
    _check_thread(what)
    if _rt().notifying:
        raise RuntimeError(NOTIFICATION_ERROR)


class _Prop(object):
    """A Live property: main-thread only; listenable or not; writable or not."""

    def __init__(self, name, listenable=True, writable=True, check=None):
        self.name = name
        self.listenable = listenable
        self.writable = writable
        self.check = check  # check(obj, value) -> value, or raises

    def __get__(self, obj, owner):
        if obj is None:
            return self
        _check_thread("%s.%s" % (type(obj).__name__, self.name))
        return obj._v[self.name]

    def __set__(self, obj, value):
        what = "%s.%s" % (type(obj).__name__, self.name)
        _check_change(what)
        if not self.writable:
            raise AttributeError("can't set attribute %s" % what)
        if self.check is not None:
            value = self.check(obj, value)
        obj._set(self.name, value)


class LiveObject(object):
    """Base of every fake Live object: values, listeners, notification."""

    _listenable = ()

    def __init__(self):
        self._v = {}
        self._listeners = {}

    def _set(self, name, value):
        """Store and notify if changed (no thread/notification checks: callers do)."""
        if self._v.get(name, _MISSING) == value and type(self._v.get(name)) is type(value):
            return False
        self._v[name] = value
        self._notify(name)
        return True

    def _notify(self, name):
        cbs = self._listeners.get(name)
        if not cbs:
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
        for prefix, suffix, kind in (("add_", "_listener", "add"), ("remove_", "_listener", "remove"),
                                     ("", "_has_listener", "has")):
            if attr.startswith(prefix) and attr.endswith(suffix):
                prop = attr[len(prefix):len(attr) - len(suffix)]
                if prop in type(self)._listenable:
                    return _ListenerMethod(self, prop, kind)
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, attr))

    def __repr__(self):
        name = self._v.get("name")
        return "<%s %r>" % (type(self).__name__, name) if name is not None else "<%s>" % type(self).__name__


_MISSING = object()


class _ListenerMethod(object):
    __slots__ = ("obj", "prop", "kind")

    def __init__(self, obj, prop, kind):
        self.obj, self.prop, self.kind = obj, prop, kind

    def __call__(self, cb):
        _check_thread("%s.%s listener" % (type(self.obj).__name__, self.prop))
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


# ---------------------------------------------------------------------------


def _clamp_param(param, value):
    value = float(value)
    if value < param._v["min"] or value > param._v["max"]:
        raise ValueError("Invalid value %r for parameter %r (range %r..%r)" % (
            value, param._v["name"], param._v["min"], param._v["max"]))
    return value


class DeviceParameter(LiveObject):
    _listenable = ("value", "name")
    name = _Prop("name", writable=False)
    value = _Prop("value", check=_clamp_param)
    min = _Prop("min", listenable=False, writable=False)
    max = _Prop("max", listenable=False, writable=False)

    def __init__(self, name, value, vmin=0.0, vmax=1.0):
        LiveObject.__init__(self)
        self._v.update(name=name, value=float(value), min=float(vmin), max=float(vmax))


class MixerDevice(LiveObject):
    volume = _Prop("volume", listenable=False, writable=False)
    panning = _Prop("panning", listenable=False, writable=False)

    def __init__(self, volume=0.85):
        LiveObject.__init__(self)
        self._v.update(volume=DeviceParameter("Track Volume", volume, 0.0, 1.0),
                       panning=DeviceParameter("Track Panning", 0.0, -1.0, 1.0))


class Device(LiveObject):
    _listenable = ("name", "parameters")
    name = _Prop("name")
    class_name = _Prop("class_name", listenable=False, writable=False)
    parameters = _Prop("parameters", writable=False)

    def __init__(self, name, class_name, params):
        LiveObject.__init__(self)
        self._v.update(name=name, class_name=class_name,
                       parameters=tuple(DeviceParameter(*p) for p in params))

    def set_parameters(self, params):
        """Fake-only: a plug-in reconfigured its parameter list."""
        _check_change("Device.parameters")
        self._set("parameters", tuple(DeviceParameter(*p) for p in params))


class Clip(LiveObject):
    _listenable = ("name", "color", "muted", "looping", "playing_status", "is_playing")
    name = _Prop("name")
    color = _Prop("color", check=lambda o, v: int(v))
    muted = _Prop("muted", check=lambda o, v: bool(v))
    looping = _Prop("looping", check=lambda o, v: bool(v))
    is_playing = _Prop("is_playing", writable=False)
    is_triggered = _Prop("is_triggered", listenable=False, writable=False)
    length = _Prop("length", listenable=False, writable=False)

    def __init__(self, name="", color=0, length=4.0, looping=True):
        LiveObject.__init__(self)
        self._v.update(name=name, color=int(color), muted=False, looping=looping, is_playing=False,
                       is_triggered=False, length=float(length))


class ClipSlot(LiveObject):
    _listenable = ("has_clip", "has_stop_button", "playing_status", "is_triggered", "color")
    has_clip = _Prop("has_clip", writable=False)
    has_stop_button = _Prop("has_stop_button", check=lambda o, v: bool(v))
    playing_status = _Prop("playing_status", writable=False)
    is_triggered = _Prop("is_triggered", writable=False)
    color = _Prop("color", writable=False)
    clip = _Prop("clip", listenable=False, writable=False)

    def __init__(self, track):
        LiveObject.__init__(self)
        self._track = track
        self._v.update(has_clip=False, has_stop_button=True, playing_status=0, is_triggered=False, color=0,
                       clip=None)

    def create_clip(self, length, name="", color=None):
        _check_change("ClipSlot.create_clip")
        if self._v["has_clip"]:
            raise RuntimeError("Clip slot already has a clip")
        if not self._track._v["has_midi_input"]:
            raise RuntimeError("Can only create MIDI clips in MIDI tracks")
        if color is None:
            color = self._track._v["color"]
        clip = Clip(name, color, length)
        clip._slot = self
        self._v["clip"] = clip
        self._set("has_clip", True)
        self._set("color", int(color))
        return clip

    def _place_clip(self, clip):
        """Fake-only: a clip dropped in by the user (audio or MIDI)."""
        clip._slot = self
        self._v["clip"] = clip
        self._set("has_clip", True)
        self._set("color", clip._v["color"])

    def delete_clip(self):
        _check_change("ClipSlot.delete_clip")
        if not self._v["has_clip"]:
            raise RuntimeError("No clip in slot")
        self._set_status(0, False)
        self._v["clip"] = None
        self._set("has_clip", False)
        self._set("color", 0)

    def fire(self):
        _check_change("ClipSlot.fire")
        if self._v["has_clip"]:
            self._set_status(2, True)
            _rt().defer(self._start_playing)

    def _start_playing(self):
        if self._v["has_clip"] and self._v["playing_status"] == 2:
            self._set_status(1, False)

    def stop(self):
        _check_change("ClipSlot.stop")
        self._set_status(0, False)

    def _set_status(self, status, triggered):
        self._set("is_triggered", triggered)
        self._set("playing_status", status)
        clip = self._v["clip"]
        if clip is not None:
            clip._v["is_triggered"] = triggered
            clip._set("is_playing", status == 1)
            clip._notify("playing_status")


class _MixerProp(_Prop):
    """mute/solo: the master track has neither, and Live raises on access."""

    def __get__(self, obj, owner):
        if obj is not None and obj._kind == "master":
            _check_thread("Track.%s" % self.name)
            raise RuntimeError("Master track has no %s" % self.name)
        return _Prop.__get__(self, obj, owner)


def _check_arm(track, value):
    if not track._v["can_be_armed"]:
        raise RuntimeError("Track cannot be armed")
    return bool(value)


class Track(LiveObject):
    _listenable = ("name", "mute", "solo", "arm", "color", "devices", "clip_slots", "output_meter_level")
    name = _Prop("name")
    mute = _MixerProp("mute", check=lambda o, v: o._mixer_check("mute", bool(v)))
    solo = _MixerProp("solo", check=lambda o, v: o._mixer_check("solo", bool(v)))
    arm = _Prop("arm", check=_check_arm)
    color = _Prop("color", check=lambda o, v: int(v))
    can_be_armed = _Prop("can_be_armed", listenable=False, writable=False)
    has_audio_input = _Prop("has_audio_input", listenable=False, writable=False)
    has_midi_input = _Prop("has_midi_input", listenable=False, writable=False)
    devices = _Prop("devices", writable=False)
    clip_slots = _Prop("clip_slots", writable=False)
    mixer_device = _Prop("mixer_device", listenable=False, writable=False)

    def __init__(self, song, name, kind, color=0, volume=0.85):
        LiveObject.__init__(self)
        self._song = song
        self._kind = kind  # audio, midi, return, master (fake bookkeeping)
        regular = kind in ("audio", "midi")
        self._v.update(name=name, mute=False, solo=False, arm=False, color=int(color), can_be_armed=regular,
                       has_audio_input=kind == "audio", has_midi_input=kind == "midi", devices=(),
                       clip_slots=(), mixer_device=MixerDevice(volume))
        if regular:
            self._v["clip_slots"] = tuple(ClipSlot(self) for _ in song._v["scenes"])

    def _mixer_check(self, what, value):
        if self._kind == "master":
            raise RuntimeError("Master track has no %s" % what)
        return value

    def delete_device(self, index):
        _check_change("Track.delete_device")
        devs = list(self._v["devices"])
        if not 0 <= index < len(devs):
            raise IndexError("device index %d out of range" % index)
        del devs[index]
        self._set("devices", tuple(devs))

    def insert_device(self, index, name, class_name, params):
        """Fake-only: the user drops a device into the chain at index."""
        _check_change("Track.insert_device")
        devs = list(self._v["devices"])
        if index < 0 or index > len(devs):
            index = len(devs)
        dev = Device(name, class_name, params)
        devs.insert(index, dev)
        self._set("devices", tuple(devs))
        return dev

    def move_device(self, src, dst):
        """Fake-only: the user drags a device within the chain."""
        _check_change("Track.move_device")
        devs = list(self._v["devices"])
        dev = devs.pop(src)
        devs.insert(dst, dev)
        self._set("devices", tuple(devs))


class Scene(LiveObject):
    _listenable = ("name", "color", "is_triggered")
    name = _Prop("name")
    color = _Prop("color", check=lambda o, v: int(v))
    is_triggered = _Prop("is_triggered", writable=False)

    def __init__(self, song, name="", color=0):
        LiveObject.__init__(self)
        self._song = song
        self._v.update(name=name, color=int(color), is_triggered=False)

    def fire(self):
        _check_change("Scene.fire")
        self._set("is_triggered", True)
        for t in self._song._v["tracks"]:
            slot = t._v["clip_slots"][self._song._v["scenes"].index(self)]
            if slot._v["has_clip"]:
                slot._set_status(2, True)
                _rt().defer(slot._start_playing)
        _rt().defer(lambda: self._set("is_triggered", False))


class SongView(LiveObject):
    _listenable = ("selected_track", "selected_scene", "detail_clip")
    selected_track = _Prop("selected_track", check=lambda o, v: o._song._check_track(v))
    selected_scene = _Prop("selected_scene", check=lambda o, v: o._song._check_scene(v))
    highlighted_clip_slot = _Prop("highlighted_clip_slot", listenable=False)

    def __init__(self, song):
        LiveObject.__init__(self)
        self._song = song
        self._v.update(selected_track=None, selected_scene=None, highlighted_clip_slot=None)

    def highlight(self, track, scene):
        """Fake-only: the user clicks a clip slot (selects its track and scene)."""
        _check_change("Song.View.highlight")
        song = self._song
        t = song._v["tracks"][track] if isinstance(track, int) else track
        s = song._v["scenes"][scene] if isinstance(scene, int) else scene
        self.selected_track = t
        self.selected_scene = s
        self._v["highlighted_clip_slot"] = t._v["clip_slots"][song._v["scenes"].index(s)] if t._v["clip_slots"] else None


class Song(LiveObject):
    _listenable = ("tracks", "visible_tracks", "return_tracks", "scenes", "is_playing", "tempo",
                   "current_song_time", "metronome")
    tracks = _Prop("tracks", writable=False)
    visible_tracks = _Prop("visible_tracks", writable=False)
    return_tracks = _Prop("return_tracks", writable=False)
    master_track = _Prop("master_track", listenable=False, writable=False)
    scenes = _Prop("scenes", writable=False)
    is_playing = _Prop("is_playing", check=lambda o, v: bool(v))
    tempo = _Prop("tempo", check=lambda o, v: o._check_tempo(v))
    # Song position in beats. Writable; Live keeps it at 0 or later.
    current_song_time = _Prop("current_song_time", check=lambda o, v: max(0.0, float(v)))
    # Beat time of the last event (a clip end, an automation point) in the
    # Arrangement: read-only and not observable in the LOM.
    last_event_time = _Prop("last_event_time", listenable=False, writable=False)
    file_path = _Prop("file_path", listenable=False, writable=False)
    view = _Prop("view", listenable=False, writable=False)

    def __init__(self):
        LiveObject.__init__(self)
        self._v.update(tracks=(), visible_tracks=(), return_tracks=(), scenes=(), is_playing=False, tempo=120.0,
                       current_song_time=0.0, last_event_time=0.0, file_path="")
        self._v["master_track"] = Track(self, "Master", "master")
        self._v["view"] = SongView(self)

    # --- validation used by setters

    def _check_tempo(self, v):
        v = float(v)
        if not 20.0 <= v <= 999.0:
            raise ValueError("Invalid tempo %r (20..999)" % v)
        return v

    def _check_track(self, t):
        if t is not None and t not in self._all_tracks():
            raise RuntimeError("Track is not part of this Set")
        return t

    def _check_scene(self, s):
        if s is not None and s not in self._v["scenes"]:
            raise RuntimeError("Scene is not part of this Set")
        return s

    def _all_tracks(self):
        return self._v["tracks"] + self._v["return_tracks"] + (self._v["master_track"],)

    # --- structure

    def _set_tracks(self, tracks):
        self._set("tracks", tuple(tracks))
        self._set("visible_tracks", tuple(tracks))
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
        if hl is not None and not any(hl in t._v["clip_slots"] for t in self._v["tracks"]):
            view._v["highlighted_clip_slot"] = None

    def _create_track(self, kind, index, name=None):
        _check_change("Song.create_%s_track" % kind)
        tracks = list(self._v["tracks"])
        if index == -1:
            index = len(tracks)
        if not 0 <= index <= len(tracks):
            raise IndexError("track index %d out of range" % index)
        t = Track(self, name or "%d-%s" % (index + 1, "MIDI" if kind == "midi" else "Audio"), kind)
        tracks.insert(index, t)
        self._set_tracks(tracks)
        return t

    def create_audio_track(self, index=-1):
        return self._create_track("audio", index)

    def create_midi_track(self, index=-1):
        return self._create_track("midi", index)

    def create_return_track(self):
        _check_change("Song.create_return_track")
        rets = list(self._v["return_tracks"])
        t = Track(self, "%s-Return" % chr(ord("A") + len(rets) % 26), "return")
        rets.append(t)
        self._set("return_tracks", tuple(rets))
        return t

    def delete_track(self, index):
        _check_change("Song.delete_track")
        tracks = list(self._v["tracks"])
        if not 0 <= index < len(tracks):
            raise IndexError("track index %d out of range" % index)
        del tracks[index]
        self._set_tracks(tracks)

    def delete_return_track(self, index):
        _check_change("Song.delete_return_track")
        rets = list(self._v["return_tracks"])
        if not 0 <= index < len(rets):
            raise IndexError("return track index %d out of range" % index)
        del rets[index]
        self._set("return_tracks", tuple(rets))
        self._fix_selection()

    def move_track(self, src, dst):
        """Fake-only: the user drags a track."""
        _check_change("Song.move_track")
        tracks = list(self._v["tracks"])
        t = tracks.pop(src)
        tracks.insert(dst, t)
        self._set_tracks(tracks)

    def create_scene(self, index=-1):
        _check_change("Song.create_scene")
        scenes = list(self._v["scenes"])
        if index == -1:
            index = len(scenes)
        if not 0 <= index <= len(scenes):
            raise IndexError("scene index %d out of range" % index)
        s = Scene(self, "")
        scenes.insert(index, s)
        # Live updates every track's slots, then notifies.
        for t in self._v["tracks"]:
            slots = list(t._v["clip_slots"])
            slots.insert(index, ClipSlot(t))
            t._v["clip_slots"] = tuple(slots)
        self._set("scenes", tuple(scenes))
        for t in self._v["tracks"]:
            t._notify("clip_slots")
        return s

    def delete_scene(self, index):
        _check_change("Song.delete_scene")
        scenes = list(self._v["scenes"])
        if not 0 <= index < len(scenes):
            raise IndexError("scene index %d out of range" % index)
        if len(scenes) == 1:
            raise RuntimeError("Cannot delete the last scene")
        del scenes[index]
        for t in self._v["tracks"]:
            slots = list(t._v["clip_slots"])
            del slots[index]
            t._v["clip_slots"] = tuple(slots)
        self._set("scenes", tuple(scenes))
        for t in self._v["tracks"]:
            t._notify("clip_slots")
        self._fix_selection()

    def move_scene(self, src, dst):
        """Fake-only: the user drags a scene (its row of clip slots moves with it)."""
        _check_change("Song.move_scene")
        scenes = list(self._v["scenes"])
        s = scenes.pop(src)
        scenes.insert(dst, s)
        for t in self._v["tracks"]:
            slots = list(t._v["clip_slots"])
            slot = slots.pop(src)
            slots.insert(dst, slot)
            t._v["clip_slots"] = tuple(slots)
        self._set("scenes", tuple(scenes))
        for t in self._v["tracks"]:
            t._notify("clip_slots")

    def start_playing(self):
        _check_change("Song.start_playing")
        self._set("is_playing", True)

    def stop_playing(self):
        _check_change("Song.stop_playing")
        self._set("is_playing", False)

    def set_file_path(self, path):
        """Fake-only: the user saves the Set (file_path is not listenable)."""
        _check_change("Song.set_file_path")
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
        _check_thread("Application.View.is_view_visible")
        self._known(name)
        # The fake has one window: main_window_only changes nothing here.
        return self._visible[name]

    def show_view(self, name):
        _check_change("Application.View.show_view")
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
        _check_change("Application.View.hide_view")
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
        _check_thread("Application.View.add_is_view_visible_listener")
        cbs = self._view_listeners.setdefault(name, [])
        if any(c == cb for c in cbs):
            raise RuntimeError("Observer already connected")
        cbs.append(cb)

    def remove_is_view_visible_listener(self, name, cb):
        _check_thread("Application.View.remove_is_view_visible_listener")
        cbs = self._view_listeners.get(name, [])
        for i, c in enumerate(cbs):
            if c == cb:
                del cbs[i]
                return
        raise RuntimeError("Observer not connected")

    def is_view_visible_has_listener(self, name, cb):
        _check_thread("Application.View.is_view_visible_has_listener")
        return any(c == cb for c in self._view_listeners.get(name, ()))


class Application(LiveObject):
    view = _Prop("view", listenable=False, writable=False)

    def __init__(self, version=(12, 1, 5)):
        LiveObject.__init__(self)
        self._version = version
        self._v["view"] = ApplicationView()

    def get_major_version(self):
        _check_thread("Application.get_major_version")
        return self._version[0]

    def get_minor_version(self):
        _check_thread("Application.get_minor_version")
        return self._version[1]

    def get_bugfix_version(self):
        _check_thread("Application.get_bugfix_version")
        return self._version[2]
