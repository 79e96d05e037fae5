"""The fake Live is only useful if it is as strict as Live: these tests make
sure each rule of docs/fakelive.md really bites."""

import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unittest

from support import FAKELIVE_DIR

sys.path.insert(0, FAKELIVE_DIR)

import Live  # noqa: E402
import sets  # noqa: E402
from runtime import FakeLive  # noqa: E402


class FakeLiveTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.log = os.path.join(self.dir, "Log.txt")
        self.fake = FakeLive(log_path=self.log)
        sets.build_set(self.fake, tracks=2, scenes=2, devices=1, params=2, returns=1)
        self.song = self.fake.song

    def tearDown(self):
        self.fake.close()
        shutil.rmtree(self.dir)

    def test_off_main_thread_access_raises_and_is_counted(self):
        errors = []

        def other():
            for fn in (lambda: self.song.tempo, lambda: setattr(self.song.tracks[0], "name", "x"),
                       lambda: self.song.add_tempo_listener(lambda: None)):
                try:
                    fn()
                except RuntimeError as exc:
                    errors.append(str(exc))

        t = threading.Thread(target=other)
        t.start()
        t.join()
        self.assertEqual(len(errors), 3)
        self.assertTrue(all(e.startswith("Live API accessed off the main thread") for e in errors), errors)
        self.assertEqual(self.fake.violations, 3)
        self.assertEqual(self.song.tracks[0].name, "1-Drums", "the write did not happen")

    def test_call_on_main_is_the_way_in(self):
        box = {}
        t = threading.Thread(target=lambda: box.setdefault("tempo", self.fake.call_on_main(lambda: self.song.tempo)))
        t.start()
        self.fake.run_until(lambda: "tempo" in box, timeout=2)
        t.join()
        self.assertEqual(box["tempo"], 120.0)
        self.assertEqual(self.fake.violations, 0)

    def test_listener_rules(self):
        calls = []
        cb = lambda: calls.append(self.song.tempo)  # noqa: E731
        self.song.add_tempo_listener(cb)
        with self.assertRaisesRegex(RuntimeError, "^Observer already connected$"):
            self.song.add_tempo_listener(cb)
        self.assertTrue(self.song.tempo_has_listener(cb))
        self.song.tempo = 120.0  # equal value: no notification
        self.song.tempo = 130.0
        self.assertEqual(calls, [130.0])
        self.song.remove_tempo_listener(cb)
        with self.assertRaisesRegex(RuntimeError, "^Observer not connected$"):
            self.song.remove_tempo_listener(cb)

    def test_not_listenable_properties_have_no_listener_methods(self):
        for obj, prop in ((self.song.view, "highlighted_clip_slot"), (self.song.tracks[0], "can_be_armed"),
                          (self.song, "file_path")):
            with self.assertRaises(AttributeError):
                getattr(obj, "add_%s_listener" % prop)

    def test_changes_from_notifications_are_refused(self):
        seen = []

        def cb():
            try:
                self.song.tracks[1].name = "from a listener"
            except RuntimeError as exc:
                seen.append(str(exc))

        self.song.tracks[0].add_name_listener(cb)
        self.song.tracks[0].name = "Bass"
        self.assertEqual(seen, [Live.NOTIFICATION_ERROR])
        self.assertNotEqual(self.song.tracks[1].name, "from a listener")

    def test_listener_exception_goes_to_log_txt_as_remote_script_error(self):
        def bad():
            raise ValueError("boom in listener")

        self.song.add_is_playing_listener(bad)
        self.song.start_playing()  # the change still happens
        self.assertTrue(self.song.is_playing)
        self.fake.flush_log()  # what the main loop does once it is idle again
        with open(self.log) as f:
            lines = f.read().splitlines()
        errs = [l for l in lines if ": info: RemoteScriptError: " in l or l.endswith(": info: RemoteScriptError: ")]
        self.assertTrue(any("ValueError: boom in listener" in l for l in errs))
        self.assertTrue(any(l.endswith("RemoteScriptError: ") for l in errs), "the empty line Live writes")
        for l in errs:
            self.assertRegex(l, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}: info: RemoteScriptError: ")

    def test_tick_is_100ms_of_wall_time(self):
        start_ticks = self.fake.ticks
        t0 = time.monotonic()
        self.fake.run_until(lambda: self.fake.ticks - start_ticks >= 5, timeout=3)
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, 0.39)  # 5 ticks, the first at once
        self.assertLess(elapsed, 1.5)

    def test_schedule_message_runs_on_a_later_tick_with_truthy_parameter(self):
        from _Framework.ControlSurface import ControlSurface
        from runtime import CInstance

        cs = ControlSurface(CInstance(self.fake))
        got = []
        cs.schedule_message(2, lambda *a: got.append(a), "p")
        cs.schedule_message(1, lambda *a: got.append(a), None)
        cs.update_display()  # Live's timer: scheduled messages are tasks of it
        self.assertEqual(got, [()])
        cs.update_display()
        self.assertEqual(got, [(), ("p",)])
        cs.disconnect()

    def test_log_message_line_format(self):
        from _Framework.ControlSurface import ControlSurface
        from runtime import CInstance

        class LiveState(ControlSurface):
            pass

        cs = LiveState(CInstance(self.fake))
        cs.log_message("INFO [Server]", "listening")
        cs.disconnect()
        self.fake.flush_log()
        with open(self.log) as f:
            text = f.read()
        self.assertRegex(text, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}: info: RemoteScriptMessage: \(LiveState\) "
                               r"INFO \[Server\] listening\n")
        self.assertRegex(text, r"Python: INFO:_Framework\.ControlSurface:\d+ - LOG: \(LiveState\) INFO \[Server\]")

    def test_structure_edits(self):
        song = self.song
        scenes_seen = []
        song.add_scenes_listener(lambda: scenes_seen.append(len(song.scenes)))
        song.create_scene(0)
        self.assertEqual(scenes_seen, [3])
        self.assertEqual(len(song.tracks[0].clip_slots), 3, "each track got a slot for the new scene")
        self.assertEqual(song.return_tracks[0].clip_slots, ())
        row = [t.clip_slots[1] for t in song.tracks]
        song.move_scene(1, 2)
        self.assertEqual([t.clip_slots[2] for t in song.tracks], row, "slots move with their scene")
        with self.assertRaises(IndexError):
            song.delete_track(5)
        with self.assertRaises(RuntimeError):
            song.master_track.mute
        with self.assertRaises(ValueError):
            song.tracks[0].mixer_device.volume.value = 2.0
        with self.assertRaises(RuntimeError):
            song.return_tracks[0].arm = True
        with self.assertRaises(RuntimeError):
            song.tracks[0].clip_slots[1].create_clip(4.0)  # audio track: Live only creates MIDI clips
        self.assertEqual(self.fake.violations, 0)

    def test_view(self):
        app = self.fake.application
        seen = []
        cb = lambda: seen.append(app.view.is_view_visible("Session"))  # noqa: E731
        app.view.add_is_view_visible_listener("Session", cb)
        app.view.show_view("Arranger")
        app.view.show_view("Arranger")
        self.assertEqual(seen, [False])
        app.view.remove_is_view_visible_listener("Session", cb)
        with self.assertRaises(RuntimeError):
            app.view.remove_is_view_visible_listener("Session", cb)

    # --- issue 13: the fake as strict as the real Live (docs/fakelive.md)

    def test_slot_playing_status_is_zero_outside_groups_and_clips_say_their_state(self):
        # issue 13 rule 1: LOM ClipSlot.playing_status is 0 unless the slot
        # belongs to a Group Track; a clip's state is read from the clip.
        slot = self.song.tracks[0].clip_slots[0]
        clip = slot.clip
        slot.fire()
        self.assertEqual((slot.playing_status, clip.is_triggered, clip.is_playing, slot.is_triggered),
                         (0, True, False, True))
        self.fake.tick()
        self.assertEqual((slot.playing_status, clip.is_triggered, clip.is_playing, slot.is_triggered),
                         (0, False, True, False))
        self.assertFalse(slot.is_playing, "ClipSlot.is_playing is playing_status != 0")
        with self.assertRaises(AttributeError):
            clip.playing_status  # a notification only: LOM "bang"

    def test_slot_color_is_none_without_a_colour(self):
        # issue 13 rule 1: ClipSlot.color is None when the slot has no colour.
        slot = self.song.tracks[1].clip_slots[0]
        self.assertFalse(slot.has_clip)
        self.assertIsNone(slot.color)
        clip = slot.create_clip(4.0)
        clip.color = 0x123456
        self.assertEqual(slot.color, 0x123456)

    def test_recording_into_an_empty_armed_slot(self):
        track = self.song.tracks[1]
        track.arm = True
        slot = track.clip_slots[0]
        seen = []
        slot.fire()
        self.assertTrue(slot.is_triggered and slot.will_record_on_start)
        self.fake.tick()
        slot.clip.add_is_recording_listener(lambda: seen.append(slot.clip.is_recording))
        self.assertTrue(slot.has_clip and slot.clip.is_recording and slot.clip.is_playing)
        slot.stop()
        self.assertEqual(seen, [False])

    def test_deleted_objects_die(self):
        # issue 13 rule 2: liveobj_valid(obj) is obj != None; reading a
        # deleted object raises, and so does removing a listener from it.
        song = self.song
        track = song.tracks[0]
        device = track.devices[0]
        param = device.parameters[0]
        slot = track.clip_slots[0]
        clip = slot.clip
        scene = song.scenes[1]
        cb = lambda: None  # noqa: E731
        track.add_name_listener(cb)
        clip.add_name_listener(cb)
        for obj in (track, device, param, slot, clip, scene):
            self.assertTrue(obj != None, obj)  # noqa: E711
        song.delete_scene(1)
        self.assertTrue(scene == None)  # noqa: E711
        self.assertIsNotNone(scene, "is None stays false: only == tells")
        with self.assertRaises(RuntimeError):
            scene.name
        slot.delete_clip()
        self.assertTrue(clip == None)  # noqa: E711
        with self.assertRaises(RuntimeError):
            clip.remove_name_listener(cb)
        song.delete_track(0)
        for obj in (track, device, param, slot):
            self.assertTrue(obj == None, obj)  # noqa: E711
        with self.assertRaises(RuntimeError):
            track.name
        with self.assertRaises(RuntimeError):
            track.remove_name_listener(cb)
        with self.assertRaises(RuntimeError):
            param.value = 0.5
        live = song.tracks[0].devices[0]
        live.set_parameters([("Macro", 0.5, 0.0, 1.0)])
        self.assertTrue(live.parameters[0] != None)  # noqa: E711

    def test_every_read_is_a_fresh_wrapper_with_one_live_ptr(self):
        # issue 13 rule 3: `is` and id() do not hold between reads; ==
        # and _live_ptr identify the object; Live objects are no dict keys.
        a, b = self.song.tracks[0], self.song.tracks[0]
        self.assertIsNot(a, b)
        self.assertEqual(a, b)
        self.assertEqual(a._live_ptr, b._live_ptr)
        self.assertNotEqual(a._live_ptr, self.song.tracks[1]._live_ptr)
        self.assertIsNot(self.song.view.selected_track, self.song.view.selected_track)
        a.name = "Renamed"
        self.assertEqual(b.name, "Renamed", "two wrappers, one object")
        with self.assertRaises(TypeError):
            {a: 1}

    def test_listenable_sets_follow_the_lom(self):
        # issue 13 rule 4.
        clip = self.song.tracks[0].clip_slots[0].clip
        for obj, prop in ((clip, "is_playing"), (clip, "is_triggered"),
                          (self.song.tracks[0].devices[0].parameters[0], "name"),
                          (self.song.tracks[0], "fold_state"), (self.song.tracks[0], "is_visible")):
            with self.assertRaises(AttributeError, msg=prop):
                getattr(obj, "add_%s_listener" % prop)
        for prop in ("playing_status", "is_recording", "name", "color", "muted", "looping"):
            getattr(clip, "add_%s_listener" % prop)
        view = self.fake.application.view
        self.assertTrue(view.is_view_visible("Session", main_window_only=False))
        seen = []
        view.add_focused_document_view_listener(lambda: seen.append(view.focused_document_view))
        view.show_view("Arranger")
        self.assertEqual(seen, ["Arranger"])

    def test_scene_edit_notifies_in_the_drawn_order_and_lists_change_with_their_notification(self):
        # issue 13 rule 5.
        song = self.song
        seen = []
        song.add_scenes_listener(lambda: seen.append(("scenes", len(song.scenes), len(song.tracks[0].clip_slots))))
        song.tracks[0].add_clip_slots_listener(
            lambda: seen.append(("slots", len(song.scenes), len(song.tracks[0].clip_slots))))
        self.fake.order["scenes"] = True
        song.create_scene(0)
        self.assertEqual(seen, [("scenes", 3, 2), ("slots", 3, 3)])
        del seen[:]
        self.fake.order["scenes"] = False
        song.delete_scene(0)
        self.assertEqual(seen, [("slots", 3, 2), ("scenes", 2, 2)])
        del seen[:]
        self.fake.order["tracks"] = False
        song.add_tracks_listener(lambda: seen.append(("tracks", len(song.tracks))))
        song.add_visible_tracks_listener(lambda: seen.append(("visible", len(song.tracks))))
        song.create_audio_track(-1)
        self.assertEqual(seen, [("visible", 2), ("tracks", 3)])

    def test_unpinned_order_is_a_seeded_coin(self):
        def orders(seed):
            fake = FakeLive(seed=seed)
            try:
                return [fake.first("scenes") for _ in range(32)]
            finally:
                fake.close()
                Live._runtime = self.fake

        self.assertEqual(orders(5), orders(5))
        self.assertIn(True, orders(5))
        self.assertIn(False, orders(5))

    def test_file_path_from_live_11_3(self):
        # issue 13 rule 7.
        self.assertEqual(self.song.file_path, "")
        for version, has in (((11, 2, 11), False), ((11, 3, 0), True)):
            fake = FakeLive(version=version)
            try:
                self.assertEqual(hasattr(fake.song, "file_path"), has, version)
            finally:
                fake.close()
        Live._runtime = self.fake

    def test_control_surface_disconnect_twice_fails_as_in_live(self):
        # issue 13 rule 8: the real disconnect sets controls to None and
        # iterates them on a second call.
        from _Framework.ControlSurface import ControlSurface
        from runtime import CInstance

        cs = ControlSurface(CInstance(self.fake))
        cs.disconnect()
        with self.assertRaises(TypeError):
            cs.disconnect()

    def test_schedule_message_counts_one_tick_less_outside_the_timer(self):
        # issue 13 rule 8: _Framework subtracts a tick when not called from
        # its timer, so "n ticks" means n ticks either way; disconnect
        # clears what is scheduled.
        from _Framework.ControlSurface import ControlSurface
        from runtime import CInstance

        cs = ControlSurface(CInstance(self.fake))
        ran = []

        def at(label):
            return lambda: ran.append((label, ticks[0]))

        ticks = [0]

        def from_timer(delta):
            cs.schedule_message(1, at("timer+1"))
            cs.schedule_message(2, at("timer+2"))
            return 0

        cs.schedule_message(1, at("outside+1"))
        cs.schedule_message(3, at("outside+3"))
        cs._task_group.add(from_timer)
        for n in range(1, 5):
            ticks[0] = n
            cs.update_display()
        self.assertEqual(sorted(ran, key=lambda r: (r[1], r[0])),
                         [("outside+1", 1), ("timer+1", 2), ("outside+3", 3), ("timer+2", 3)])
        cs.schedule_message(1, at("never"))
        cs.disconnect()
        cs._task_group.update(0.1)
        self.assertNotIn("never", [r[0] for r in ran])

    def test_group_tracks(self):
        # issue 13 rule 6: foldable groups (LOM Track is_foldable, fold_state,
        # is_grouped, group_track, is_visible; Song.visible_tracks "A track is
        # visible if it's not part of a folded group"), group slots (LOM ClipSlot).
        song = self.song
        g = song.group_tracks(0, 1)
        self.assertEqual([t.name for t in song.tracks], [g.name, "1-Drums", "2-Bass"])
        self.assertTrue(g.is_foldable and not g.is_grouped and not g.can_be_armed)
        self.assertFalse(g.has_audio_input or g.has_midi_input)
        a, b = song.tracks[1], song.tracks[2]
        self.assertTrue(a.is_grouped and a.group_track == g and b.group_track == g)
        self.assertIsNone(g.group_track)
        with self.assertRaises(RuntimeError):
            a.fold_state  # only Group Tracks have it (AbletonOSC handler.py catches this)
        seen = []
        song.add_visible_tracks_listener(lambda: seen.append(len(song.visible_tracks)))
        g.fold_state = 1
        self.assertEqual((seen, a.is_visible, len(song.tracks)), ([1], False, 3))
        g.fold_state = 0
        self.assertEqual(seen, [1, 3])
        # A group slot reports its tracks' clips.
        gslot = g.clip_slots[0]
        self.assertTrue(gslot.is_group_slot and not gslot.has_clip)
        self.assertEqual(gslot.color, a.clip_slots[0].clip.color, "the first clip's colour")
        self.assertEqual(g.clip_slots[1].color, b.clip_slots[1].clip.color)
        b.clip_slots[1].delete_clip()
        self.assertIsNone(g.clip_slots[1].color, "no clip left in that row of the group")
        with self.assertRaises(RuntimeError):
            gslot.create_clip(4.0)
        statuses = []
        gslot.add_playing_status_listener(lambda: statuses.append(gslot.playing_status))
        a.clip_slots[0].fire()
        self.fake.tick()
        self.assertEqual((statuses, gslot.is_playing), ([1], True))
        b.arm = True
        b.clip_slots[0].fire()
        self.fake.tick()
        self.assertEqual((statuses, gslot.is_recording), ([1, 2], True))
        gslot.stop()
        self.assertEqual(statuses, [1, 2, 0])
        # A track inserted inside the group joins it; deleting the group deletes its tracks.
        c = song.create_audio_track(2)
        self.assertEqual(c.group_track, g)
        outside = song.create_audio_track(-1)
        self.assertIsNone(outside.group_track)
        song.delete_track(0)
        self.assertEqual(list(song.tracks), [outside])
        for t in (g, a, b, c):
            self.assertTrue(t == None, t)  # noqa: E711

    # --- issue 13 rule 9: scenarios the fake can play

    def test_stall_holds_the_main_thread(self):
        # A menu open in Live 12: no tick and no handed-over call until it ends.
        box = {}
        started = self.fake.ticks

        def other():
            box["asked"] = True
            box["tempo"] = self.fake.call_on_main(lambda: self.song.tempo, timeout=5)

        t = threading.Thread(target=other)
        t.start()
        # Stall until the other thread is waiting, then a while longer: its call is not served.
        self.assertTrue(self.fake.stall(lambda: "asked" in box, timeout=2))
        self.fake.stall(lambda: "tempo" in box, timeout=0.3)
        self.assertNotIn("tempo", box, "a call was served during the stall")
        self.assertEqual(self.fake.ticks, started, "a tick ran during the stall")
        self.fake.run_until(lambda: "tempo" in box, timeout=2)  # the stall is over: served
        t.join()
        self.assertEqual(box["tempo"], 120.0)

    def test_big_plugin_and_automation_storm(self):
        import scenarios

        dev = sets.add_big_plugin(self.fake, track=0, params=1000)
        self.assertEqual(len(dev.parameters), 1000)
        storm = scenarios.AutomationStorm(self.fake, per_tick=1000, per_change=3)
        changes = []
        for p in list(dev.parameters)[:5]:
            p.add_value_listener(lambda p=p: changes.append(p.value))
        storm.on_tick()
        self.assertEqual(len(changes), 15, "each of them changed three times")
        self.assertEqual([p.value for p in list(dev.parameters)[:3]], [storm.final(1, i) for i in range(3)])


if __name__ == "__main__":
    unittest.main()
