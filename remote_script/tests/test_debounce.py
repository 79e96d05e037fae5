"""Leading edge at once, the final value always sent at the window's end."""

import unittest

from support import script_module

debounce = script_module("debounce")


class Clock(object):
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


class DebounceTest(unittest.TestCase):
    def setUp(self):
        self.clock = Clock()
        self.d = debounce.Debouncer(interval=0.05, clock=self.clock)
        self.sent = []

    def send(self, v):
        self.sent.append(v)

    def test_leading_edge_is_immediate(self):
        self.d.submit("k", 1.0, self.send)
        self.assertEqual(self.sent, [1.0])

    def test_trailing_edge_carries_the_final_value(self):
        for v in (1.0, 2.0, 3.0, 4.0):
            self.d.submit("k", v, self.send)
        self.assertEqual(self.sent, [1.0])
        self.assertEqual(self.d.flush_due(), 0, "window not over yet")
        self.clock.t += 0.06
        self.assertEqual(self.d.flush_due(), 1)
        self.assertEqual(self.sent, [1.0, 4.0])
        # Quiet for a window: the key is forgotten, the next change is a leading edge.
        self.clock.t += 0.06
        self.assertEqual(self.d.flush_due(), 0)
        self.assertEqual(len(self.d), 0)
        self.d.submit("k", 5.0, self.send)
        self.assertEqual(self.sent, [1.0, 4.0, 5.0])

    def test_single_change_sends_once(self):
        self.d.submit("k", 1.0, self.send)
        self.clock.t += 1
        self.d.flush_due()
        self.assertEqual(self.sent, [1.0])

    def test_sustained_drag_is_rate_limited_and_ends_exact(self):
        values = [i / 1000.0 for i in range(1000)]
        for i, v in enumerate(values):
            self.d.submit("k", v, self.send)
            self.clock.t += 0.001
            if i % 100 == 99:  # Live's 100 ms tick
                self.d.flush_due()
        self.clock.t += 0.1
        self.d.flush_due()
        self.assertLessEqual(len(self.sent), 12)
        self.assertEqual(self.sent[-1], values[-1])

    def test_keys_are_independent(self):
        self.d.submit("a", 1, self.send)
        self.d.submit("b", 2, self.send)
        self.d.submit("a", 3, self.send)
        self.assertEqual(self.sent, [1, 2])
        self.assertEqual(self.d.flush_all(), 1)
        self.assertEqual(self.sent, [1, 2, 3])

    def test_forget(self):
        self.d.submit(("x", 1), 1, self.send)
        self.d.submit(("x", 1), 2, self.send)
        self.d.forget(lambda k: k[0] == "x")
        self.clock.t += 1
        self.assertEqual(self.d.flush_due(), 0)
        self.assertEqual(self.sent, [1])


if __name__ == "__main__":
    unittest.main()
