"""Reading Live's objects, and SNAPSHOT: the whole observed model.

The same readers feed the events (observers.py) and SNAPSHOT, so the two
always agree on types: floats stay floats, colours are ints, booleans are
booleans. Everything here reads Live and runs on Live's main thread.
"""

REGULAR = ("audio", "midi")
# Tracks of these types have a clip slot per scene (a Group Track's are its
# group slots, LOM ClipSlot); returns and the master have none.
SLOTTED = ("audio", "midi", "group")

# What a clip slot shows (playing_status in events and SNAPSHOT).
STOPPED, PLAYING, TRIGGERED, RECORDING = 0, 1, 2, 3


def valid(obj):
    """Whether ``obj`` is a live Live object: Ableton's liveobj_valid
    (ableton/v2/base/live_api_utils.py). A deleted object compares equal to
    None while ``obj is None`` stays false."""
    return obj is not None and obj != None  # noqa: E711


def color(obj):
    """An object's colour as an int; 0 when it has none (a clip slot's
    colour is None when the slot has no colour, LOM ClipSlot)."""
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


def can_arm(track, kind):
    return kind in REGULAR and bool(track.can_be_armed)


def read_folded(track, kind):
    """Whether a Group Track is folded (fold_state exists only on them)."""
    return bool(track.fold_state) if kind == "group" else False


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
        color(track),
        read_folded(track, kind),
    )


def read_param(p):
    """(name, value, min, max) of a device parameter."""
    return (str(p.name), float(p.value), float(p.min), float(p.max))


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
    return (bool(slot.has_clip), bool(slot.has_stop_button), slot_status(slot), color(slot))


def read_clip(clip):
    """(name, color, muted, looping) of a clip."""
    return (str(clip.name), color(clip), bool(clip.muted), bool(clip.looping))


def read_cursor_slot(slot):
    """(has_clip, is_playing, is_triggered) of the highlighted slot."""
    status = slot_status(slot)
    return (bool(slot.has_clip), status in (PLAYING, RECORDING), status == TRIGGERED)


def read_view(application):
    return "session" if application.view.is_view_visible("Session") else "arrangement"


def read_file_path(song):
    try:
        path = song.file_path
    except AttributeError:
        # Not every Live version has it (the fake simulates it from 11.3).
        return ""
    return str(path or "")


def live_key(song):
    """How to identify a Live object across reads: Live hands out a new
    Python wrapper on every access, and _live_ptr names the object behind
    it. (Without _live_ptr, as in a Live that lacked it, id() is the best
    there is.)"""
    return (lambda obj: obj._live_ptr) if hasattr(song, "_live_ptr") else id


def combined_tracks(song):
    """[(track, type)] over song.tracks, the returns and the master: the
    combined list whose positions are track indices (docs/protocol.md)."""
    out = [(t, regular_kind(t)) for t in song.tracks]
    out += [(t, "return") for t in song.return_tracks]
    out.append((song.master_track, "master"))
    return out


# ---------------------------------------------------------------------------
# SNAPSHOT: the whole observed model, read from Live itself.


def _track_state(track, kind, i, key, slot_index):
    name, kind, mute, solo, arm, volume, col, folded = read_track(track, kind)
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
    return {"name": name, "type": kind, "mute": mute, "solo": solo, "arm": arm, "volume": volume,
            "color": col, "folded": folded, "devices": devices, "clip_slots": slots}


def snapshot_state(song, application, key=None):
    """The ``state`` object of SNAPSHOT (docs/protocol.md); main thread only."""
    if key is None:
        key = live_key(song)
    tracks = []
    track_index = {}
    slot_index = {}
    for i, (track, kind) in enumerate(combined_tracks(song)):
        track_index[key(track)] = i
        tracks.append(_track_state(track, kind, i, key, slot_index))
    scenes = []
    scene_index = {}
    for i, sc in enumerate(song.scenes):
        scene_index[key(sc)] = i
        scenes.append({"name": str(sc.name), "color": color(sc), "is_triggered": bool(sc.is_triggered)})
    view = song.view
    sel_t = view.selected_track
    sel_s = view.selected_scene
    cursor = {
        "track": track_index.get(key(sel_t), -1) if valid(sel_t) else -1,
        "scene": scene_index.get(key(sel_s), -1) if valid(sel_s) else -1,
        "clip_slot": None,
    }
    hl = view.highlighted_clip_slot
    if valid(hl) and key(hl) in slot_index:
        t, s = slot_index[key(hl)]
        has_clip, playing, triggered = read_cursor_slot(hl)
        cursor["clip_slot"] = {"track": t, "scene": s, "has_clip": has_clip, "is_playing": playing,
                               "is_triggered": triggered}
    return {
        "view": read_view(application),
        "project_path": read_file_path(song),
        "transport": {"playing": bool(song.is_playing), "tempo": float(song.tempo)},
        "cursor": cursor,
        "tracks": tracks,
        "scenes": scenes,
    }
