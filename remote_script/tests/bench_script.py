"""Benchmarks of the Remote Script in the fake Live (`make bench`).

Prints figures against the goals of the remote_script issue; it is not a test
and asserts nothing about time. Run: python3 remote_script/tests/bench_script.py
"""

import gc
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from live_support import ScriptHarness  # noqa: E402
from support import decode_events, script_module  # noqa: E402


def us(seconds):
    return seconds * 1e6


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100.0))]


def line(name, value, goal):
    print("  %-58s %12s   goal %s" % (name, value, goal))


def small(fake):
    import sets

    sets.build_set(fake, tracks=8, scenes=8, devices=2, params=8, returns=2, clips=True)


def bench_update_display_idle():
    h = ScriptHarness(build_set=small)
    try:
        inst = h.load()
        h.settle(quiet=0.3)
        times = []
        perf = time.perf_counter
        for _ in range(5000):
            t0 = perf()
            inst.update_display()
            times.append(perf() - t0)
        line("update_display() idle, median", "%.1f µs" % us(statistics.median(times)), "<= 20 µs")
        line("update_display() idle, p99", "%.1f µs" % us(pct(times, 99)), "-")
    finally:
        h.close()


def bench_log():
    lc = script_module("logging_config")
    lc.init_logging(lambda line: None, queue_max=10 ** 7)
    lc.set_enabled_levels(["INFO", "WARNING", "ERROR", "CRITICAL"])
    log = lc.log
    perf = time.perf_counter
    for level, label, goal in (("INFO", "log() enabled", "<= 2 µs"), ("DEBUG", "log() filtered (DEBUG)", "<= 0.3 µs")):
        per_call = []
        for _ in range(200):
            t0 = perf()
            for _ in range(500):
                log("Bench", "a message", level)
            per_call.append((perf() - t0) / 500)
            lc.clear_log_queue()
        line(label + ", median", "%.3f µs" % us(statistics.median(per_call)), goal)
    lc.init_logging(None)


def bench_latency():
    h = ScriptHarness(build_set=small)
    try:
        h.load()
        h.settle(quiet=0.3)
        h.udp.settimeout(1.0)
        track = h.song.tracks[0]
        lat = []
        perf = time.perf_counter
        for i in range(2000):
            t0 = perf()
            track.mute = not track.mute  # a Live change; the listener fires inside it
            while True:
                data = h.udp.recv(65536)
                if any(e[2] == "/live/track/mute" for e in decode_events(data)):
                    break
            lat.append(perf() - t0)
        line("Live change -> UDP datagram, p50", "%.0f µs" % us(pct(lat, 50)), "-")
        line("Live change -> UDP datagram, p99", "%.0f µs" % us(pct(lat, 99)), "<= 2 ms")
    finally:
        h.close()


def thread_cpu(thread):
    """A function returning thread's CPU time so far, in seconds."""
    clock = time.pthread_getcpuclockid(thread.ident)
    return lambda: time.clock_gettime(clock)


def bench_storm():
    h = ScriptHarness(build_set=small)
    try:
        inst = h.load()
        h.settle(quiet=0.3)
        m = h.mark()
        sender = inst.sender
        sender_cpu = thread_cpu(sender._thread)
        cpu0 = sender_cpu()
        sent0, datagrams0 = sender.sent, sender.datagrams
        song = h.song
        tracks = list(song.tracks)
        params = [p for t in tracks for d in t.devices for p in d.parameters]
        n = 10000
        perf = time.perf_counter
        ticks = []
        t_start = perf()
        for i in range(n):
            if i % 2:
                tracks[i % len(tracks)].name = "n%d" % i
            else:
                p = params[i % len(params)]
                p.value = p.min + (p.max - p.min) * ((i % 97) / 96.0)
            if i % 1000 == 999:  # Live ticks in between bursts
                t0 = perf()
                inst.update_display()
                ticks.append(perf() - t0)
        storm_s = perf() - t_start
        # Let trailing edges go out, timing every tick.
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            t0 = perf()
            inst.update_display()
            ticks.append(perf() - t0)
            h.pump()
            time.sleep(0.01)
        inst.sender.flush(2.0)
        time.sleep(0.05)
        h.pump()
        cpu_s = sender_cpu() - cpu0
        events = sender.sent - sent0
        datagrams = sender.datagrams - datagrams0
        got = h.events[m:]
        renames = [e for e in got if e[2] == "/live/track/renamed"]
        seqs = [e[0] for e in got]
        lost = (seqs[-1] - seqs[0] + 1) - len(seqs) if seqs else n
        finals = {}
        for e in got:
            if e[2] == "/live/device/param":
                finals[tuple(e[3][:3])] = e[3][3]
        wrong = 0
        for ti, t in enumerate(tracks):
            for di, d in enumerate(t.devices):
                for pi, p in enumerate(d.parameters):
                    key = (ti, di, pi)
                    if key in finals and finals[key] != float(p.value):
                        wrong += 1
        line("storm: %d changes applied in" % n, "%.0f ms" % (storm_s * 1000), "-")
        line("storm: longest update_display()", "%.2f ms" % (max(ticks) * 1000), "<= 5 ms")
        line("storm: renames sent / made", "%d / %d" % (len(renames), n // 2), "all")
        line("storm: events lost (sequence gaps)", "%d" % lost, "0")
        line("storm: events sent / datagrams they took", "%d / %d" % (events, datagrams), "<= a few hundred datagrams")
        line("storm: the sender thread's CPU time, whole storm", "%.1f ms (%.1f µs/event)" % (
            cpu_s * 1000, us(cpu_s) / max(1, events)), "-")
        line("storm: parameters whose last event != final value", "%d" % wrong, "0")
    finally:
        h.close()


def bench_registration():
    import sets

    def big(fake):
        sets.build_set(fake, tracks=100, scenes=32, devices=4, params=16, returns=2, clips=True)

    h = ScriptHarness(build_set=big)
    try:
        gc.collect()
        t0 = time.perf_counter()
        inst = h.load()
        load_s = time.perf_counter() - t0
        st = inst.observers.stats()
        line("register 100 tracks x 32 scenes x 4 devices x 16 params", "%.0f ms" % (load_s * 1000),
             "- (%d listeners)" % st["listener_count"])
        h.settle(quiet=0.3)
        song = h.song
        # The fake's own cost of creating a track, with the script observing...
        t0 = time.perf_counter()
        song.create_audio_track(-1)
        with_script = time.perf_counter() - t0
        inst.sender.flush(2.0)
        line("add one track to it (fake + script, one listener call)", "%.1f ms" % (with_script * 1000),
             "only that track's cost")
        st2 = inst.observers.stats()
        line("listeners added for that track", "%d" % (st2["listener_count"] - st["listener_count"]), "32 slots + track")
    finally:
        h.close()
    # ...and without it, to isolate what the script adds.
    h = ScriptHarness(build_set=big)
    try:
        t0 = time.perf_counter()
        h.song.create_audio_track(-1)
        bare = time.perf_counter() - t0
        line("add one track without the script (fake alone)", "%.1f ms" % (bare * 1000), "-")
    finally:
        h.close()


def plugin_set(fake):
    import sets

    small(fake)
    sets.add_big_plugin(fake, track=0, params=1000, index=0)


def bench_automation_storm(ticks=30):
    """issue 13: 1 000 parameters of one plug-in change three times every
    tick, at Live's pace (a tick every 100 ms of wall time)."""
    import scenarios

    h = ScriptHarness(build_set=plugin_set)
    try:
        inst = h.load()
        h.settle(quiet=0.3)
        fake = h.fake
        storm = scenarios.AutomationStorm(fake, per_tick=1000, per_change=3)
        sender = inst.sender
        perf = time.perf_counter
        cpu = time.thread_time  # this thread's CPU time: not the other processes sharing the machine
        display = []
        display_cpu = []
        real = inst.update_display

        def timed():
            t0, c0 = perf(), cpu()
            real()
            display_cpu.append(cpu() - c0)
            display.append(perf() - t0)

        inst.update_display = timed
        listener_s = []
        per = {}
        last = {}
        bounds = []

        def take():
            # Fold the arrived events into per-tick counts and drop them: the
            # harness keeping 100 000 events would make Python's collector
            # walk them inside the very ticks being measured.
            h.pump()
            for seq, _, path, a in h.events:
                if path == "/live/device/param" and a[:2] == [0, 0]:
                    k = (sum(1 for b in bounds if seq > b), a[2])
                    per[k] = per.get(k, 0) + 1
                    last[a[2]] = a[3]
            del h.events[:]

        take()
        for _ in range(ticks):
            start = fake.ticks
            fake.run_until(lambda: take() or fake.ticks > start, timeout=1.0)
            t0 = perf()
            storm.on_tick()  # 3 000 changes: Live runs the script's listeners inside them
            listener_s.append(perf() - t0)
            bounds.append(sender.seq)
        h.settle(quiet=0.3)
        inst.update_display = real
        take()
        wrong = sum(1 for i in range(1000) if last.get(i) != storm.final(storm.ticks, i))
        bare = bare_change_cost(3000)
        line("storm 1000 params x 3 changes/tick: update_display() median", "%.2f ms" % (
            statistics.median(display) * 1000), "-")
        line("storm: update_display() p95 / max, wall clock", "%.2f / %.2f ms" % (
            pct(display, 95) * 1000, max(display) * 1000), "- (load %.1f)" % os.getloadavg()[0])
        line("storm: update_display() max, the main thread's CPU time", "%.2f ms" % (max(display_cpu) * 1000),
             "<= 5 ms")
        line("storm: script's cost per change, in Live's listener call", "%.2f µs" % (
            us(statistics.median(listener_s) - bare) / 3000.0), "-")
        line("storm: events per parameter per tick, max", "%d" % max(per.values()), "<= 1")
        line("storm: parameter events per tick, median", "%d" % statistics.median(
            [sum(1 for k in per if k[0] == i) for i in range(1, ticks)]), "<= 1000")
        line("storm: parameters whose last event != final value", "%d" % wrong, "0")
    finally:
        h.close()


def bare_change_cost(n):
    """What n parameter changes cost the fake alone (no script listening)."""
    from runtime import FakeLive
    import Live
    import sets

    saved = Live._runtime
    fake = FakeLive()
    fake.song.create_audio_track(-1)
    dev = sets.add_big_plugin(fake, track=0, params=1000)
    params = list(dev.parameters)
    t0 = time.perf_counter()
    for i in range(n):
        params[i % 1000].value = (i % 97) / 96.0
    took = time.perf_counter() - t0
    fake.close()
    Live._runtime = saved
    return took


def bench_big_plugin_registration():
    """issue 13: what observing a 1 000-parameter plug-in costs the script.

    The script's cost is the time inserting the device takes with the
    observers running minus the time it takes with them stopped; what it
    must cost is a listener per parameter (the fake's own cost of connecting
    1 000 no-op listeners is shown beside it) and the device's 1 002 events."""
    import sets

    h = ScriptHarness(build_set=small)
    try:
        inst = h.load()
        h.settle(quiet=0.3)
        obs = inst.observers
        perf = time.perf_counter
        track = h.song.tracks[0]

        def insert_and_delete(connect_noop=False):
            t0 = perf()
            dev = sets.add_big_plugin(h.fake, track=0, params=1000)
            if connect_noop:
                for p in dev.parameters:
                    p.add_value_listener(lambda: None)
            took = perf() - t0
            track.delete_device(len(track.devices) - 1)
            inst.sender.flush(2.0)
            h.pump()
            return took

        n0 = obs.registry.count
        sets.add_big_plugin(h.fake, track=0, params=1000)
        added = obs.registry.count - n0
        track.delete_device(len(track.devices) - 1)
        with_script = statistics.median([insert_and_delete() for _ in range(7)])
        obs.stop()
        alone = statistics.median([insert_and_delete() for _ in range(7)])
        noop = statistics.median([insert_and_delete(True) for _ in range(7)]) - alone
        with obs.batch():
            obs.start()
        line("insert a 1000-parameter plug-in, observed (listeners + 1002 events)", "%.1f ms" % (
            with_script * 1000), "- (%d listeners)" % added)
        line("  the same insert, observers stopped (the fake alone)", "%.1f ms" % (alone * 1000), "-")
        line("  the script's cost per parameter (listener, bookkeeping, event)", "%.2f µs" % (
            us(with_script - alone) / 1000.0), "-")
        line("  the fake's cost of one bare no-op listener, for comparison", "%.2f µs" % (us(noop) / 1000.0), "-")
    finally:
        h.close()


def bench_junk_flood():
    import socket as so
    from support import tcp_command

    h = ScriptHarness(build_set=small)
    try:
        h.load()
        port = h.command_port()
        bad = []
        for i in range(1000):
            c = so.create_connection(("127.0.0.1", port))
            if i % 3 == 1:
                c.sendall(b"\x00\xffjunk")
            elif i % 3 == 2:
                c.sendall(b"G")
            bad.append(c)
        lat = []
        for _ in range(50):
            t0 = time.perf_counter()
            tcp_command(port, b"PING\n")
            lat.append(time.perf_counter() - t0)
        line("PING while 1000 junk/half-open/slow connections are open, p50", "%.2f ms" % (pct(lat, 50) * 1000), "-")
        line("PING while 1000 junk/half-open/slow connections are open, max", "%.2f ms" % (max(lat) * 1000), "<= 100 ms")
        for c in bad:
            c.close()
    finally:
        h.close()


def main():
    print("VimAbl Remote Script benchmarks (Python %s, fake Live)" % sys.version.split()[0])
    bench_log()
    bench_update_display_idle()
    bench_latency()
    bench_storm()
    bench_automation_storm()
    bench_big_plugin_registration()
    bench_registration()
    bench_junk_flood()


if __name__ == "__main__":
    main()
