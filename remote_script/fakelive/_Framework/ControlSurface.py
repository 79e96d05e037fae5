"""A fake of _Framework.ControlSurface.ControlSurface, as Live 11/12 ship it.

Like the real one it registers its own listeners on the song (visible_tracks,
scenes) and its view (selected_track, selected_scene), so a script that
registers the same callbacks twice would hit "Observer already connected"
exactly as in Live. Like the real one (decompiled _Framework/ControlSurface.py):

- ``schedule_message(n, cb, parameter)`` is a task of the task group: called
  outside the timer it counts one tick less (``delay_in_ticks -= 1`` when
  not ``_is_sending_scheduled_messages``), so ``n`` ticks from now either
  way; ``disconnect`` clears the task group and with it what was scheduled;
- ``disconnect`` may run once: the real one sets ``self.controls = None``
  and iterates it on a second call, raising TypeError.
"""

import contextlib

import Live

from .Task import Message, TaskGroup


class ControlSurface(object):
    def __init__(self, c_instance):
        self._c_instance = c_instance
        self._runtime = c_instance.runtime
        self._task_group = TaskGroup(on_error=self._runtime.report_exception_from)
        self._is_sending_scheduled_messages = False
        self.controls = []
        song = self.song()
        song.add_visible_tracks_listener(self._on_track_list_changed)
        song.add_scenes_listener(self._on_scene_list_changed)
        song.view.add_selected_track_listener(self._on_selected_track_changed)
        song.view.add_selected_scene_listener(self._on_selected_scene_changed)

    # Live's own bookkeeping hooks; the real ones refresh components.
    def _on_track_list_changed(self):
        pass

    def _on_scene_list_changed(self):
        pass

    def _on_selected_track_changed(self):
        pass

    def _on_selected_scene_changed(self):
        pass

    def song(self):
        return self._c_instance.song()

    def application(self):
        return Live.Application.get_application()

    def log_message(self, *message):
        Live._check_thread("ControlSurface.log_message")
        self._runtime.write_script_log(type(self).__name__, " ".join(str(m) for m in message))

    def show_message(self, message):
        Live._check_thread("ControlSurface.show_message")
        self._runtime.status_bar = str(message)

    def schedule_message(self, delay_in_ticks, callback, parameter=None):
        Live._check_thread("ControlSurface.schedule_message")
        if not callable(callback):
            raise TypeError("schedule_message needs a callable")
        delay = int(delay_in_ticks)
        if not self._is_sending_scheduled_messages:
            delay -= 1
        self._task_group.add(Message(delay, callback, parameter))

    @contextlib.contextmanager
    def component_guard(self):
        yield

    def update_display(self):
        self._is_sending_scheduled_messages = True
        try:
            self._task_group.update(0.1)
        finally:
            self._is_sending_scheduled_messages = False

    def disconnect(self):
        for control in self.controls:  # None after the first call: TypeError, as in Live
            pass
        self.controls = None
        song = self.song()
        song.remove_visible_tracks_listener(self._on_track_list_changed)
        song.remove_scenes_listener(self._on_scene_list_changed)
        song.view.remove_selected_track_listener(self._on_selected_track_changed)
        song.view.remove_selected_scene_listener(self._on_selected_scene_changed)
        self._task_group.clear()
