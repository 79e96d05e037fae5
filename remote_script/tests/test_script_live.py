"""The real Remote Script in the strict fake Live, with real sockets.

Every event of the catalog is produced by the matching change in the fake;
every command answers over TCP; nothing touches Live off the main thread;
disconnect() frees the command port for the next instance.
"""

import json
import os
import re
import socket
import time
import unittest

from live_support import ScriptHarness, fake_available
from support import tcp_command

VERSION = re.search(r'VERSION = "([^"]+)"',
                    open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                      "version.py")).read()).group(1)


def small_set(fake):
    """Two regular tracks (audio, midi), one return, three scenes, a device, a clip."""
    import sets

    sets.build_set(fake, tracks=2, scenes=3, devices=1, params=3, returns=1, clips=True)


class LiveScriptTest(unittest.TestCase):
    def setUp(self):
        self.h = ScriptHarness(build_set=small_set)
        self.h.load()
        self.h.wait_event("/live/hello")
        # The start-up batch (observers registered) ends before any test's edit.
        self.h.wait_event("/live/batch/end")

    def tearDown(self):
        self.h.close()
        self.assertEqual(self.h.fake.violations, 0, "the script touched Live off the main thread")

    # --- lifecycle

    def test_hello_first_then_heartbeat(self):
        seq, ts, path, args = self.h.events[0]
        self.assertEqual((seq, path), (1, "/live/hello"))
        session, version, live_version = args
        self.assertRegex(session, r"^[0-9a-f]{12}$")
        self.assertEqual(version, VERSION)
        self.assertAlmostEqual(ts, time.time(), delta=5)
        hb = self.h.wait_event("/live/heartbeat", timeout=3)[3]
        self.assertEqual(hb[0], session)
        self.assertEqual(len(hb), 13)
        self.assertIs(hb[8], True)  # observers enabled
        self.assertEqual(hb[9:11], [4, 3])  # 2 tracks + 1 return + master; 3 scenes

    def test_sequence_numbers_are_consecutive(self):
        song = self.h.song
        for i in range(20):
            song.tracks[0].name = "n%d" % i
        self.h.settle()
        seqs = [e[0] for e in self.h.events]
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)))

    def test_bye_on_disconnect_and_port_freed(self):
        session = self.h.events[0][3][0]
        port = self.h.command_port()
        self.h.unload()
        self.h.pump()
        deadline = time.monotonic() + 2
        while "/live/bye" not in self.h.paths() and time.monotonic() < deadline:
            time.sleep(0.01)
        bye = [e for e in self.h.events if e[2] == "/live/bye"]
        self.assertEqual(bye[0][3], [session])
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))  # free again right away
        s.close()

    def test_new_instance_binds_the_same_port_20_times(self):
        port = self.h.command_port()
        # From now on the script must use this very port, as Live's would (9001).
        with open(os.path.join(self.h.script_dir, "config.json"), "w") as f:
            json.dump({"command_port": port, "events_port": self.h.udp.getsockname()[1]}, f)
        sessions = set()
        for i in range(20):
            t0 = time.monotonic()
            self.h.unload()
            self.assertLess(time.monotonic() - t0, 1.0, "disconnect took too long")
            self.h.load()
            self.assertEqual(self.h.command_port(), port, "round %d" % i)
            r = self.h.command("PING")
            self.assertTrue(r["pong"])
            sessions.add(r["session_id"])
        self.assertEqual(len(sessions), 20, "a new session id each start")

    # --- events of the catalog

    def test_track_property_events(self):
        h, song = self.h, self.h.song
        t = song.tracks[1]
        cases = [
            (lambda: setattr(t, "name", "Bass"), "/live/track/renamed", [1, "Bass"]),
            (lambda: setattr(t, "mute", True), "/live/track/mute", [1, True]),
            (lambda: setattr(t, "solo", True), "/live/track/solo", [1, True]),
            (lambda: setattr(t, "arm", True), "/live/track/arm", [1, True]),
            (lambda: setattr(t, "color", 0x112233), "/live/track/color", [1, 0x112233]),
            (lambda: setattr(t.mixer_device.volume, "value", 0.5), "/live/track/volume", [1, 0.5]),
            (lambda: setattr(song.return_tracks[0], "name", "Verb"), "/live/track/renamed", [2, "Verb"]),
        ]
        for change, path, args in cases:
            m = h.mark()
            change()
            got = h.wait_event(path, since=m)
            self.assertEqual(got[3], args, path)

    def test_volume_debounce_leading_and_trailing(self):
        h = self.h
        vol = h.song.tracks[0].mixer_device.volume
        m = h.mark()
        for i in range(1, 51):
            vol.value = i / 100.0
        h.settle()
        vols = [e[3] for e in h.events[m:] if e[2] == "/live/track/volume"]
        self.assertEqual(vols[0], [0, 0.01], "leading edge at once")
        self.assertEqual(vols[-1], [0, 0.5], "final value always sent")
        self.assertLessEqual(len(vols), 3)

    def test_device_events(self):
        h, song = self.h, self.h.song
        t = song.tracks[0]
        p = t.devices[0].parameters[1]
        m = h.mark()
        p.value = p.max
        self.assertEqual(h.wait_event("/live/device/param", since=m)[3], [0, 0, 1, float(p.max)])
        m = h.mark()
        t.insert_device(0, "Auto Filter", "AutoFilter", [("Device On", 1.0, 0.0, 1.0), ("Frequency", 0.5, 0.0, 1.0)])
        h.wait_event("/live/batch/end", since=m)
        ev = [(e[2], e[3]) for e in h.events[m:]]
        self.assertIn(("/live/device/added", [0, 0, "Auto Filter", "AutoFilter"]), ev)
        self.assertIn(("/live/device/param_info", [0, 0, 1, "Frequency", 0.5, 0.0, 1.0]), ev)
        m = h.mark()
        t.delete_device(1)
        self.assertEqual(h.wait_event("/live/device/deleted", since=m)[3], [0, 1])

    def test_clip_and_slot_events(self):
        h, song = self.h, self.h.song
        slot = song.tracks[1].clip_slots[2]  # a MIDI track: create_clip works there only
        self.assertFalse(slot.has_clip)
        m = h.mark()
        slot.create_clip(4.0)
        added = h.wait_event("/live/clip/added", since=m)[3]
        self.assertEqual(added[:2], [1, 2])
        clip = slot.clip
        for change, path, args in [
            (lambda: setattr(clip, "name", "Hook"), "/live/clip/name", [1, 2, "Hook"]),
            (lambda: setattr(clip, "color", 0xFF0000), "/live/clip/color", [1, 2, 0xFF0000]),
            (lambda: setattr(clip, "muted", True), "/live/clip/muted", [1, 2, True]),
            (lambda: setattr(clip, "looping", not clip.looping), "/live/clip/looping", [1, 2, clip.looping is False]),
            (lambda: setattr(slot, "has_stop_button", False), "/live/clip_slot/has_stop", [1, 2, False]),
            (lambda: slot.fire(), "/live/clip_slot/playing_status", None),
        ]:
            m = h.mark()
            change()
            got = h.wait_event(path, since=m)
            if args is not None:
                self.assertEqual(got[3], args, path)
        m = h.mark()
        slot.delete_clip()
        self.assertEqual(h.wait_event("/live/clip/removed", since=m)[3], [1, 2])

    def test_scene_events(self):
        h, song = self.h, self.h.song
        for change, path, check in [
            (lambda: setattr(song.scenes[1], "name", "Verse 2"), "/live/scene/renamed", [1, "Verse 2"]),
            (lambda: setattr(song.scenes[1], "color", 0x00FF00), "/live/scene/color", [1, 0x00FF00]),
            (lambda: song.create_scene(1), "/live/scene/added", lambda a: a[0] == 1),
            (lambda: song.move_scene(0, 2), "/live/scene/reordered", lambda a: a[0] == 2 and a[2] == 0),
            (lambda: song.delete_scene(3), "/live/scene/removed", [3]),
            (lambda: song.scenes[0].fire(), "/live/scene/triggered", lambda a: a[0] == 0),
        ]:
            m = h.mark()
            change()
            got = h.wait_event(path, since=m)
            if callable(check):
                self.assertTrue(check(got[3]), (path, got[3]))
            else:
                self.assertEqual(got[3], check, path)

    def test_new_scene_sends_its_slots(self):
        h = self.h
        m = h.mark()
        h.song.create_scene(-1)
        h.wait_event("/live/batch/end", since=m)
        created = [e[3][:2] for e in h.events[m:] if e[2] == "/live/clip_slot/created"]
        self.assertEqual(created, [[0, 3], [1, 3]], "one slot per regular track")

    def test_track_added_deleted_with_contents(self):
        h, song = self.h, self.h.song
        m = h.mark()
        song.create_midi_track(1)
        h.wait_event("/live/batch/end", since=m)
        # Log lines and heartbeats may interleave; the structural burst may not.
        ev = [(e[2], e[3]) for e in h.events[m:] if e[2] not in ("/live/log", "/live/heartbeat")]
        self.assertEqual(ev[0][0], "/live/batch/start")
        added = [a for p, a in ev if p == "/live/track/added"]
        if not added:
            self.fail("no track/added in %s\nLog.txt:\n%s" % (ev[:8], h.log_tail()))
        self.assertEqual(added[0][:3], [1, added[0][1], "midi"])
        self.assertEqual(len([a for p, a in ev if p == "/live/clip_slot/created" and a[0] == 1]), 3)
        m = h.mark()
        song.delete_track(0)
        self.assertEqual(h.wait_event("/live/track/deleted", since=m)[3], [0])
        # The return track moved from index 3 to 2: its events say so.
        m = h.mark()
        song.return_tracks[0].name = "R"
        self.assertEqual(h.wait_event("/live/track/renamed", since=m)[3], [2, "R"])

    def test_track_move_is_delete_then_add(self):
        h, song = self.h, self.h.song
        name0 = song.tracks[0].name
        m = h.mark()
        song.move_track(0, 1)
        h.wait_event("/live/batch/end", since=m)
        ev = [(e[2], e[3]) for e in h.events[m:] if e[2].startswith("/live/track/")]
        self.assertEqual(ev[0][0], "/live/track/deleted")
        self.assertEqual(ev[1][0], "/live/track/added")
        self.assertIn(name0, ev[1][1])

    def test_transport_view_cursor_and_path(self):
        h, song = self.h, self.h.song
        for change, path, args in [
            (lambda: song.start_playing(), "/live/transport/play", [True]),
            (lambda: setattr(song, "tempo", 128.5), "/live/transport/tempo", [128.5]),
            (lambda: setattr(song.view, "selected_track", song.tracks[1]), "/live/cursor/track",
             [1, song.tracks[1].color, song.tracks[1].name]),
            (lambda: setattr(song.view, "selected_scene", song.scenes[2]), "/live/cursor/scene", [2]),
            (lambda: song.view.highlight(song.tracks[0], song.scenes[1]), "/live/cursor/clip_slot", None),
            (lambda: h.fake.application.view.show_view("Arranger"), "/live/view", ["arrangement"]),
            (lambda: song.set_file_path("/tmp/My Set.als"), "/live/project/path", ["/tmp/My Set.als"]),
        ]:
            m = h.mark()
            change()
            got = h.wait_event(path, since=m)
            if args is not None:
                self.assertEqual(got[3], args, path)
            else:
                self.assertEqual(got[3][:2], [0, 1])

    def test_log_lines_reach_log_txt_and_udp(self):
        h = self.h
        m = h.mark()
        r = h.command("SET_LOG_LEVEL:INFO,WARNING,ERROR")
        self.assertEqual(r["enabled_levels"], ["INFO", "WARN", "ERROR"])  # WARNING is WARN's alias
        h.wait_event("/live/log", lambda a: a[1] == "Commands" and "log levels" in a[2], since=m)
        with open(h.log_path) as f:
            text = f.read()
        self.assertRegex(text, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}: info: RemoteScriptMessage: \(LiveState\) "
                               r"INFO \[LiveState\] VimAbl .* starting")

    def test_log_flood_from_8_threads_never_blocks_live(self):
        import threading

        lc = __import__(type(self.h.instance).__module__.rsplit(".", 1)[0] + ".logging_config", fromlist=["x"])
        lc.reset_log_stats()
        per_thread = 20000

        # Producers flood until each has logged per_thread lines *and* Live's
        # timer has ticked twice since they started, so the flood really spans
        # ticks even on a machine fast enough to log 160 000 lines within one.
        stop = threading.Event()
        logged = [0] * 8

        def flood(k):
            i = 0
            while i < per_thread or not stop.is_set():
                lc.log("Flood%d" % k, "line %d" % i, "WARNING")
                i += 1
                if i % 1000 == 0:
                    logged[k] = i
            logged[k] = i

        threads = [threading.Thread(target=flood, args=(k,)) for k in range(8)]
        start = self.h.fake.ticks
        for t in threads:
            t.start()
        # log() never waits: Live's timer keeps ticking and draining on the
        # main thread while all eight producers are busy.
        ticked = self.h.fake.run_until(
            lambda: self.h.fake.ticks >= start + 2 and min(logged) >= per_thread, timeout=60)
        stop.set()
        stopped = self.h.fake.run_until(lambda: not any(t.is_alive() for t in threads), timeout=10)
        for t in threads:
            t.join()
        self.assertTrue(ticked, "after 60 s: %d ticks during the flood, lines logged per producer %s"
                        % (self.h.fake.ticks - start, logged))
        self.assertTrue(stopped, "a producer was still logging 10 s after being told to stop")
        st = lc.get_log_stats()
        self.assertGreaterEqual(st["messages_enqueued"] + st["messages_dropped"], 8 * per_thread)
        self.assertGreater(st["messages_dropped"], 0, "a full queue drops and counts")
        self.assertLessEqual(st["peak_queue_size"], st["queue_max"])
        self.assertEqual(self.h.fake.violations, 0)
        lc.clear_log_queue()

    # --- commands

    def test_commands(self):
        h = self.h
        self.assertEqual(h.command("GET_VIEW"), {"success": True, "view": "session"})
        r = h.command("PING")
        self.assertEqual((r["pong"], r["version"]), (True, VERSION))
        r = h.command("GET_VERSION")
        self.assertEqual(r["version"], VERSION)
        self.assertIn("python_version", r)
        r = h.command("GET_STATE")
        self.assertEqual(len(r["tracks"]), 2)
        self.assertEqual([s["index"] for s in r["scenes"]], [0, 1, 2])
        self.assertIn("transport_playing", r)
        self.assertEqual(h.command("GET_PROJECT_PATH")["project_path"], h.song.file_path or "")
        self.assertEqual(h.command("SELECT_LAST_SCENE")["scene"], 2)
        # Live hands out a new wrapper on every read: == compares the objects.
        self.assertEqual(h.song.view.selected_scene, h.song.scenes[2])
        h.command("JUMP_TO_FIRST")  # the Session is in front: gg selects the first scene
        self.assertEqual(h.song.view.selected_scene, h.song.scenes[0])
        h.command("SELECT_LAST_TRACK")
        self.assertEqual(h.song.view.selected_track, h.song.tracks[1])
        self.assertEqual(h.command("NOPE"), {"success": False, "error": "Unknown command: NOPE"})
        st = h.command("GET_OBSERVER_STATUS")["stats"]
        self.assertEqual((st["enabled"], st["track_count"], st["scene_count"]), (True, 4, 3))
        self.assertFalse(h.command("SET_LOG_LEVEL:LOUD")["success"])
        self.assertIn("queue_max", h.command("GET_LOG_STATS")["stats"])
        self.assertEqual(h.command("RESET_LOG_STATS")["stats"]["messages_dropped"], 0)

    def test_stop_start_observers(self):
        h = self.h
        st = h.command("STOP_OBSERVERS")["stats"]
        self.assertEqual((st["enabled"], st["listener_count"]), (False, 0))
        m = h.mark()
        h.song.tracks[0].name = "silent"
        h.settle(quiet=0.25)
        self.assertNotIn("/live/track/renamed", h.paths(m))
        st = h.command("START_OBSERVERS")["stats"]
        self.assertTrue(st["enabled"])
        self.assertGreater(st["listener_count"], 0)
        h.wait_event("/live/resync", since=m)
        m = h.mark()
        h.song.tracks[0].name = "heard"
        h.wait_event("/live/track/renamed", since=m)
        n = h.command("REFRESH_OBSERVERS")["stats"]["listener_count"]
        self.assertEqual(n, st["listener_count"], "a refresh re-registers, never duplicates")

    def test_snapshot_matches_the_set(self):
        h, song = self.h, self.h.song
        song.tracks[0].name = "Drums"
        r = h.command("SNAPSHOT")
        self.assertTrue(r["success"])
        self.assertEqual(r["session_id"], h.events[0][3][0])
        h.pump()
        self.assertLessEqual(r["seq"], h.events[-1][0])
        state = r["state"]
        self.assertEqual([t["type"] for t in state["tracks"]], ["audio", "midi", "return", "master"])
        self.assertEqual(state["tracks"][0]["name"], "Drums")
        self.assertEqual(len(state["tracks"][0]["clip_slots"]), 3)
        self.assertEqual(state["tracks"][2]["clip_slots"], [])
        self.assertEqual(len(state["scenes"]), 3)
        for key in ("view", "project_path", "transport", "cursor"):
            self.assertIn(key, state)

    def test_export_xml_command(self):
        import gzip
        import tempfile

        d = tempfile.mkdtemp()
        als = os.path.join(d, "S.als")
        with gzip.open(als, "wb") as f:
            f.write(b"<Ableton/>")
        r = self.h.command("EXPORT_XML:" + als)
        self.assertEqual(r["xml_path"], os.path.join(os.path.realpath(d), ".vimabl", "S.xml"))
        self.assertFalse(self.h.command("EXPORT_XML:/etc/passwd")["success"])


if not fake_available():
    LiveScriptTest = unittest.skip("the fake Live (remote_script/fakelive/runtime.py) has not landed")(LiveScriptTest)

if __name__ == "__main__":
    unittest.main()
