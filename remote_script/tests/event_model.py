"""The state model of docs/protocol.md, kept from events -- the tests' own
reading of the catalog, independent of the script (the Go mirror in
bridge/mirror does the same job for the bridge).

``EventModel(snapshot_state)`` starts from a SNAPSHOT's ``state``;
``apply(path, args)`` applies one event and raises AssertionError on an
event that does not fit the state (an index out of range, a clip event on an
empty slot). After every event the script sent up to a SNAPSHOT's ``seq``,
``state`` must equal that SNAPSHOT's ``state``.
"""

import copy

SLOT_TYPES = ("audio", "midi", "group")


def empty_slot():
    return {"has_clip": False, "has_stop_button": True, "playing_status": 0, "color": 0, "clip": None}


class EventModel(object):
    def __init__(self, state):
        self.state = copy.deepcopy(state)

    # --- helpers

    def _track(self, t):
        tracks = self.state["tracks"]
        assert 0 <= t < len(tracks), "track %d out of range (%d)" % (t, len(tracks))
        return tracks[t]

    def _slot(self, t, s):
        slots = self._track(t)["clip_slots"]
        assert 0 <= s < len(slots), "slot (%d, %d) out of range (%d)" % (t, s, len(slots))
        return slots[s]

    def _clip(self, t, s):
        clip = self._slot(t, s)["clip"]
        assert clip is not None, "slot (%d, %d) holds no clip" % (t, s)
        return clip

    def _scene(self, s):
        scenes = self.state["scenes"]
        assert 0 <= s < len(scenes), "scene %d out of range (%d)" % (s, len(scenes))
        return scenes[s]

    def _grid(self):
        return [t for t in self.state["tracks"] if t["type"] in SLOT_TYPES]

    # --- events

    def apply(self, path, a):
        st = self.state
        if path == "/live/view":
            st["view"] = a[0]
        elif path == "/live/project/path":
            st["project_path"] = a[0]
        elif path == "/live/transport/play":
            st["transport"]["playing"] = a[0]
        elif path == "/live/transport/tempo":
            st["transport"]["tempo"] = a[0]
        elif path == "/live/cursor/track":
            st["cursor"]["track"] = a[0]
        elif path == "/live/cursor/scene":
            st["cursor"]["scene"] = a[0]
        elif path == "/live/cursor/clip_slot":
            if a[0] < 0:
                st["cursor"]["clip_slot"] = None
            else:
                st["cursor"]["clip_slot"] = {"track": a[0], "scene": a[1], "has_clip": a[2], "is_playing": a[3],
                                             "is_triggered": a[4]}
        elif path == "/live/track/added":
            t = a[0]
            assert 0 <= t <= len(st["tracks"]), "track %d out of range for insertion" % t
            track = {"name": a[1], "type": a[2], "mute": a[3], "solo": a[4], "arm": a[5], "volume": a[6],
                     "color": a[7], "devices": [],
                     "clip_slots": [empty_slot() for _ in st["scenes"]] if a[2] in SLOT_TYPES else []}
            if len(a) > 8:
                track["folded"] = a[8]
            st["tracks"].insert(t, track)
        elif path == "/live/track/deleted":
            self._track(a[0])
            del st["tracks"][a[0]]
        elif path in ("/live/track/renamed", "/live/track/mute", "/live/track/solo", "/live/track/arm",
                      "/live/track/volume", "/live/track/color", "/live/track/fold"):
            key = {"renamed": "name", "fold": "folded"}.get(path.rsplit("/", 1)[1], path.rsplit("/", 1)[1])
            self._track(a[0])[key] = a[1]
        elif path == "/live/device/added":
            devs = self._track(a[0])["devices"]
            assert 0 <= a[1] <= len(devs)
            devs.insert(a[1], {"name": a[2], "class_name": a[3], "parameters": []})
        elif path == "/live/device/param_info":
            params = self._track(a[0])["devices"][a[1]]["parameters"]
            p = {"name": a[3], "value": a[4], "min": a[5], "max": a[6]}
            assert 0 <= a[2] <= len(params)
            if a[2] == len(params):
                params.append(p)
            else:
                params[a[2]] = p
        elif path == "/live/device/deleted":
            devs = self._track(a[0])["devices"]
            assert 0 <= a[1] < len(devs)
            del devs[a[1]]
        elif path == "/live/device/param":
            params = self._track(a[0])["devices"][a[1]]["parameters"]
            assert 0 <= a[2] < len(params)
            params[a[2]]["value"] = a[3]
        elif path == "/live/clip_slot/created":
            slot = self._slot(a[0], a[1])
            slot.update(has_clip=a[2], has_stop_button=a[3], playing_status=a[4], color=a[5])
            if not a[2]:
                slot["clip"] = None
        elif path == "/live/clip_slot/has_stop":
            self._slot(a[0], a[1])["has_stop_button"] = a[2]
        elif path == "/live/clip_slot/playing_status":
            self._slot(a[0], a[1])["playing_status"] = a[2]
        elif path == "/live/clip_slot/color":
            self._slot(a[0], a[1])["color"] = a[2]
        elif path == "/live/clip/added":
            slot = self._slot(a[0], a[1])
            slot["has_clip"] = True
            slot["clip"] = {"name": a[2], "color": a[3], "muted": a[4], "looping": a[5]}
        elif path == "/live/clip/removed":
            slot = self._slot(a[0], a[1])
            slot["has_clip"], slot["clip"] = False, None
        elif path in ("/live/clip/name", "/live/clip/color", "/live/clip/muted", "/live/clip/looping"):
            self._clip(a[0], a[1])[path.rsplit("/", 1)[1]] = a[2]
        elif path == "/live/scene/added":
            s = a[0]
            assert 0 <= s <= len(st["scenes"]), "scene %d out of range for insertion" % s
            st["scenes"].insert(s, {"name": a[1], "color": a[2], "is_triggered": False})
            for t in self._grid():
                t["clip_slots"].insert(s, empty_slot())
        elif path == "/live/scene/removed":
            self._scene(a[0])
            del st["scenes"][a[0]]
            for t in self._grid():
                del t["clip_slots"][a[0]]
        elif path == "/live/scene/renamed":
            self._scene(a[0])["name"] = a[1]
        elif path == "/live/scene/color":
            self._scene(a[0])["color"] = a[1]
        elif path == "/live/scene/triggered":
            self._scene(a[0])["is_triggered"] = a[1]
        elif path == "/live/scene/reordered":
            to, frm = a[0], a[2]
            self._scene(to)
            self._scene(frm)
            st["scenes"].insert(to, st["scenes"].pop(frm))
            st["scenes"][to]["name"] = a[1]
            for t in self._grid():
                t["clip_slots"].insert(to, t["clip_slots"].pop(frm))


def replay(snapshot_reply, events):
    """The model after applying, to ``snapshot_reply``'s state, every event
    of ``events`` ((seq, ts, path, args) tuples) with a greater seq."""
    model = EventModel(snapshot_reply["state"])
    for seq, _, path, args in events:
        if seq > snapshot_reply["seq"]:
            try:
                model.apply(path, args)
            except (AssertionError, IndexError, KeyError) as exc:
                raise AssertionError("event #%d %s %r does not fit the state: %s" % (seq, path, args, exc))
    return model.state
