"""The Session cursor: selected track, selected scene, highlighted clip slot.

Selection is listenable; the highlighted clip slot is not, so ``update()``
polls it on every tick (a few attribute reads). After a structural change the
manager calls ``check(force=True)``: receivers keep absolute indices, and an
insertion before the selection changes the selection's index without any
selection listener firing.

``/live/cursor/track`` carries ``(index, color, name)`` of the selected track,
as VimAbl's original script sent it (Hammerspoon configs read the name and
colour from it), or ``(-1,)`` alone when no observed track is selected: there
is no colour or name to report then. Colour and name are read with the same
readers as the track events, so they equal ``tracks[index]`` in SNAPSHOT at
the time of sending; it is sent when the index changes (or forced), and later
renames and colour changes of that track arrive as their own track events.
"""

from .readers import color, read_cursor_slot, valid

NO_SLOT = (-1, -1, False, False, False)


class CursorObserver(object):
    def __init__(self, mgr):
        self.mgr = mgr
        self.track = None  # what receivers were last told
        self.scene = None
        self.slot = None
        self._handles = []

    def start(self):
        """Listen to the selection and remember the current cursor (quietly)."""
        mgr = self.mgr
        view = mgr.song.view
        self._handles = [
            mgr.registry.add(view, "selected_track", self.check),
            mgr.registry.add(view, "selected_scene", self.check),
        ]
        self.track = self._track_cursor(view.selected_track)[0]
        self.scene = self._scene_index(view.selected_scene)
        self.slot = self._highlight()

    def stop(self):
        for h in self._handles:
            self.mgr.registry.remove(h)
        self._handles = []

    def update(self):
        """Per tick: poll the highlighted slot (not listenable)."""
        slot = self._highlight()
        if slot != self.slot:
            self.slot = slot
            self.mgr.emit("/live/cursor/clip_slot", slot)

    def check(self, force=False):
        """Send whatever part of the cursor changed (everything when forced)."""
        mgr = self.mgr
        view = mgr.song.view
        t = self._track_cursor(view.selected_track)
        if force or t[0] != self.track:
            self.track = t[0]
            mgr.emit("/live/cursor/track", t)
        s = self._scene_index(view.selected_scene)
        if force or s != self.scene:
            self.scene = s
            mgr.emit("/live/cursor/scene", (s,))
        slot = self._highlight()
        if force or slot != self.slot:
            self.slot = slot
            mgr.emit("/live/cursor/clip_slot", slot)

    def _track_cursor(self, track):
        """The arguments of /live/cursor/track for the selected ``track``:
        (index, color, name), or (-1,) when it is none we observe."""
        if not valid(track):
            return (-1,)
        obs = self.mgr.track_by_key.get(self.mgr.key(track))
        if obs is None:
            return (-1,)
        # The colour as the track events and SNAPSHOT read it (0 when
        # unreadable), or they would differ.
        return (obs.index, color(obs.track), str(obs.track.name))

    def _scene_index(self, scene):
        if not valid(scene):
            return -1
        obs = self.mgr.scene_by_key.get(self.mgr.key(scene))
        return obs.index if obs is not None else -1

    def _highlight(self):
        slot = self.mgr.song.view.highlighted_clip_slot
        if not valid(slot):  # none, or deleted
            return NO_SLOT
        obs = self.mgr.slot_by_key.get(self.mgr.key(slot))
        if obs is None:
            return NO_SLOT
        return (obs.track_obs.index, obs.scene_index) + read_cursor_slot(slot)
