"""What a person does in Live, scripted: random edits and the sim's scenarios.

Everything here runs on the fake's main thread, between ticks, through the
fake's API (the same strictness applies), and never picks an invalid index.
"""

import random

import sets

MAX_TRACKS = 24
MAX_SCENES = 16
MAX_RETURNS = 4
MAX_DEVICES = 4


class RandomEdits(object):
    """Deterministic per seed: ``step()`` makes one valid random edit of any kind."""

    def __init__(self, fake, seed):
        self.fake = fake
        self.rnd = random.Random(seed)
        self.done = 0
        self.kinds = [
            (8, self.rename_track), (6, self.toggle_track), (8, self.volume), (4, self.track_color),
            (12, self.param), (3, self.tempo), (2, self.play), (3, self.create_track), (2, self.delete_track),
            (2, self.create_scene), (2, self.delete_scene), (2, self.move_scene), (2, self.move_track),
            (3, self.insert_device), (2, self.delete_device), (1, self.move_device), (1, self.rename_device),
            (1, self.reconfigure_device), (4, self.create_clip), (3, self.delete_clip), (4, self.clip_prop),
            (2, self.slot_stop_button), (3, self.fire_slot), (1, self.fire_scene), (2, self.stop_slot),
            (3, self.select_track), (3, self.select_scene), (4, self.highlight), (1, self.view),
            (1, self.file_path), (2, self.rename_scene), (2, self.scene_color), (1, self.returns),
            (1, self.group), (2, self.fold), (1, self.record),
        ]
        self.total = float(sum(w for w, _ in self.kinds))

    @property
    def song(self):
        return self.fake.song

    def step(self):
        r = self.rnd.random() * self.total
        for w, fn in self.kinds:
            r -= w
            if r <= 0:
                break
        fn()
        self.done += 1

    # --- helpers

    def pick(self, seq):
        return seq[self.rnd.randrange(len(seq))] if seq else None

    def any_track(self):
        return self.pick(list(self.song.tracks) + list(self.song.return_tracks) + [self.song.master_track])

    def name(self):
        return self.rnd.choice(["Kick", "Snare", "Hats", "Bass", "Pad", "Lead", "Vox", "Keys", "FX", "Sub"]) + \
            " %d" % self.rnd.randrange(100)

    def color(self):
        return self.rnd.choice(sets.PALETTE)

    # --- edits

    def rename_track(self):
        self.any_track().name = self.name()

    def toggle_track(self):
        t = self.pick(list(self.song.tracks) + list(self.song.return_tracks))
        if t is None:
            return
        what = self.rnd.choice(["mute", "solo", "arm"])
        if what == "arm" and not t.can_be_armed:
            what = "mute"
        setattr(t, what, not getattr(t, what))

    def volume(self):
        p = self.any_track().mixer_device.volume
        for _ in range(self.rnd.randrange(1, 6)):  # a short fader move
            p.value = round(self.rnd.random(), 6)

    def track_color(self):
        self.any_track().color = self.color()

    def param(self):
        t = self.pick([t for t in self.song.tracks if t.devices] + [t for t in self.song.return_tracks if t.devices])
        if t is None:
            return self.volume()
        p = self.pick(list(self.pick(list(t.devices)).parameters))
        for _ in range(self.rnd.randrange(1, 6)):
            p.value = p.min + (p.max - p.min) * round(self.rnd.random(), 6)

    def tempo(self):
        self.song.tempo = round(self.rnd.uniform(60, 180), 2)

    def play(self):
        if self.song.is_playing:
            self.song.stop_playing()
        else:
            self.song.start_playing()

    def create_track(self):
        if len(self.song.tracks) >= MAX_TRACKS:
            return self.delete_track()
        i = self.rnd.randrange(-1, len(self.song.tracks) + 1)
        t = self.song.create_midi_track(i) if self.rnd.random() < 0.5 else self.song.create_audio_track(i)
        t.name = self.name()

    def delete_track(self):
        tracks = list(self.song.tracks)
        # Deleting a group deletes its tracks: never all of them (Live keeps one).
        fine = [i for i, t in enumerate(tracks)
                if not (t.is_foldable and len(self.song_members(t)) + 1 >= len(tracks))]
        if len(tracks) <= 1 or not fine:
            return self.create_track()
        self.song.delete_track(self.pick(fine))

    def song_members(self, group):
        return [t for t in self.song.tracks if self.inside(t, group)]

    @staticmethod
    def inside(track, group):
        g = track.group_track
        while g is not None:
            if g == group:
                return True
            g = g.group_track
        return False

    def group(self):
        """Group a run of one to three top-level tracks (Cmd/Ctrl-G)."""
        tracks = list(self.song.tracks)
        top = [i for i, t in enumerate(tracks) if t.group_track is None and not t.is_foldable]
        if not top or len(tracks) >= MAX_TRACKS:
            return self.create_track()
        first = self.pick(top)
        last = first
        while last + 1 < len(tracks) and last - first < 2 and last + 1 in top and self.rnd.random() < 0.6:
            last += 1
        self.song.group_tracks(first, last)

    def fold(self):
        groups = [t for t in self.song.tracks if t.is_foldable]
        if not groups:
            return self.group()
        g = self.pick(groups)
        g.fold_state = 0 if g.fold_state else 1

    def record(self):
        """Arm a MIDI track and fire an empty slot of it: Live records a clip."""
        empty = [(t, s) for t in self.song.tracks if t.has_midi_input for s in t.clip_slots if not s.has_clip]
        if not empty:
            return self.create_clip()
        t, slot = self.pick(empty)
        t.arm = True
        slot.fire()

    def create_scene(self):
        if len(self.song.scenes) >= MAX_SCENES:
            return self.delete_scene()
        s = self.song.create_scene(self.rnd.randrange(-1, len(self.song.scenes) + 1))
        s.name = "Scene %d" % self.rnd.randrange(100)

    def delete_scene(self):
        if len(self.song.scenes) <= 1:
            return self.create_scene()
        self.song.delete_scene(self.rnd.randrange(len(self.song.scenes)))

    def move_scene(self):
        n = len(self.song.scenes)
        if n >= 2:
            self.song.move_scene(self.rnd.randrange(n), self.rnd.randrange(n))

    def move_track(self):
        """Drag an ungrouped track to a place outside any group (what the
        fake's move_track allows)."""
        tracks = list(self.song.tracks)
        movable = [i for i, t in enumerate(tracks) if t.group_track is None and not t.is_foldable]
        if len(tracks) < 2 or not movable:
            return
        src = self.pick(movable)
        rest = tracks[:src] + tracks[src + 1:]
        spots = [d for d in range(len(rest) + 1) if d == len(rest) or rest[d].group_track is None]
        self.song.move_track(src, self.pick(spots))

    def insert_device(self):
        t = self.pick(list(self.song.tracks))
        if t is None or len(t.devices) >= MAX_DEVICES:
            return self.delete_device()
        name, cls, pnames = self.pick(sets.DEVICES)
        t.insert_device(self.rnd.randrange(len(t.devices) + 1), name, cls,
                        sets.device_params(pnames, self.rnd.randrange(1, 9)))

    def delete_device(self):
        t = self.pick([t for t in self.song.tracks if t.devices])
        if t is not None:
            t.delete_device(self.rnd.randrange(len(t.devices)))

    def move_device(self):
        t = self.pick([t for t in self.song.tracks if len(t.devices) >= 2])
        if t is not None:
            n = len(t.devices)
            t.move_device(self.rnd.randrange(n), self.rnd.randrange(n))

    def rename_device(self):
        t = self.pick([t for t in self.song.tracks if t.devices])
        if t is not None:
            self.pick(list(t.devices)).name = self.name()

    def reconfigure_device(self):
        t = self.pick([t for t in self.song.tracks if t.devices])
        if t is not None:
            d = self.pick(list(t.devices))
            d.set_parameters(sets.device_params(["Device On", "Macro"], self.rnd.randrange(1, 9)))

    def _slots(self, want_clip):
        return [s for t in self.song.tracks for s in t.clip_slots if s.has_clip == want_clip]

    def create_clip(self):
        empty = [s for t in self.song.tracks if t.has_midi_input for s in t.clip_slots if not s.has_clip]
        slot = self.pick(empty)
        if slot is not None:
            slot.create_clip(4.0).name = self.name()

    def delete_clip(self):
        slot = self.pick(self._slots(True))
        if slot is not None:
            slot.delete_clip()

    def clip_prop(self):
        slot = self.pick(self._slots(True))
        if slot is None:
            return self.create_clip()
        clip = slot.clip
        what = self.rnd.choice(["name", "color", "muted", "looping"])
        if what == "name":
            clip.name = self.name()
        elif what == "color":
            clip.color = self.color()
        else:
            setattr(clip, what, not getattr(clip, what))

    def slot_stop_button(self):
        slot = self.pick([s for t in self.song.tracks for s in t.clip_slots])
        if slot is not None:
            slot.has_stop_button = not slot.has_stop_button

    def fire_slot(self):
        slot = self.pick(self._slots(True))
        if slot is not None:
            slot.fire()

    def fire_scene(self):
        self.pick(list(self.song.scenes)).fire()

    def stop_slot(self):
        # A clip's play state is the clip's: ClipSlot.playing_status is 0
        # outside group tracks (LOM ClipSlot).
        slot = self.pick([s for s in self._slots(True) if s.clip.is_playing or s.clip.is_triggered])
        if slot is not None:
            slot.stop()

    def select_track(self):
        self.song.view.selected_track = self.any_track()

    def select_scene(self):
        self.song.view.selected_scene = self.pick(list(self.song.scenes))

    def highlight(self):
        if self.song.tracks and self.song.scenes:
            self.song.view.highlight(self.rnd.randrange(len(self.song.tracks)), self.rnd.randrange(len(self.song.scenes)))

    def view(self):
        app = self.fake.application
        app.view.show_view("Arranger" if app.view.is_view_visible("Session") else "Session")

    def file_path(self):
        self.song.set_file_path("/Users/demo/Music/Set %d Project/Set %d.als" % ((self.rnd.randrange(5),) * 2))

    def rename_scene(self):
        self.pick(list(self.song.scenes)).name = "Scene %d" % self.rnd.randrange(100)

    def scene_color(self):
        self.pick(list(self.song.scenes)).color = self.color()

    def returns(self):
        n = len(self.song.return_tracks)
        if n < MAX_RETURNS and (n == 0 or self.rnd.random() < 0.5):
            self.song.create_return_track()
        elif n:
            self.song.delete_return_track(self.rnd.randrange(n))


class EditStorm(object):
    """Knob and fader storms with some renames: a few thousand changes a second."""

    PER_TICK = 300

    def __init__(self, fake, seed=1):
        self.fake = fake
        self.rnd = random.Random(seed)
        self.phase = 0.0

    def on_tick(self):
        song = self.fake.song
        tracks = list(song.tracks)
        if not tracks:
            return
        self.phase += 0.1
        params = [p for t in tracks for d in t.devices for p in d.parameters]
        for i in range(self.PER_TICK):
            r = self.rnd.random()
            if r < 0.6 and params:
                p = params[self.rnd.randrange(len(params))]
                p.value = p.min + (p.max - p.min) * self.rnd.random()
            elif r < 0.9:
                t = tracks[self.rnd.randrange(len(tracks))]
                t.mixer_device.volume.value = self.rnd.random()
            elif r < 0.97:
                t = tracks[self.rnd.randrange(len(tracks))]
                t.name = "%s %d" % (t.name.split(" ")[0], self.rnd.randrange(1000))
            else:
                t = tracks[self.rnd.randrange(len(tracks))]
                slot = t.clip_slots[self.rnd.randrange(len(t.clip_slots))] if t.clip_slots else None
                if slot is not None and slot.has_clip:
                    slot.fire() if not slot.clip.is_playing else slot.stop()


class AutomationStorm(object):
    """Automation playing: every tick each parameter of every device changes
    ``per_change`` times (an automation curve is re-read every audio block),
    the biggest devices first, up to ``per_tick`` parameters a tick. The last
    value of a tick is a known function of (tick, parameter), so a test can
    tell final values from intermediate ones."""

    def __init__(self, fake, per_tick=1000, per_change=3):
        self.fake = fake
        self.per_tick = per_tick
        self.per_change = per_change
        self.ticks = 0

    @staticmethod
    def final(tick, i):
        return ((tick * 7 + i) % 101) / 100.0

    def params(self):
        devices = [d for t in self.fake.song.tracks for d in t.devices]
        devices.sort(key=lambda d: -len(d.parameters))
        return [p for d in devices for p in d.parameters][:self.per_tick]

    def on_tick(self):
        self.ticks += 1
        for i, p in enumerate(self.params()):
            lo, hi = p.min, p.max
            for c in range(self.per_change - 1):
                p.value = lo + (hi - lo) * ((c * 0.37 + i * 0.01) % 1.0)
            p.value = lo + (hi - lo) * self.final(self.ticks, i)


class Demo(object):
    """What `vimabl demo` plays: a band rehearsing — clips fire, faders move,
    the cursor walks, now and then a track or scene appears."""

    def __init__(self, fake, seed=7):
        self.fake = fake
        self.edits = RandomEdits(fake, seed)
        self.rnd = random.Random(seed)
        self.ticks = 0

    def on_tick(self):
        self.ticks += 1
        song = self.fake.song
        if self.ticks == 1 and not song.is_playing:
            song.start_playing()
        e = self.edits
        for _ in range(self.rnd.randrange(5, 40)):  # a steady stream of knob moves
            e.param() if self.rnd.random() < 0.7 else e.volume()
        if self.ticks % 5 == 0:
            e.fire_slot()
        if self.ticks % 7 == 0:
            e.highlight()
        if self.ticks % 13 == 0:
            e.step()


SCENARIOS = ("idle", "edit-storm", "set-load", "demo", "automation-storm")


def scenario(name, fake, seed=1):
    """The per-tick driver of a named scenario (None for idle)."""
    if name in (None, "", "idle", "set-load"):
        return None
    if name == "edit-storm":
        return EditStorm(fake, seed)
    if name == "demo":
        return Demo(fake, seed)
    if name == "automation-storm":
        return AutomationStorm(fake)
    raise ValueError("unknown scenario %r (%s)" % (name, ", ".join(SCENARIOS)))
