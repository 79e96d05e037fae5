"""A minimal TaskGroup: each tick every task is called with the time delta;
returning 0/None removes it, 1 keeps it; a task that raises is killed and logged."""

KILL = 0
RUNNING = 1


class TaskGroup(object):
    def __init__(self, on_error=None):
        self._tasks = []
        self._on_error = on_error

    def add(self, task):
        self._tasks.append(task)
        return task

    def clear(self):
        del self._tasks[:]

    def __len__(self):
        return len(self._tasks)

    def update(self, delta):
        running, self._tasks = self._tasks, []
        keep = []
        for task in running:
            try:
                if task(delta):
                    keep.append(task)
            except Exception:
                if self._on_error is not None:
                    self._on_error("task %r" % (task,))
        # Tasks added while running wait for the next tick.
        self._tasks = keep + self._tasks
