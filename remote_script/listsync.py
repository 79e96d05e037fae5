"""One list-sync algorithm, for tracks, scenes, devices and clip slots.

Live announces that a list changed (``tracks``, ``scenes``, ``devices``,
``clip_slots``), not what changed. ``sync_list`` compares the observers the
script keeps with the list Live has now, by key (``_live_ptr``), and brings
the observers in line with few operations: removals, moves and insertions,
each reported to a hook with indices that are valid at that step, so the
hook's event can be applied by receivers in order. Items whose relative order
survives never move, so dragging one track is one move, not a cascade.
"""


def _lis(seq):
    """Indices of one longest increasing subsequence of seq."""
    tails = []  # tails[k] = index in seq of the smallest tail of a run of length k+1
    prev = [-1] * len(seq)
    for i, v in enumerate(seq):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if seq[tails[mid]] < v:
                lo = mid + 1
            else:
                hi = mid
        if lo > 0:
            prev[i] = tails[lo - 1]
        if lo == len(tails):
            tails.append(i)
        else:
            tails[lo] = i
    out = []
    i = tails[-1] if tails else -1
    while i >= 0:
        out.append(i)
        i = prev[i]
    return out[::-1]


def plan_list_edit(old, new):
    """Operations turning list ``old`` into ``new`` (lists of unique keys).

    Returns ``('remove', j, key)``, then ``('move', j, t, key)`` and
    ``('insert', t, key)``; each index is valid when the operations are
    applied in order (a move removes at j and then inserts at t).
    """
    new_set = set(new)
    ops = []
    cur = list(old)
    for j in range(len(cur) - 1, -1, -1):
        if cur[j] not in new_set:
            ops.append(("remove", j, cur[j]))
            del cur[j]
    pos = dict((k, i) for i, k in enumerate(new))
    stable = set(cur[i] for i in _lis([pos[k] for k in cur]))
    present = set(cur)
    for i, k in enumerate(new):
        if k in stable:
            continue
        if k in present:
            j = cur.index(k)
            del cur[j]
            t = cur.index(new[i - 1]) + 1 if i > 0 else 0
            cur.insert(t, k)
            ops.append(("move", j, t, k))
        else:
            t = cur.index(new[i - 1]) + 1 if i > 0 else 0
            cur.insert(t, k)
            ops.append(("insert", t, k))
    return ops


class ListHooks(object):
    """What a list's owner does at each step of ``sync_list``. The observer
    list is already changed when a hook runs."""

    def make(self, item, final_index):
        """A new (registered) observer for Live's ``item``, which ends at
        ``final_index`` of Live's list."""
        raise NotImplementedError

    def removed(self, index, obs):
        pass

    def moved(self, src, dst, obs):
        pass

    def inserted(self, index, obs):
        pass


def sync_list(nodes, items, key, hooks, around=None):
    """Bring ``nodes`` (observers with a ``key``) in line with Live's
    ``items``; ``around()``, when given, is a context the operations run in
    (a /live/batch), entered only when there is something to do. Returns
    whether anything changed."""
    new_keys = [key(x) for x in items]
    old_keys = [n.key for n in nodes]
    if new_keys == old_keys:
        return False
    if around is None:
        _apply(nodes, items, new_keys, old_keys, hooks)
    else:
        with around():
            _apply(nodes, items, new_keys, old_keys, hooks)
    return True


def _apply(nodes, items, new_keys, old_keys, hooks):
    by_key = dict(zip(new_keys, items))
    final = dict((k, i) for i, k in enumerate(new_keys))
    for op in plan_list_edit(old_keys, new_keys):
        if op[0] == "remove":
            obs = nodes.pop(op[1])
            hooks.removed(op[1], obs)
        elif op[0] == "move":
            obs = nodes.pop(op[1])
            nodes.insert(op[2], obs)
            hooks.moved(op[1], op[2], obs)
        else:
            obs = hooks.make(by_key[op[2]], final[op[2]])
            nodes.insert(op[1], obs)
            hooks.inserted(op[1], obs)
