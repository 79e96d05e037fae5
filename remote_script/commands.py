"""The commands of port 9001 (docs/protocol.md, "TCP commands").

``CommandProcessor.handle(line)`` runs on a connection thread. Anything that
reads or changes Live is wrapped in a function and run on Live's main thread
through ``surface.run_on_main`` (which waits with a timeout); figures that are
thread-safe (log stats, version, the current view kept by the main thread)
are answered directly.
"""

import gzip
import os
import sys
import zlib

from . import logging_config
from .logging_config import log
from .observers import read_file_path, read_view, snapshot_state
from .version import VERSION

MAIN_TIMEOUT = 5.0  # seconds to wait for Live's main thread

# Commands Hammerspoon configs already send, mapped to what they do.
_FIRST_SCENE = ("SCROLL_TO_TOP", "JUMP_TO_FIRST", "SELECT_FIRST_SCENE")
_LAST_SCENE = ("SCROLL_TO_BOTTOM", "JUMP_TO_LAST", "SELECT_LAST_SCENE")


class CommandError(Exception):
    """A refusal with a sentence for the client."""


def ok(**fields):
    reply = {"success": True}
    reply.update(fields)
    return reply


class CommandProcessor(object):
    def __init__(self, surface):
        """``surface`` is the LiveState: it provides run_on_main, observers,
        session_id, sender, live_version."""
        self.surface = surface
        self._table = {
            "PING": self.ping,
            "GET_VERSION": self.get_version,
            "GET_VIEW": self.get_view,
            "GET_STATE": self.get_state,
            "GET_PROJECT_PATH": self.get_project_path,
            "EXPORT_XML": self.export_xml,
            "SELECT_FIRST_TRACK": lambda args: self.select_track(first=True),
            "SELECT_LAST_TRACK": lambda args: self.select_track(first=False),
            "START_OBSERVERS": self.start_observers,
            "STOP_OBSERVERS": self.stop_observers,
            "REFRESH_OBSERVERS": self.refresh_observers,
            "GET_OBSERVER_STATUS": self.observer_status,
            "GET_LOG_STATS": lambda args: ok(stats=logging_config.get_log_stats()),
            "RESET_LOG_STATS": self.reset_log_stats,
            "SET_LOG_LEVEL": self.set_log_level,
            "SNAPSHOT": self.snapshot,
        }
        for name in _FIRST_SCENE:
            self._table[name] = lambda args: self.select_scene(first=True)
        for name in _LAST_SCENE:
            self._table[name] = lambda args: self.select_scene(first=False)

    def names(self):
        return sorted(self._table)

    def handle(self, line):
        """One command line -> one reply dictionary. Never raises."""
        name, _, rest = line.partition(":")
        name = name.strip().upper()
        fn = self._table.get(name)
        if fn is None:
            return {"success": False, "error": "Unknown command: %s" % name[:100]}
        log("Commands", "%s" % line[:200], "DEBUG")
        try:
            return fn(rest)
        except CommandError as exc:
            return {"success": False, "error": str(exc)}

    def _main(self, fn):
        return self.surface.run_on_main(fn, MAIN_TIMEOUT)

    # --- answered without Live's main thread

    def ping(self, args):
        return ok(pong=True, version=VERSION, session_id=self.surface.session_id)

    def get_version(self, args):
        v = sys.version_info
        return ok(version=VERSION, live_version=self.surface.live_version,
                  python_version="%d.%d.%d" % (v[0], v[1], v[2]))

    def get_view(self, args):
        view = self.surface.observers.view if self.surface.observers.enabled else None
        if view is None:
            view = self._main(lambda: read_view(self.surface.application()))
        return ok(view=view)

    def reset_log_stats(self, args):
        logging_config.reset_log_stats()
        return ok(stats=logging_config.get_log_stats())

    def set_log_level(self, args):
        try:
            levels = logging_config.set_enabled_levels(args.replace(":", ",").split(","))
        except ValueError as exc:
            raise CommandError(str(exc))
        log("Commands", "log levels now %s" % ", ".join(levels), "INFO", force=True)
        return ok(enabled_levels=levels)

    def export_xml(self, args):
        return ok(xml_path=export_xml(args))

    # --- run on Live's main thread

    def get_state(self, args):
        surface = self.surface

        def read():
            song = surface.song()
            view = song.view
            tracks = []
            for i, t in enumerate(song.tracks):
                kind = "midi" if t.has_midi_input else "audio"
                tracks.append({"index": i, "name": str(t.name), "type": kind, "mute": bool(t.mute),
                               "solo": bool(t.solo), "arm": bool(t.arm) if t.can_be_armed else False})
            scenes = [{"index": i, "name": str(s.name)} for i, s in enumerate(song.scenes)]
            sel_t = view.selected_track
            sel_s = view.selected_scene
            all_tracks = list(song.tracks) + list(song.return_tracks) + [song.master_track]
            return ok(
                view=read_view(surface.application()),
                transport_playing=bool(song.is_playing),
                tempo=float(song.tempo),
                selected_track=_index_of(all_tracks, sel_t),
                selected_scene=_index_of(list(song.scenes), sel_s),
                tracks=tracks,
                scenes=scenes,
            )

        return self._main(read)

    def get_project_path(self, args):
        return ok(project_path=self._main(lambda: read_file_path(self.surface.song())))

    def select_scene(self, first):
        def run():
            song = self.surface.song()
            scenes = list(song.scenes)
            if not scenes:
                raise CommandError("the Set has no scenes")
            i = 0 if first else len(scenes) - 1
            song.view.selected_scene = scenes[i]
            return ok(scene=i)

        return self._main(run)

    def select_track(self, first):
        def run():
            song = self.surface.song()
            tracks = list(song.visible_tracks)
            if not tracks:
                raise CommandError("the Set has no tracks")
            t = tracks[0] if first else tracks[-1]
            song.view.selected_track = t
            return ok(track=_index_of(list(song.tracks), t))

        return self._main(run)

    def start_observers(self, args):
        return self._main(lambda: ok(stats=self.surface.start_observers()))

    def stop_observers(self, args):
        return self._main(lambda: ok(stats=self.surface.stop_observers()))

    def refresh_observers(self, args):
        return self._main(lambda: ok(stats=self.surface.refresh_observers()))

    def observer_status(self, args):
        return self._main(lambda: ok(stats=self.surface.observers.stats()))

    def snapshot(self, args):
        surface = self.surface

        def take():
            # Send pending trailing edges first, so the snapshot's seq covers
            # every value it contains.
            surface.observers.flush()
            state = snapshot_state(surface.song(), surface.application(), surface.observers.key)
            return ok(session_id=surface.session_id, seq=surface.sender.seq, state=state)

        return self._main(take)


def _index_of(items, obj):
    if obj is None:
        return -1
    for i, x in enumerate(items):
        if x == obj:
            return i
    return -1


def export_xml(path):
    """Decompress an existing .als into ``<its folder>/.vimabl/<name>.xml``.

    Only an existing ``.als`` file is accepted, and nothing is written
    anywhere but that ``.vimabl`` folder. Returns the XML's path.
    """
    path = path.strip()
    if not path:
        raise CommandError("EXPORT_XML needs the path of an .als file: EXPORT_XML:/path/to/Set.als")
    if not os.path.isabs(path):
        raise CommandError("EXPORT_XML needs an absolute path, got %r" % path)
    if not path.lower().endswith(".als"):
        raise CommandError("EXPORT_XML only accepts an .als file, got %r" % path)
    real = os.path.realpath(path)
    if not real.lower().endswith(".als") or not os.path.isfile(real):
        raise CommandError("no such .als file: %s" % path)
    folder = os.path.join(os.path.dirname(real), ".vimabl")
    name = os.path.splitext(os.path.basename(real))[0] + ".xml"
    target = os.path.join(folder, name)
    tmp = target + ".tmp-%d" % os.getpid()
    try:
        if not os.path.isdir(folder):
            os.mkdir(folder)
        with gzip.open(real, "rb") as src, open(tmp, "wb") as dst:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                dst.write(block)
        os.replace(tmp, target)
    except (OSError, EOFError, zlib.error) as exc:
        try:
            os.remove(tmp)
        except OSError:
            pass
        if isinstance(exc, (EOFError, zlib.error)) or "gzip" in str(exc).lower():
            raise CommandError("%s is not a valid Live Set (not gzip-compressed XML): %s" % (path, exc))
        raise CommandError("cannot write %s: %s" % (target, exc))
    log("Commands", "exported %s to %s" % (path, target))
    return target
