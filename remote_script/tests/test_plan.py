"""plan_list_edit: the structural diff behind track, scene and device events."""

import random
import unittest

from support import script_module

observers = script_module("observers")


def apply(old, ops):
    cur = list(old)
    for op in ops:
        if op[0] == "remove":
            assert cur[op[1]] == op[2]
            del cur[op[1]]
        elif op[0] == "move":
            assert cur[op[1]] == op[3]
            k = cur.pop(op[1])
            cur.insert(op[2], k)
        else:
            cur.insert(op[1], op[2])
    return cur


class PlanTest(unittest.TestCase):
    def check(self, old, new):
        ops = observers.plan_list_edit(old, new)
        self.assertEqual(apply(old, ops), new, "ops %r" % (ops,))
        return ops

    def test_simple_cases(self):
        self.assertEqual(self.check(list("ABC"), list("ABC")), [])
        self.assertEqual(self.check(list("ABC"), list("ABXC")), [("insert", 2, "X")])
        self.assertEqual(self.check(list("ABC"), list("AC")), [("remove", 1, "B")])

    def test_one_drag_is_one_move(self):
        self.assertEqual(len(self.check(list("ABCD"), list("BCDA"))), 1)
        self.assertEqual(len(self.check(list("ABCD"), list("DABC"))), 1)
        self.assertEqual(len(self.check(list("ABCDEF"), list("ABECDF"))), 1)

    def test_random_edits(self):
        rnd = random.Random(7)
        for _ in range(500):
            old = rnd.sample(range(100), rnd.randint(0, 12))
            new = [k for k in old if rnd.random() > 0.2]
            rnd.shuffle(new) if rnd.random() < 0.3 else None
            for _ in range(rnd.randint(0, 3)):
                new.insert(rnd.randint(0, len(new)), 1000 + rnd.randint(0, 10 ** 6))
            new = list(dict.fromkeys(new))
            self.check(old, new)


if __name__ == "__main__":
    unittest.main()
