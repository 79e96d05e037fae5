"""The process behind `vimabl sim` and `vimabl demo`: the real Remote Script
running inside the fake Live (docs/fakelive.md, "sim.py").

Prints ``vimabl-sim ready command=HOST:PORT events=HOST:PORT log=FILE`` once
the script's command port answers, then ticks until SIGINT/SIGTERM or
``quit``. Control lines on stdin are answered with one line each,
``ok <command>`` or ``error <reason>``.

With ``--parent-pid`` the sim belongs to the process that started it
(`vimabl sim`, `vimabl demo`, the Go tests) and never outlives it, even when
that process is killed with SIGKILL and cannot stop it: it stops when its
stdin reaches end of file (the parent's end of the pipe is closed by the
kernel when the parent dies, on every OS) and, on Linux, also on the
parent-death signal. ``--remove-on-exit DIR`` removes the folder the
launcher extracted the script into, so nothing is left behind either.
"""

import argparse
import json
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import scenarios  # noqa: E402
import sets  # noqa: E402
from runtime import FakeLive  # noqa: E402

RANDOM_PER_TICK = 25  # random edits per 100 ms tick: a busy but human pace


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def write_config(script_dir, command_port, events_port):
    path = os.path.join(script_dir, "config.json")
    if command_port == 9001 and events_port == 9002:
        if os.path.exists(path):
            os.remove(path)
        return
    with open(path, "w") as f:
        json.dump({"command_port": command_port, "events_port": events_port}, f)


class Sim(object):
    def __init__(self, args):
        self.args = args
        self.fake = FakeLive(log_path=args.live_log)
        self.stop = _Stop()
        self.lines = queue.Queue()
        self.random = None  # (RandomEdits, remaining, seed)
        self.set_loads = 0
        self.driver = None

    def build(self, fake):
        if self.args.scenario == "set-load" and self.set_loads == 0:
            sets.big_set(fake)
        elif self.args.scenario == "automation-storm":
            sets.big_plugin_set(fake)
        elif self.set_loads % 2:
            sets.build_set(fake, tracks=12, scenes=10, devices=3, params=6, returns=1, tempo=96.0,
                           file_path="/Users/demo/Music/Other Project/Other.als")
        else:
            sets.demo_set(fake)

    def start(self):
        self.build(self.fake)
        self.fake.load_script(self.args.script_dir)
        if self.fake.script is None:
            raise SystemExit("vimabl-sim: the Remote Script failed to load; see %s" % self.args.live_log)
        self.driver = scenarios.scenario(self.args.scenario, self.fake, self.args.seed)
        script = self.fake.script
        self.fake.run_until(lambda: script.command_address() is not None, timeout=10.0)
        addr = script.command_address()
        if addr is None:
            raise SystemExit("vimabl-sim: the script's command port %d did not open (is it used by another "
                             "program?); see %s" % (self.args.command_port, self.args.live_log))
        if self.args.command_port == 0:
            # Keep the port the script picked: later instances (restart,
            # set-load) bind it again, as Live's would bind 9001.
            self.args.command_port = addr[1]
            write_config(self.args.script_dir, addr[1], self.args.events_port)
        say("vimabl-sim ready command=%s:%d events=127.0.0.1:%d log=%s" % (
            addr[0], addr[1], self.args.events_port, self.args.live_log))

    def read_stdin(self):
        for line in sys.stdin:
            self.lines.put(line.strip())
        if self.args.parent_pid:
            # The parent closed the pipe or died: nobody can stop the sim any
            # more, and it would keep the command port and send events.
            self.stop.set()
        # Without a parent the sim runs until a signal or `quit` (stdin may
        # be /dev/null when started by hand).

    def between_ticks(self):
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line:
                self.control(line)

    def on_tick(self):
        if self.driver is not None:
            self.driver.on_tick()
        if self.random is not None:
            edits, remaining, seed = self.random
            n = min(RANDOM_PER_TICK, remaining)
            for _ in range(n):
                edits.step()
            remaining -= n
            if remaining <= 0:
                self.random = None
                say("ok random %d" % seed)
            else:
                self.random = (edits, remaining, seed)

    def control(self, line):
        cmd, _, rest = line.partition(" ")
        try:
            if cmd == "random":
                parts = rest.split()
                if len(parts) != 2:
                    raise ValueError("usage: random <seed> <count>")
                seed, count = int(parts[0]), int(parts[1])
                if self.random is not None:
                    raise ValueError("a random run is in progress")
                if count <= 0:
                    say("ok random %d" % seed)
                    return
                self.random = (scenarios.RandomEdits(self.fake, seed), count, seed)
                return  # answered when done
            if cmd == "restart":
                path = self.args.script_dir
                self.fake.unload_script()
                self.fake.load_script(path)
                self.wait_port()
                say("ok restart")
            elif cmd == "set-load":
                self.set_loads += 1
                self.fake.replace_set(self.build)
                self.wait_port()
                say("ok set-load")
            elif cmd == "edit":
                edit(self.fake, json.loads(rest))
                say("ok edit")
            elif cmd == "stall":
                seconds = float(rest)
                if not 0 < seconds <= 600:
                    raise ValueError("usage: stall <seconds> (0 < seconds <= 600)")
                # Live's main thread is busy (a menu open in Live 12): no
                # tick, no listener, no command answered until it ends.
                self.fake.stall(lambda: self.stop.is_set(), seconds)
                say("ok stall")
            elif cmd == "quit":
                say("ok quit")
                self.stop.set()
            else:
                raise ValueError("unknown command %r (random, restart, set-load, edit, stall, quit)" % cmd)
        except Exception as exc:  # a bad line is answered, never fatal
            say("error %s" % str(exc).replace("\n", " "))

    def wait_port(self):
        script = self.fake.script
        if script is None:
            raise RuntimeError("the Remote Script failed to load; see %s" % self.args.live_log)
        self.fake.run_until(lambda: script.command_address() is not None, timeout=10.0)

    def run(self):
        threading.Thread(target=self.read_stdin, name="sim-stdin", daemon=True).start()
        last_tick = [self.fake.ticks]

        def between():
            self.between_ticks()
            if self.fake.ticks != last_tick[0]:
                last_tick[0] = self.fake.ticks
                self.on_tick()

        self.fake.run_forever(self.stop, between)
        self.fake.close()


def edit(fake, e):
    """One scripted edit from a JSON object (the sim's `edit` line)."""
    song = fake.song
    op = e.get("op")
    if op == "rename_track":
        song.tracks[e["track"]].name = e["name"]
    elif op == "mute_track":
        song.tracks[e["track"]].mute = bool(e.get("mute", True))
    elif op == "set_volume":
        song.tracks[e["track"]].mixer_device.volume.value = float(e["value"])
    elif op == "set_param":
        song.tracks[e["track"]].devices[e["device"]].parameters[e["param"]].value = float(e["value"])
    elif op == "create_track":
        (song.create_midi_track if e.get("type") == "midi" else song.create_audio_track)(int(e.get("index", -1)))
    elif op == "delete_track":
        song.delete_track(int(e["track"]))
    elif op == "create_scene":
        song.create_scene(int(e.get("index", -1)))
    elif op == "delete_scene":
        song.delete_scene(int(e["scene"]))
    elif op == "move_scene":
        song.move_scene(int(e["from"]), int(e["to"]))
    elif op == "rename_scene":
        song.scenes[e["scene"]].name = e["name"]
    elif op == "set_tempo":
        song.tempo = float(e["tempo"])
    elif op == "play":
        song.start_playing()
    elif op == "stop":
        song.stop_playing()
    elif op == "select_track":
        song.view.selected_track = song.tracks[e["track"]]
    elif op == "select_scene":
        song.view.selected_scene = song.scenes[e["scene"]]
    elif op == "highlight":
        song.view.highlight(int(e["track"]), int(e["scene"]))
    elif op == "show_view":
        fake.application.view.show_view(e["view"])
    elif op == "set_file_path":
        song.set_file_path(e["path"])
    else:
        raise ValueError("unknown edit op %r" % op)


class _Stop(threading.Event):
    """The sim's stop: an Event that a signal handler can also set without
    a lock. Event.set takes the Event's lock; a handler that runs while the
    main thread is inside that lock (the parent-death SIGTERM can come at
    any moment) waits for it forever, and the sim hangs instead of stopping."""

    signalled = False

    def signal(self, *args):
        self.signalled = True  # a plain store: safe in a signal handler

    def is_set(self):
        return self.signalled or threading.Event.is_set(self)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent_pid, stop):
    """On Linux, ask for SIGTERM when the parent dies (prctl), and stop at
    once if it already has. Elsewhere the stdin pipe is the only watch.

    The signal comes when the parent's *thread* that started this process
    exits; the Go launcher starts it from a goroutine of its own, whose
    thread lives as long as the process."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):
        return  # no libc prctl: the stdin pipe still watches the parent
    if os.getppid() != parent_pid:
        stop.set()  # the parent died before prctl took effect


def remove_folder(folder, script_dir):
    """Remove the launcher's folder, but only the one holding the script:
    a wrong argument must never delete anything else."""
    folder = os.path.realpath(folder)
    inside = os.path.realpath(script_dir)
    if os.path.dirname(inside) != folder:
        sys.stderr.write("vimabl-sim: not removing %s: it does not hold %s\n" % (folder, script_dir))
        return
    shutil.rmtree(folder, ignore_errors=True)


def main(argv=None):
    p = argparse.ArgumentParser(description="Run the VimAbl Remote Script inside a fake Ableton Live.")
    p.add_argument("--script-dir", required=True, help="the Remote Script's folder (named like in Live, e.g. VimAbl)")
    p.add_argument("--command-port", type=int, default=9001, help="TCP port of the script's commands (0: any free)")
    p.add_argument("--events-port", type=int, default=9002, help="UDP port the script sends events to")
    p.add_argument("--scenario", default="idle", choices=list(scenarios.SCENARIOS))
    p.add_argument("--live-log", default=None, help="where to write Live's Log.txt (default: a temp file)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--parent-pid", type=int, default=0,
                   help="the launcher's pid: stop when it dies or closes stdin")
    p.add_argument("--remove-on-exit", default=None, metavar="DIR",
                   help="remove DIR, the folder holding --script-dir, when the sim exits")
    args = p.parse_args(argv)
    if args.live_log is None:
        fd, args.live_log = tempfile.mkstemp(prefix="vimabl-sim-", suffix="-Log.txt")
        os.close(fd)
    write_config(args.script_dir, args.command_port, args.events_port)
    # kill -USR1 <sim> writes every thread's Python stack beside Log.txt:
    # a hung fake Live (or script) can be looked into without a debugger.
    if hasattr(signal, "SIGUSR1"):
        import faulthandler

        dump = open(args.live_log + ".threads.txt", "w")
        faulthandler.register(signal.SIGUSR1, file=dump, all_threads=True)
    try:
        sim = Sim(args)
        signal.signal(signal.SIGINT, sim.stop.signal)
        signal.signal(signal.SIGTERM, sim.stop.signal)
        if args.parent_pid:
            die_with_parent(args.parent_pid, sim.stop)
        sim.start()
        sim.run()
    finally:
        if args.remove_on_exit:
            remove_folder(args.remove_on_exit, args.script_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
