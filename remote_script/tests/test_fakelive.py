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
        self.fake.tick()
        self.assertEqual(got, [()])
        self.fake.tick()
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


if __name__ == "__main__":
    unittest.main()
