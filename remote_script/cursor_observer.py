"""The Session cursor: selected track, selected scene, highlighted clip slot.

Selection is listenable; the highlighted clip slot is not, so ``update()``
polls it on every tick (a few attribute reads). After a structural change the
manager calls ``check(force=True)``: receivers keep absolute indices, and an
insertion before the selection changes the selection's index without any
selection listener firing.
"""

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
        self.track = self._track_index(view.selected_track)
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
        t = self._track_index(view.selected_track)
        if force or t != self.track:
            self.track = t
            mgr.emit("/live/cursor/track", (t,))
        s = self._scene_index(view.selected_scene)
        if force or s != self.scene:
            self.scene = s
            mgr.emit("/live/cursor/scene", (s,))
        slot = self._highlight()
        if force or slot != self.slot:
            self.slot = slot
            mgr.emit("/live/cursor/clip_slot", slot)

    def _track_index(self, track):
        if track is None:
            return -1
        obs = self.mgr.track_by_key.get(self.mgr.key(track))
        return obs.index if obs is not None else -1

    def _scene_index(self, scene):
        if scene is None:
            return -1
        obs = self.mgr.scene_by_key.get(self.mgr.key(scene))
        return obs.index if obs is not None else -1

    def _highlight(self):
        slot = self.mgr.song.view.highlighted_clip_slot
        if slot is None:
            return NO_SLOT
        obs = self.mgr.slot_by_key.get(self.mgr.key(slot))
        if obs is None:
            return NO_SLOT
        return (obs.track_obs.index, obs.scene_index, bool(slot.has_clip), slot.playing_status == 1,
                bool(slot.is_triggered))
