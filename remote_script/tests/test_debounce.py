"""Leading edge at once, at most one event per tick, the final value always."""

import unittest

from support import script_module

debounce = script_module("debounce")


class Control(object):
    """A control with a value; ``send`` reports its value *now*."""

    def __init__(self, sent, name="k"):
        self.value = None
        self.sent = sent
        self.name = name

    def set(self, d, value):
        self.value = value
        d.touch(self.name, self.send)

    def send(self):
        self.sent.append((self.name, self.value))


class DebounceTest(unittest.TestCase):
    def setUp(self):
        self.d = debounce.Debouncer()
        self.sent = []
        self.k = Control(self.sent)

    def values(self):
        return [v for _, v in self.sent]

    def test_leading_edge_is_immediate(self):
        self.k.set(self.d, 1.0)
        self.assertEqual(self.values(), [1.0])

    def test_trailing_edge_reads_the_final_value_on_the_tick(self):
        for v in (1.0, 2.0, 3.0, 4.0):
            self.k.set(self.d, v)
        self.assertEqual(self.values(), [1.0])
        self.assertEqual(self.d.tick(), 1)
        self.assertEqual(self.values(), [1.0, 4.0])
        # The window stays open one tick: a change there waits for the next tick.
        self.k.set(self.d, 5.0)
        self.assertEqual(self.values(), [1.0, 4.0])
        self.assertEqual(self.d.tick(), 1)
        self.assertEqual(self.values(), [1.0, 4.0, 5.0])
        # A quiet tick closes it: the next change is a leading edge again.
        self.assertEqual(self.d.tick(), 0)
        self.assertEqual(len(self.d), 0)
        self.k.set(self.d, 6.0)
        self.assertEqual(self.values(), [1.0, 4.0, 5.0, 6.0])

    def test_single_change_sends_once(self):
        self.k.set(self.d, 1.0)
        self.d.tick()
        self.d.tick()
        self.assertEqual(self.values(), [1.0])

    def test_at_most_one_event_per_tick_and_the_last_is_final(self):
        # issue 13: an automation storm changes a control many times a tick.
        per_tick = []
        for tick in range(20):
            mark = len(self.sent)
            self.d.tick()
            for i in range(7):
                self.k.set(self.d, tick * 10 + i)
            per_tick.append(len(self.sent) - mark)
        self.d.tick()
        self.assertLessEqual(max(per_tick), 1, per_tick)
        self.assertEqual(self.values()[-1], 196)

    def test_keys_are_independent(self):
        a, b = Control(self.sent, "a"), Control(self.sent, "b")
        a.set(self.d, 1)
        b.set(self.d, 2)
        a.set(self.d, 3)
        self.assertEqual(self.sent, [("a", 1), ("b", 2)])
        self.assertEqual(self.d.flush_all(), 1)
        self.assertEqual(self.sent, [("a", 1), ("b", 2), ("a", 3)])
        self.assertEqual(len(self.d), 0, "flush_all closes every window")

    def test_forget(self):
        x = Control(self.sent, ("x", 1))
        x.set(self.d, 1)
        x.set(self.d, 2)
        self.d.forget(lambda k: k[0] == "x")
        self.assertEqual(self.d.tick(), 0)
        self.assertEqual(self.values(), [1])

    def test_counters(self):
        for v in range(5):
            self.k.set(self.d, v)
        self.d.tick()
        self.assertEqual((self.d.leading, self.d.trailing, self.d.suppressed), (1, 1, 3))


if __name__ == "__main__":
    unittest.main()
