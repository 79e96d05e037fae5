"""/live/heartbeat's positional fields as docs/protocol.md lists them
(issue 13): the bridge reads them by position (bridge/engine.go scriptStats),
so the script, the document and the bridge must agree field for field."""

import os
import re
import unittest

from live_support import ScriptHarness, fake_available
from support import SCRIPT_DIR

PROTOCOL = os.path.join(os.path.dirname(SCRIPT_DIR), "docs", "protocol.md")
PY_TYPES = {"s": str, "d": float, "i": int, "T/F": bool}


def documented_heartbeat():
    """[(name, type)] of the /live/heartbeat row of protocol.md's catalog."""
    with open(PROTOCOL, encoding="utf-8") as f:
        for line in f:
            if line.startswith("| `/live/heartbeat` |"):
                args = line.split("|")[2].strip().strip("`")
                return [tuple(a.lstrip("⁺").split(":", 1)) for a in args.split()]
    raise AssertionError("docs/protocol.md has no /live/heartbeat row")


@unittest.skipUnless(fake_available(), "fake Live not available")
class HeartbeatDocTest(unittest.TestCase):
    def test_the_parser_reads_the_row(self):
        fields = documented_heartbeat()
        self.assertEqual(fields[0], ("session_id", "s"))
        self.assertTrue(all(t in PY_TYPES for _, t in fields), fields)

    def test_script_sends_the_documented_fields(self):
        h = ScriptHarness()
        try:
            h.load()
            module = __import__(type(h.instance).__module__, fromlist=["HEARTBEAT_FIELDS"])
            self.assertEqual(list(module.HEARTBEAT_FIELDS), documented_heartbeat(),
                             "LiveState.HEARTBEAT_FIELDS and docs/protocol.md's heartbeat row differ")
            self.assertEqual(set(h.instance.heartbeat_values()), set(n for n, _ in module.HEARTBEAT_FIELDS))
            args = h.wait_event("/live/heartbeat")[3]
            fields = documented_heartbeat()
            self.assertEqual(len(args), len(fields))
            for (name, typ), value in zip(fields, args):
                # bool is an int in Python: compare the exact type.
                self.assertIs(type(value), PY_TYPES[typ], "%s is %r" % (name, value))
            self.assertEqual(args[0], h.instance.session_id)
        finally:
            h.close()


if __name__ == "__main__":
    unittest.main()
