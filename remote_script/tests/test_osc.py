"""OSC encoding, read back by an independent decoder."""

import unittest

from support import decode_bundle, decode_osc, decode_event, script_module

osc = script_module("osc")


class OscTest(unittest.TestCase):
    def test_types(self):
        data = osc.encode_message("/x", [1, -2, 0.1, "näme", True, False, None, b"\x01\x02\x03"])
        self.assertEqual(len(data) % 4, 0)
        addr, args = decode_osc(data)
        self.assertEqual(addr, "/x")
        self.assertEqual(args, [1, -2, 0.1, "näme", True, False, None, b"\x01\x02\x03"])

    def test_floats_are_float64(self):
        # A wall-clock timestamp in float32 is only good to ~2 minutes.
        ts = 1795000000.123456
        seq, got_ts, path, args = decode_event(osc.encode_event(7, ts, "/live/track/volume", (3, 0.85)))
        self.assertEqual((seq, path), (7, "/live/track/volume"))
        self.assertEqual(got_ts, ts)
        self.assertEqual(args, [3, 0.85])

    def test_padding_edge_lengths(self):
        for n in range(0, 9):
            s = "a" * n
            addr, args = decode_osc(osc.encode_message("/abc", [s, b"b" * n]))
            self.assertEqual(args, [s, b"b" * n])

    def test_refuses_what_osc_cannot_carry(self):
        with self.assertRaises(ValueError):
            osc.encode_message("/x", [2 ** 31])
        with self.assertRaises(ValueError):
            osc.encode_message("/x", [object()])

    # Issue 16: several events in one datagram, as OSC 1.0 bundles them:
    # "#bundle", the time tag "immediately", then each message with its size.
    def test_bundle(self):
        msgs = [osc.encode_event(i, 1795000000.5, "/live/x", (i, "n" * i)) for i in range(1, 6)]
        data = osc.encode_bundle(msgs)
        self.assertEqual(data[:16], b"#bundle\0" + b"\0" * 7 + b"\x01")
        self.assertEqual(len(data), 16 + sum(osc.bundle_element_size(m) for m in msgs))
        self.assertEqual(decode_bundle(data), msgs)
        self.assertEqual([decode_event(m)[3] for m in decode_bundle(data)], [[i, "n" * i] for i in range(1, 6)])

    def test_nul_in_string_cannot_truncate_the_message(self):
        addr, args = decode_osc(osc.encode_message("/x", ["a\0b", 5]))
        self.assertEqual(args, ["ab", 5])


if __name__ == "__main__":
    unittest.main()
