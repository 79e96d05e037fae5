"""Existing VimAbl Hammerspoon configs keep working (issue 11).

Every line VimAbl's Hammerspoon config sends to port 9001 is replayed exactly
as it sends it — ``echo "CMD" | nc -w 1 127.0.0.1 9001`` (``nc -w 2`` for
EXPORT_XML), through a shell and the real ``nc`` — against the real script in
the fake Live, once with the Arrangement in front and once with the Session.
Each reply must carry the keys the config reads (VimAbl's live_state.lua,
keys/navigation.lua, websocket_manager.lua and its script's commands.py are
the reference), and the Set must change the way VimAbl's script changed it.
"""

import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unittest

from live_support import ScriptHarness, fake_available
from support import SCRIPT_DIR

import sets  # the fake Live's Set builders (on sys.path through live_support)

NC = shutil.which("nc")
DOC = os.path.join(os.path.dirname(SCRIPT_DIR), "docs", "hammerspoon.md")


def build(fake):
    sets.build_set(fake, tracks=4, scenes=5, devices=1, params=2, returns=1, clips=True)
    fake.song._v["last_event_time"] = 96.0  # the Arrangement's last clip ends at beat 96
    fake.song.current_song_time = 17.5


@unittest.skipUnless(fake_available(), "fake Live not available")
class HammerspoonContractTest(unittest.TestCase):
    def setUp(self):
        if NC is None:
            self.fail("nc is needed, as Hammerspoon uses it (make deps installs netcat-openbsd)")
        self.h = ScriptHarness(build_set=build)
        self.h.load()
        self.port = self.h.command_port()
        self.dir = tempfile.mkdtemp(prefix="vimabl-hs-")

    def tearDown(self):
        self.h.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def nc(self, line, wait=1):
        """``echo "<line>" | nc -w <wait> 127.0.0.1 <port>`` while Live's main
        thread keeps ticking; returns the decoded reply."""
        box = {}

        def run():
            box["out"] = subprocess.run(
                ["sh", "-c", 'echo "$0" | "$1" -w "$2" 127.0.0.1 "$3"', line, NC, str(wait), str(self.port)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)

        t = threading.Thread(target=run)
        t.start()
        self.h.fake.run_until(lambda: not t.is_alive(), timeout=10)
        t.join(1)
        out = box["out"]
        self.assertEqual(out.returncode, 0, "%s: nc failed: %r" % (line, out.stderr))
        text = out.stdout.decode("utf-8")
        self.assertTrue(text.endswith("\n") and text.count("\n") == 1, "%s: want one JSON line, got %r" % (line, text))
        return json.loads(text)

    def show(self, name):
        self.h.fake.application.view.show_view(name)

    def assert_keys(self, line, reply, keys):
        missing = [k for k in keys if k not in reply]
        self.assertEqual(missing, [], "%s: reply %r lacks %s" % (line, reply, missing))

    # --- the view-dependent keys: gg and G

    def test_gg_and_G_in_the_arrangement_select_tracks_and_keep_it_in_front(self):
        song, app = self.h.song, self.h.fake.application
        self.show("Arranger")
        song.view.selected_scene = song.scenes[2]
        r = self.nc("JUMP_TO_LAST")
        self.assertEqual(r, {"success": True, "track": 3})
        self.assertEqual(song.view.selected_track, song.tracks[3])
        self.assertEqual(song.view.selected_scene, song.scenes[2], "G in the Arrangement must not move the scene")
        self.assertTrue(app.view.is_view_visible("Arranger"))
        r = self.nc("JUMP_TO_FIRST")
        self.assertEqual(r, {"success": True, "track": 0})
        self.assertEqual(song.view.selected_track, song.tracks[0])
        self.assertTrue(app.view.is_view_visible("Arranger"))
        self.assertEqual(self.nc("GET_VIEW"), {"success": True, "view": "arrangement"})

    def test_gg_and_G_in_the_session_select_scenes(self):
        song = self.h.song
        self.show("Session")
        song.view.selected_track = song.tracks[2]
        r = self.nc("JUMP_TO_LAST")
        self.assertEqual(r, {"success": True, "scene": 4})
        self.assertEqual(song.view.selected_scene, song.scenes[4])
        r = self.nc("JUMP_TO_FIRST")
        self.assertEqual(r, {"success": True, "scene": 0})
        self.assertEqual(song.view.selected_scene, song.scenes[0])
        self.assertEqual(song.view.selected_track, song.tracks[2], "gg in the Session must not move the track")
        self.assertEqual(self.nc("GET_VIEW"), {"success": True, "view": "session"})

    def test_view_independent_lines_in_both_views(self):
        song = self.h.song
        export_dir = os.path.join(self.dir, "My Project")
        os.mkdir(export_dir)
        als = os.path.join(export_dir, "Set 1.als")
        with gzip.open(als, "wb") as f:
            f.write(b'<?xml version="1.0"?><Ableton><LiveSet/></Ableton>')
        for view, name in (("Arranger", "arrangement"), ("Session", "session")):
            self.show(view)
            # SCROLL_TO_*: the song position, nothing else.
            song.view.selected_scene = song.scenes[1]
            self.assertEqual(self.nc("SCROLL_TO_BOTTOM"), {"success": True, "song_time": 96.0})
            self.assertEqual(song.current_song_time, 96.0)
            self.assertEqual(self.nc("SCROLL_TO_TOP"), {"success": True, "song_time": 0.0})
            self.assertEqual(song.current_song_time, 0.0)
            self.assertEqual(song.view.selected_scene, song.scenes[1], "SCROLL_TO_* must not select a scene")

            # The older config's explicit lines (live_state.lua).
            self.assertTrue(self.nc("SELECT_LAST_SCENE")["success"])
            self.assertEqual(song.view.selected_scene, song.scenes[4])
            self.assertTrue(self.nc("SELECT_FIRST_SCENE")["success"])
            self.assertEqual(song.view.selected_scene, song.scenes[0])
            self.assertTrue(self.nc("SELECT_LAST_TRACK")["success"])
            self.assertEqual(song.view.selected_track, song.tracks[3])
            self.assertTrue(self.nc("SELECT_FIRST_TRACK")["success"])
            self.assertEqual(song.view.selected_track, song.tracks[0])

            r = self.nc("GET_STATE")
            self.assert_keys("GET_STATE", r, ("view", "transport_playing", "browser_visible", "device_visible",
                                              "clip_view_visible", "detail_view", "groove_pool_visible",
                                              "info_view_visible"))
            self.assertEqual(r["view"], name)

            r = self.nc("GET_PROJECT_PATH")
            self.assert_keys("GET_PROJECT_PATH", r, ("project_path",))

            for line, word in (("STOP_OBSERVERS", "stopped"), ("START_OBSERVERS", "started"),
                               ("REFRESH_OBSERVERS", "refreshed")):
                r = self.nc(line)
                self.assert_keys(line, r, ("success", "message"))
                self.assertTrue(r["success"], r)
                self.assertIn(word, r["message"].lower())

            # websocket_manager.lua waits 2 s for EXPORT_XML.
            r = self.nc("EXPORT_XML:" + als, wait=2)
            self.assertEqual(r, {"success": True, "xml_path": os.path.join(export_dir, ".vimabl", "Set 1.xml"),
                                 "project_path": als})
            r = self.nc("EXPORT_XML", wait=2)
            self.assertFalse(r["success"])
            self.assertIn("requires", r["error"])

    def test_get_state_visibility_follows_the_views(self):
        view = self.h.fake.application.view
        view.show_view("Detail/Clip")
        r = self.nc("GET_STATE")
        self.assertEqual((r["clip_view_visible"], r["detail_view"]), (True, "clip"))
        self.assertTrue(r["device_visible"], "the Detail view is shown, so VimAbl reported device_visible")
        view.show_view("Detail/DeviceChain")
        view.hide_view("Browser")
        view.show_view("GroovePool")
        view.show_view("Help")
        r = self.nc("GET_STATE")
        self.assertEqual((r["clip_view_visible"], r["detail_view"], r["device_visible"]), (False, "device", True))
        self.assertEqual((r["browser_visible"], r["groove_pool_visible"], r["info_view_visible"]), (False, True, True))
        view.hide_view("Detail")
        r = self.nc("GET_STATE")
        # VimAbl's rule: Detail or Detail/DeviceChain visible.
        self.assertEqual(r["device_visible"], view.is_view_visible("Detail/DeviceChain"))

    def test_empty_set_answers_like_vimabl(self):
        # Live always keeps one audio or MIDI track (LOM Track) and refuses
        # to delete it; VimAbl's reply for a Set without tracks is kept all
        # the same, so the fake empties the list behind Live's back.
        self.h.song._set_tracks(())
        self.show("Arranger")
        self.assertEqual(self.nc("JUMP_TO_FIRST"), {"success": False, "error": "No tracks"})
        self.assertEqual(self.nc("JUMP_TO_LAST"), {"success": False, "error": "No tracks"})
        self.show("Session")
        r = self.nc("JUMP_TO_FIRST")
        self.assertTrue(r["success"], "scenes remain, so the Session jump still works: %r" % r)


@unittest.skipUnless(fake_available(), "fake Live not available")
class HammerspoonDocFragmentTest(unittest.TestCase):
    """docs/hammerspoon.md's fragment: valid Lua, and it sends only lines the
    contract above covers."""

    def fragment(self):
        with open(DOC, encoding="utf-8") as f:
            text = f.read()
        blocks = re.findall(r"```lua\n(.*?)```", text, re.S)
        self.assertEqual(len(blocks), 1, "docs/hammerspoon.md should hold one lua block")
        return blocks[0]

    def test_fragment_sends_only_covered_lines(self):
        sent = set(re.findall(r'(?:run|send)\("([A-Z_]+)"\)', self.fragment()))
        self.assertEqual(sent, {"JUMP_TO_FIRST", "JUMP_TO_LAST", "GET_VIEW"})

    def test_fragment_is_valid_lua(self):
        luac = shutil.which("luac5.4") or shutil.which("luac")
        if luac is None:
            self.skipTest("luac5.4 not installed (make deps installs lua5.4)")
        path = os.path.join(tempfile.mkdtemp(prefix="vimabl-lua-"), "init.lua")
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.fragment())
            out = subprocess.run([luac, "-p", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.assertEqual(out.returncode, 0, out.stdout.decode("utf-8", "replace"))
        finally:
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
