"""The commands of port 9001 (docs/protocol.md, "TCP commands").

``CommandProcessor.handle(line)`` runs on a connection thread. Anything that
reads or changes Live is wrapped in a function and run on Live's main thread
through ``surface.run_on_main`` (which waits with a timeout); figures that are
thread-safe (log stats, version, the current view kept by the main thread)
are answered directly.
"""

import errno
import gzip
import os
import stat
import sys
import threading
import zlib

from . import logging_config
from .logging_config import log
from .readers import read_file_path, read_view, regular_kind, snapshot_state
from .version import VERSION

MAIN_TIMEOUT = 5.0  # seconds to wait for Live's main thread

# The replies VimAbl's script gave for an empty Set; Hammerspoon configs show
# the error as it is.
NO_TRACKS = "No tracks"
NO_SCENES = "No scenes"

# GET_STATE's visibility fields as VimAbl's script reported them: the reply
# key and the Application.View names, any of which visible makes it true.
_VISIBILITY = (
    ("browser_visible", ("Browser",)),
    ("device_visible", ("Detail", "Detail/DeviceChain")),
    ("clip_view_visible", ("Detail/Clip",)),
    ("groove_pool_visible", ("GroovePool",)),
    ("info_view_visible", ("Help",)),
)


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
        self.main_timeout = MAIN_TIMEOUT  # tests shorten it
        self._export_lock = threading.Lock()  # held while an EXPORT_XML runs
        self._table = {
            "PING": self.ping,
            "GET_VERSION": self.get_version,
            "GET_VIEW": self.get_view,
            "GET_STATE": self.get_state,
            "GET_PROJECT_PATH": self.get_project_path,
            "EXPORT_XML": self.export_xml,
            "SELECT_FIRST_TRACK": lambda args: self.select_track(first=True),
            "SELECT_LAST_TRACK": lambda args: self.select_track(first=False),
            "SELECT_FIRST_SCENE": lambda args: self.select_scene(first=True),
            "SELECT_LAST_SCENE": lambda args: self.select_scene(first=False),
            # gg / G in VimAbl's Hammerspoon config: they follow the view.
            "JUMP_TO_FIRST": lambda args: self.jump(first=True),
            "JUMP_TO_LAST": lambda args: self.jump(first=False),
            # The song position, as VimAbl's script moved it.
            "SCROLL_TO_TOP": lambda args: self.scroll(top=True),
            "SCROLL_TO_BOTTOM": lambda args: self.scroll(top=False),
            "START_OBSERVERS": self.start_observers,
            "STOP_OBSERVERS": self.stop_observers,
            "REFRESH_OBSERVERS": self.refresh_observers,
            "GET_OBSERVER_STATUS": self.observer_status,
            "GET_LOG_STATS": lambda args: ok(stats=logging_config.get_log_stats()),
            "RESET_LOG_STATS": self.reset_log_stats,
            "SET_LOG_LEVEL": self.set_log_level,
            "SNAPSHOT": self.snapshot,
        }

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
        return self.surface.run_on_main(fn, self.main_timeout)

    # --- answered without Live's main thread

    def ping(self, args):
        # tick_age_ms: how long ago Live's main thread last ran its timer --
        # small normally, large while Live is busy (a menu open), so a client
        # can tell a busy Live from a dead script.
        return ok(pong=True, version=VERSION, session_id=self.surface.session_id,
                  tick_age_ms=int(self.surface.tick_age() * 1000))

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
        # Only file I/O, never Live's API: it runs here on the connection
        # thread, so a big Set never stalls Live's main thread. One export at
        # a time: a flood of them (or a double key press) would otherwise
        # run dozens in parallel, each with its buffers and its disk writes.
        path = export_path(args)
        if not self._export_lock.acquire(False):
            raise CommandError("an export is already running; try again when it has finished")
        try:
            return ok(xml_path=export_xml(path), project_path=path)
        finally:
            self._export_lock.release()

    # --- run on Live's main thread

    def get_state(self, args):
        surface = self.surface

        def read():
            song = surface.song()
            view = song.view
            tracks = []
            for i, t in enumerate(song.tracks):
                kind = regular_kind(t)  # audio, midi or group
                tracks.append({"index": i, "name": str(t.name), "type": kind, "mute": bool(t.mute),
                               "solo": bool(t.solo), "arm": bool(t.arm) if t.can_be_armed else False})
            scenes = [{"index": i, "name": str(s.name)} for i, s in enumerate(song.scenes)]
            sel_t = view.selected_track
            sel_s = view.selected_scene
            all_tracks = list(song.tracks) + list(song.return_tracks) + [song.master_track]
            app_view = surface.application().view
            reply = ok(
                view=read_view(surface.application()),
                transport_playing=bool(song.is_playing),
                tempo=float(song.tempo),
                selected_track=_index_of(all_tracks, sel_t),
                selected_scene=_index_of(list(song.scenes), sel_s),
                tracks=tracks,
                scenes=scenes,
            )
            for key, names in _VISIBILITY:
                reply[key] = any(_visible(app_view, n) for n in names)
            reply["detail_view"] = "clip" if _visible(app_view, "Detail/Clip") else "device"
            return reply

        return self._main(read)

    def get_project_path(self, args):
        return ok(project_path=self._main(lambda: read_file_path(self.surface.song())))

    def select_scene(self, first):
        return self._main(lambda: _select_scene(self.surface.song(), first))

    def select_track(self, first):
        def run():
            song = self.surface.song()
            tracks = list(song.visible_tracks)
            if not tracks:
                raise CommandError(NO_TRACKS)
            t = tracks[0] if first else tracks[-1]
            song.view.selected_track = t
            return ok(track=_index_of(list(song.tracks), t))

        return self._main(run)

    def jump(self, first):
        """gg / G: in the Arrangement the first / last track (and the
        Arrangement stays in front), anywhere else the first / last scene —
        what VimAbl's script did, which its Hammerspoon config relies on."""
        surface = self.surface

        def run():
            song = surface.song()
            app_view = surface.application().view
            if not app_view.is_view_visible("Arranger"):
                return _select_scene(song, first)
            tracks = list(song.tracks)
            if not tracks:
                raise CommandError(NO_TRACKS)
            i = 0 if first else len(tracks) - 1
            song.view.selected_track = tracks[i]
            app_view.show_view("Arranger")
            return ok(track=i)

        return self._main(run)

    def scroll(self, top):
        """The song position to the start, or to the last event of the
        Arrangement (VimAbl's SCROLL_TO_TOP / SCROLL_TO_BOTTOM)."""
        def run():
            song = self.surface.song()
            song.current_song_time = 0.0 if top else float(song.last_event_time)
            return ok(song_time=float(song.current_song_time))

        return self._main(run)

    def start_observers(self, args):
        return self._main(lambda: ok(message="Observers started", stats=self.surface.start_observers()))

    def stop_observers(self, args):
        return self._main(lambda: ok(message="Observers stopped", stats=self.surface.stop_observers()))

    def refresh_observers(self, args):
        return self._main(lambda: ok(message="Observers refreshed", stats=self.surface.refresh_observers()))

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


def _select_scene(song, first):
    scenes = list(song.scenes)
    if not scenes:
        raise CommandError(NO_SCENES)
    i = 0 if first else len(scenes) - 1
    song.view.selected_scene = scenes[i]
    return ok(scene=i)


def _visible(app_view, name):
    """Whether a view is shown; False for a name this Live does not know
    (GroovePool and Help are names VimAbl's script used that no reference
    confirms), so one unknown name never fails GET_STATE."""
    try:
        return bool(app_view.is_view_visible(name))
    except (RuntimeError, ValueError, TypeError):
        return False


def _index_of(items, obj):
    if obj is None:
        return -1
    for i, x in enumerate(items):
        if x == obj:
            return i
    return -1


# --- EXPORT_XML: file I/O only, never Live's API

EXPORT_DIR = ".vimabl"  # the only folder EXPORT_XML writes to, next to the .als
# A Set whose XML passes this is refused: a small gzip "bomb" sent to the
# unauthenticated port would otherwise fill the disk. Real Sets are far below.
MAX_XML_BYTES = 1 << 30  # 1 GiB
EXPORT_CHUNK = 256 * 1024  # bytes decompressed and written at a time: an export's memory

# Where the OS opens files relative to an open folder without following
# symlinks (Linux, macOS, the BSDs), every step goes through folder
# descriptors, so the .als read and the .vimabl written stay in one folder
# even if a component of the path is swapped for a symlink meanwhile.
# Elsewhere (Windows, where making a symlink needs an administrator) the same
# checks are made on paths.
_DIR_FDS = (hasattr(os, "O_DIRECTORY") and hasattr(os, "O_NOFOLLOW")
            and all(f in os.supports_dir_fd for f in (os.open, os.mkdir, os.rename, os.unlink)))
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def export_path(args):
    """The .als path of an EXPORT_XML line; raises CommandError when it is
    missing, relative or not an .als."""
    path = args.strip()
    if not path:
        raise CommandError("EXPORT_XML requires the path of an .als file: EXPORT_XML:/path/to/Set.als")
    if not os.path.isabs(path):
        raise CommandError("EXPORT_XML needs an absolute path, got %r" % path)
    if not path.lower().endswith(".als"):
        raise CommandError("EXPORT_XML only accepts an .als file, got %r" % path)
    return path


def export_xml(path, max_bytes=MAX_XML_BYTES):
    """Decompress an existing .als into ``<its folder>/.vimabl/<name>.xml``
    and return the XML's path.

    Only an existing regular ``.als`` file is read and only the ``.vimabl``
    folder beside it is written. That folder must be a real folder: it is
    created with mode 0700 when missing, and a symlink or a file in its place
    is refused. The XML goes to a new file with a random name, created
    exclusively (never through an existing name or a symlink), which is then
    renamed over ``<name>.xml``: whatever was at that name, a symlink
    included, is replaced, never written through. The Set is decompressed
    EXPORT_CHUNK bytes at a time; past ``max_bytes`` of XML (MAX_XML_BYTES,
    1 GiB) the export is refused and the partial file removed.
    """
    path = export_path(path)
    real = os.path.realpath(path)
    parent, base = os.path.split(real)
    if not base.lower().endswith(".als"):
        raise CommandError("no such .als file: %s" % path)
    name = os.path.splitext(base)[0] + ".xml"
    target = os.path.join(parent, EXPORT_DIR, name)
    folder = _open_folder(parent, path)
    try:
        src = folder.open_set(base, path)
        try:
            out = folder.export_folder(EXPORT_DIR)
            try:
                _write_xml(src, out, name, max_bytes, path, target)
            finally:
                out.close()
        finally:
            src.close()
    finally:
        folder.close()
    log("Commands", "exported %s to %s" % (path, target))
    return target


def _open_folder(parent, shown):
    cls = _FdFolder if _DIR_FDS else _PathFolder
    try:
        return cls.open(parent)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise CommandError("no such .als file: %s" % shown)
        raise CommandError("cannot read %s: %s" % (shown, exc))


def _write_xml(src, out, name, max_bytes, shown, target):
    """Decompress src into a fresh file of ``out`` and rename it to name; on
    any failure the fresh file is removed."""
    try:
        tmp, dst = out.create_temp()
    except OSError as exc:
        raise CommandError("cannot write %s: %s" % (target, exc))
    done = False
    try:
        with dst:
            _copy_xml(src, dst, max_bytes, shown, target)
        try:
            out.replace(tmp, name)
        except OSError as exc:
            raise CommandError("cannot write %s: %s" % (target, exc))
        done = True
    finally:
        if not done:
            out.remove(tmp)


def _copy_xml(src, dst, max_bytes, shown, target):
    gz = gzip.GzipFile(fileobj=src, mode="rb")
    written = 0
    while True:
        try:
            block = gz.read(EXPORT_CHUNK)
        except (OSError, EOFError, zlib.error) as exc:
            if isinstance(exc, (EOFError, zlib.error)) or "gzip" in str(exc).lower():
                raise CommandError("%s is not a valid Live Set (not gzip-compressed XML): %s" % (shown, exc))
            raise CommandError("cannot read %s: %s" % (shown, exc))
        if not block:
            return
        written += len(block)
        if written > max_bytes:
            raise CommandError("refused %s: its XML is larger than %s, the export limit (MAX_XML_BYTES); "
                               "nothing was written" % (shown, _size(max_bytes)))
        try:
            dst.write(block)
        except OSError as exc:
            raise CommandError("cannot write %s: %s" % (target, exc))


def _size(n):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return "%d %s" % (n // scale, unit)
    return "%d bytes" % n


def _not_a_folder(path):
    return CommandError("%s is a symlink or a file, not a folder; EXPORT_XML writes only into a real "
                        "folder there" % path)


def _new_temp(create, where):
    """(name, binary file) of a new file with a random name. ``create(name,
    flags)`` opens it with O_CREAT|O_EXCL (and O_NOFOLLOW where the OS has
    it), so an existing name, a symlink included, is never opened."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY | _CLOEXEC
    for _ in range(100):
        name = ".vimabl-%s.tmp" % os.urandom(8).hex()
        try:
            fd = create(name, flags)
        except FileExistsError:
            continue
        return name, os.fdopen(fd, "wb")
    raise FileExistsError(errno.EEXIST, "no free temporary name in %s" % where)


class _FdFolder(object):
    """A folder held open by descriptor: names are opened relative to it and
    never through a symlink (POSIX)."""

    def __init__(self, fd, path):
        self.fd = fd
        self.path = path

    @classmethod
    def open(cls, path):
        return cls(os.open(path, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC), path)

    def close(self):
        os.close(self.fd)

    def open_set(self, name, shown):
        """The regular file ``name`` opened for reading. O_NONBLOCK keeps a
        FIFO swapped in after realpath from blocking the export forever."""
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR, errno.ENXIO):
                raise CommandError("no such .als file: %s" % shown)
            raise CommandError("cannot read %s: %s" % (shown, exc))
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise CommandError("no such .als file: %s" % shown)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")

    def export_folder(self, name):
        """The real folder ``name`` (created 0700 when missing), opened."""
        path = os.path.join(self.path, name)
        try:
            os.mkdir(name, 0o700, dir_fd=self.fd)
        except FileExistsError:
            pass  # checked below: mkdir never follows a symlink, open must not either
        except OSError as exc:
            raise CommandError("cannot create %s: %s" % (path, exc))
        try:
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise _not_a_folder(path)
            raise CommandError("cannot open %s: %s" % (path, exc))
        return _FdFolder(fd, path)

    def create_temp(self):
        return _new_temp(lambda name, flags: os.open(name, flags, 0o600, dir_fd=self.fd), self.path)

    def replace(self, src, dst):
        os.replace(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def remove(self, name):
        try:
            os.unlink(name, dir_fd=self.fd)
        except OSError:
            pass


def _is_link(st):
    # Windows junctions are reparse points that lstat does not report as links.
    return stat.S_ISLNK(st.st_mode) or bool(getattr(st, "st_file_attributes", 0) & stat.FILE_ATTRIBUTE_REPARSE_POINT)


class _PathFolder(object):
    """The same contract as _FdFolder, by paths checked with lstat (Windows)."""

    def __init__(self, path):
        self.path = path

    @classmethod
    def open(cls, path):
        if not os.path.isdir(path):
            raise FileNotFoundError(errno.ENOENT, "no such folder", path)
        return cls(path)

    def close(self):
        pass

    def open_set(self, name, shown):
        path = os.path.join(self.path, name)
        try:
            st = os.lstat(path)
        except OSError:
            raise CommandError("no such .als file: %s" % shown)
        if _is_link(st) or not stat.S_ISREG(st.st_mode):
            raise CommandError("no such .als file: %s" % shown)
        try:
            return open(path, "rb")
        except OSError as exc:
            raise CommandError("cannot read %s: %s" % (shown, exc))

    def export_folder(self, name):
        path = os.path.join(self.path, name)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise CommandError("cannot create %s: %s" % (path, exc))
        st = os.lstat(path)
        if _is_link(st) or not stat.S_ISDIR(st.st_mode):
            raise _not_a_folder(path)
        return _PathFolder(path)

    def create_temp(self):
        return _new_temp(lambda name, flags: os.open(os.path.join(self.path, name), flags, 0o600), self.path)

    def replace(self, src, dst):
        os.replace(os.path.join(self.path, src), os.path.join(self.path, dst))

    def remove(self, name):
        try:
            os.remove(os.path.join(self.path, name))
        except OSError:
            pass
