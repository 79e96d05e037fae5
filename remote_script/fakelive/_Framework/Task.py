"""A minimal _Framework TaskGroup, with the real one's timing.

Each update every task is called with the time delta; returning 0/None
removes it, 1 keeps it; a task that raises is killed and logged. As in
_Framework's TaskGroup (it iterates the very list it appends to), a task
added while the group is updating runs in that same update.
"""

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
        self._tasks = []

    def __len__(self):
        return len(self._tasks)

    def update(self, delta):
        tasks = self._tasks
        keep = []
        i = 0
        while i < len(tasks):  # grows while tasks run: they run now too
            task = tasks[i]
            i += 1
            try:
                if task(delta):
                    keep.append(task)
            except Exception:
                if self._on_error is not None:
                    self._on_error("task %r" % (task,))
        if self._tasks is tasks:
            self._tasks = keep


class Message(object):
    """What schedule_message adds: _Framework's Task.sequence(Task.delay(n),
    message) -- n updates of delay, then the message on the update after
    (a sequence moves to its next task only on its next update) -- or, for
    n == 0, the message alone on the next update."""

    def __init__(self, delay, callback, parameter):
        self.delay = delay
        self.callback = callback
        self.parameter = parameter

    def __call__(self, delta):
        if self.delay > 0:
            self.delay -= 1
            return RUNNING
        if self.parameter:
            self.callback(self.parameter)
        else:
            self.callback()
        return KILL
