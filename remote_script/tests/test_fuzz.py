"""Randomised ("fuzz") tests of what reads untrusted input on port 9001: the
line reader and the command parser. Deterministic seeds, so a failure
reproduces; `make fuzz` runs more rounds (VIMABL_FUZZ_ROUNDS)."""

import json
import os
import random
import threading
import unittest

from live_support import ScriptHarness
from support import script_module, tcp_command

server = script_module("server")
ROUNDS = int(os.environ.get("VIMABL_FUZZ_ROUNDS", "1"))


def random_payload(rnd):
    kind = rnd.random()
    if kind < 0.3:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 200)))
    words = ["GET_VIEW", "SNAPSHOT", "SET_LOG_LEVEL", "EXPORT_XML", "PING", "", ":", "::", "\t", "é", "\u202e",
             "../../etc/passwd.als", "/tmp/x.als", "INFO,DEBUG", "%s", "\\x00", "9" * 30]
    text = "".join(rnd.choice(words) + rnd.choice(["", ":", ",", " "]) for _ in range(rnd.randrange(1, 8)))
    data = text.encode("utf-8")
    if rnd.random() < 0.5:
        data += b"\n"
    if rnd.random() < 0.1:
        data += b"\r\n" + data
    return data


class ParserFuzzTest(unittest.TestCase):
    def test_parse_line_never_raises(self):
        rnd = random.Random(1)
        for _ in range(20000 * ROUNDS):
            data = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 64)))
            line, problem = server.parse_line(bytearray(data), True)
            self.assertTrue((line is None) != (problem is None))
            if line is not None:
                self.assertEqual(line, line.strip())
                self.assertFalse(any(ord(c) < 32 and c != "\t" for c in line))

    def test_every_random_line_gets_one_json_reply_from_the_real_script(self):
        h = ScriptHarness()
        try:
            h.load()
            port = h.command_port()
            rnd = random.Random(2)
            payloads = [random_payload(rnd) for _ in range(150 * ROUNDS)]
            replies = []
            done = threading.Event()

            def client():
                try:
                    for p in payloads:
                        replies.append(tcp_command(port, p, timeout=10))
                finally:
                    done.set()

            threading.Thread(target=client).start()
            h.fake.run_until(done.is_set, timeout=120)  # Live keeps ticking meanwhile
            self.assertEqual(len(replies), len(payloads))
            for p, raw in zip(payloads, replies):
                self.assertEqual(raw.count(b"\n"), 1, "one reply per connection for %r" % p)
                reply = json.loads(raw.decode("utf-8"))
                self.assertIn("success", reply, p)
                if not reply["success"]:
                    self.assertIsInstance(reply["error"], str)
            self.assertEqual(h.fake.violations, 0)
            self.assertEqual(h.fake.errors, 0, "nothing reached Live as an exception")
        finally:
            h.close()


if __name__ == "__main__":
    unittest.main()
