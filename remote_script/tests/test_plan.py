"""plan_list_edit and sync_list: the one structural diff behind track, scene,
device and clip-slot events."""

import random
import unittest

from support import script_module

listsync = script_module("listsync")


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
        ops = listsync.plan_list_edit(old, new)
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


    def test_sync_list_calls_hooks_with_indices_valid_at_each_step(self):
        # The hooks' events, applied in order to the old list, give the new one.
        class Node(object):
            def __init__(self, key):
                self.key = key

        class Hooks(listsync.ListHooks):
            def __init__(self):
                self.replayed = None

            def make(self, item, final_index):
                assert new[final_index] == item
                return Node(item)

            def removed(self, index, obs):
                assert self.replayed.pop(index) == obs.key

            def moved(self, src, dst, obs):
                self.replayed.insert(dst, self.replayed.pop(src))

            def inserted(self, index, obs):
                self.replayed.insert(index, obs.key)

        rnd = random.Random(13)
        for _ in range(200):
            old = rnd.sample(range(50), rnd.randint(0, 10))
            new = [k for k in old if rnd.random() > 0.3] + [100 + k for k in range(rnd.randint(0, 3))]
            rnd.shuffle(new)
            nodes = [Node(k) for k in old]
            hooks = Hooks()
            hooks.replayed = list(old)
            changed = listsync.sync_list(nodes, new, lambda x: x, hooks)
            self.assertEqual(changed, old != new)
            self.assertEqual([n.key for n in nodes], new)
            self.assertEqual(hooks.replayed, new)


if __name__ == "__main__":
    unittest.main()
