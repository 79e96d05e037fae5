"""A fake of _Framework.ControlSurface.ControlSurface, as Live 11/12 ship it.

Like the real one it registers its own listeners on the song (visible_tracks,
scenes) and its view (selected_track, selected_scene), so a script that
registers the same callbacks twice would hit "Observer already connected"
exactly as in Live.
"""

import contextlib

import Live

from .Task import TaskGroup


class ControlSurface(object):
    def __init__(self, c_instance):
        self._c_instance = c_instance
        self._runtime = c_instance.runtime
        self._task_group = TaskGroup(on_error=self._runtime.report_exception_from)
        self._disconnected = False
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
        return self._runtime.application

    def log_message(self, *message):
        Live._check_thread("ControlSurface.log_message")
        self._runtime.write_script_log(type(self).__name__, " ".join(str(m) for m in message))

    def show_message(self, message):
        Live._check_thread("ControlSurface.show_message")
        self._runtime.status_bar = str(message)

    def schedule_message(self, delay_in_ticks, callback, parameter=None):
        Live._check_thread("ControlSurface.schedule_message")
        self._runtime.schedule(max(1, int(delay_in_ticks)), callback, parameter)

    @contextlib.contextmanager
    def component_guard(self):
        yield

    def update_display(self):
        self._task_group.update(0.1)

    def disconnect(self):
        if self._disconnected:
            return
        self._disconnected = True
        song = self.song()
        song.remove_visible_tracks_listener(self._on_track_list_changed)
        song.remove_scenes_listener(self._on_scene_list_changed)
        song.view.remove_selected_track_listener(self._on_selected_track_changed)
        song.view.remove_selected_scene_listener(self._on_selected_scene_changed)
        self._task_group.clear()
