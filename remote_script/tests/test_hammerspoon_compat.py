"""Issue 11: what Hammerspoon configs written for VimAbl's original script rely
on, checked on the real Remote Script in the fake Live with real sockets.

- Log levels are DEBUG, INFO, WARN, ERROR, CRITICAL (WARNING is an alias): a
  WARN line reaches Log.txt and the bridge (/live/log), SET_LOG_LEVEL takes
  either name, and a level nobody knows is shown, never silently dropped.
- /live/cursor/track carries (index, color, name) of the selected track.
"""

import re
import unittest

from live_support import ScriptHarness, fake_available

DEFAULT_LEVELS = ["INFO", "WARN", "ERROR", "CRITICAL"]


def small_set(fake):
    """Two regular tracks, one return (plus the master), two scenes."""
    import sets

    sets.build_set(fake, tracks=2, scenes=2, devices=0, params=0, returns=1, clips=False)


class CompatTest(unittest.TestCase):
    def setUp(self):
        self.h = ScriptHarness(build_set=small_set)
        self.h.load()
        self.h.wait_event("/live/hello")
        self.h.wait_event("/live/batch/end")
        # The loaded script's own logging module (the harness imports the
        # installed copy under its own package name).
        pkg = type(self.h.instance).__module__.rsplit(".", 1)[0]
        self.lc = __import__(pkg + ".logging_config", fromlist=["log"])
        self.addCleanup(self.lc.set_enabled_levels, DEFAULT_LEVELS)

    def tearDown(self):
        self.h.close()
        self.assertEqual(self.h.fake.violations, 0, "the script touched Live off the main thread")

    def wait_log_txt(self, pattern):
        """Tick the fake until Log.txt has a line matching ``pattern``."""
        rx = re.compile(pattern, re.M)
        found = []

        def check():
            with open(self.h.log_path, encoding="utf-8") as f:
                m = rx.search(f.read())
            if m:
                found.append(m.group(0))
            return bool(m)

        self.h.fake.run_until(check, timeout=3.0)
        if not found:
            self.fail("no Log.txt line matches %r; its end:\n%s" % (pattern, self.h.log_tail()))
        return found[0]

    # --- log levels (issue 11 item 1)

    def test_warn_line_reaches_log_txt_and_the_bridge_as_warn(self):
        # issue 11 item 1: log(level="WARN") used to return False and vanish.
        h, lc = self.h, self.lc
        m = h.mark()
        self.assertTrue(lc.log("Compat", "seed spelling", level="WARN"))
        self.assertTrue(lc.log("Compat", "python spelling", level="WARNING"))
        for text in ("seed spelling", "python spelling"):
            ev = h.wait_event("/live/log", lambda a, t=text: a[1:] == ["Compat", t], since=m)
            self.assertEqual(ev[3][0], "WARN", "the /live/log level of %r" % text)
            # Live's line shape, with the payload the bridge's parser reads
            # level and component from (docs/protocol.md, "Log lines").
            self.wait_log_txt(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}: info: RemoteScriptMessage: \(LiveState\) "
                              r"WARN \[Compat\] %s$" % text)

    def test_set_log_level_takes_warn_and_warning(self):
        # issue 11 item 1: SET_LOG_LEVEL:WARN was refused.
        h, lc = self.h, self.lc
        r = h.command("SET_LOG_LEVEL:WARN,ERROR")
        self.assertTrue(r["success"], r)
        self.assertEqual(r["enabled_levels"], ["WARN", "ERROR"])
        self.assertFalse(lc.log("Compat", "info is off now", "INFO"))
        self.assertTrue(lc.log("Compat", "warnings pass", "WARNING"))
        r = h.command("SET_LOG_LEVEL:warning")
        self.assertEqual(r["enabled_levels"], ["WARN"], "WARNING is shown under its canonical name")
        r = h.command("SET_LOG_LEVEL:WARNS")
        self.assertFalse(r["success"], r)
        self.assertIn("WARNS", r["error"])
        self.assertEqual(lc.enabled_levels(), ["WARN"], "a refused request changes nothing")

    def test_unknown_level_shows_in_log_txt_and_the_bridge(self):
        # issue 11 item 1: a caller's mistake is visible, not a silent drop
        # and not an exception inside Live.
        h, lc = self.h, self.lc
        m = h.mark()
        self.assertTrue(lc.log("Compat", "typo in the level", level="WARNNG"))
        ev = h.wait_event("/live/log", lambda a: a[1] == "Compat", since=m)
        self.assertEqual(ev[3][0], "ERROR")
        self.assertIn("unknown log level 'WARNNG'", ev[3][2])
        self.wait_log_txt(r"RemoteScriptMessage: \(LiveState\) ERROR \[Compat\] unknown log level 'WARNNG' "
                          r".*: typo in the level$")
        self.assertEqual(h.fake.errors, 0, "nothing escaped into Live")

    # --- /live/cursor/track (issue 11 item 2)

    def test_cursor_track_sends_index_color_and_name(self):
        # issue 11 item 2: the seed sent (index, color, name); we sent (index).
        h, song = self.h, self.h.song
        song.tracks[1].color = 0x12AB34
        song.return_tracks[0].name = "Verb"
        state = h.command("SNAPSHOT")["state"]
        sent = {}
        for track, index in [(song.tracks[1], 1), (song.return_tracks[0], 2), (song.master_track, 3),
                             (song.tracks[0], 0)]:
            m = h.mark()
            song.view.selected_track = track
            args = h.wait_event("/live/cursor/track", since=m)[3]
            self.assertEqual(args, [index, int(track.color), str(track.name)])
            self.assertEqual(args[1:], [state["tracks"][index]["color"], state["tracks"][index]["name"]],
                             "the cursor agrees with SNAPSHOT's track")
            self.assertIs(type(args[1]), int, "color travels as an OSC int")
            sent[index] = args
        self.assertEqual(sent[1][1], 0x12AB34)
        self.assertEqual(sent[2][2], "Verb")
        self.assertEqual(sent[3][2], "Master")

    def test_cursor_track_after_an_insert_before_it_and_with_no_selection(self):
        # issue 11 item 2: the forced re-send after a structural change keeps
        # the three arguments; with no track selected only the index (-1) goes.
        h, song = self.h, self.h.song
        song.view.selected_track = song.tracks[1]
        selected = song.tracks[1]
        h.wait_event("/live/cursor/track", lambda a: a[0] == 1)
        m = h.mark()
        song.create_midi_track(0)
        args = h.wait_event("/live/cursor/track", since=m)[3]
        self.assertEqual(args, [2, int(selected.color), str(selected.name)])
        m = h.mark()
        song.view.selected_track = None
        self.assertEqual(h.wait_event("/live/cursor/track", since=m)[3], [-1])


if not fake_available():
    CompatTest = unittest.skip("the fake Live (remote_script/fakelive/runtime.py) has not landed")(CompatTest)

if __name__ == "__main__":
    unittest.main()
