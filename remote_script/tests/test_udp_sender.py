"""UdpSender.hold(): a tick's burst of trailing edges is queued without
waking the sender thread per event (issue 13: under an automation storm the
two threads traded the GIL for the whole burst, and a tick cost Live tens of
milliseconds), and it is sent, in order, once the hold ends. What is queued
goes out as OSC bundles (issue 16)."""

import socket
import time
import unittest

from support import decode_events, decode_osc, script_module

udp_sender = script_module("udp_sender")


class HoldTest(unittest.TestCase):
    def setUp(self):
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)  # a burst waits whole
        self.rx.bind(("127.0.0.1", 0))
        self.rx.settimeout(2.0)
        self.sender = udp_sender.UdpSender("127.0.0.1", self.rx.getsockname()[1])
        self.sender.start()

    def tearDown(self):
        self.sender.stop()
        self.rx.close()

    def recv(self, n):
        """The first n events that arrive, and the datagrams they came in
        (with their senders), waiting at most a few seconds."""
        events, datagrams = [], []
        deadline = time.time() + 5.0
        while len(events) < n and time.time() < deadline:
            data, sender = self.rx.recvfrom(65536)
            datagrams.append((data, sender))
            events.extend(decode_events(data))
        return events, datagrams

    def test_a_held_burst_wakes_the_thread_once_at_the_end(self):
        s = self.sender
        with s.hold():
            for i in range(500):
                s.emit("/live/device/param", (0, 0, i, 0.5))
            # Nothing woke the thread (it waits on its event, never set):
            # nothing can have been sent yet.
            self.assertFalse(s._wake.is_set())
            self.assertEqual(s.sent, 0)
        got, _ = self.recv(500)
        self.assertEqual([g[0] for g in got], list(range(1, 501)), "in order, none lost")
        self.assertEqual(got[-1][3], [0, 0, 499, 0.5])

    def test_holds_nest_and_an_unheld_emit_wakes_at_once(self):
        s = self.sender
        with s.hold():
            with s.hold():
                s.emit("/live/a", ())
            self.assertFalse(s._wake.is_set(), "still held by the outer hold")
        self.assertEqual(self.recv(1)[0][0][2], "/live/a")
        s.emit("/live/b", ())
        self.assertEqual(self.recv(1)[0][0][2], "/live/b")

    # Issue 16 (bundles): what is queued goes out as OSC bundles of its
    # /live/seq messages, in order, none over MAX_DATAGRAM (macOS refuses
    # datagrams over 9216 bytes by default), all from the sender's one
    # socket (the bridge ties a session's events to it).
    def test_a_burst_goes_as_few_bundles_in_order_from_one_socket(self):
        s = self.sender
        with s.hold():
            for i in range(2000):
                s.emit("/live/device/param", (0, 0, i % 1000, i / 2000.0))
        got, datagrams = self.recv(2000)
        self.assertEqual([g[0] for g in got], list(range(1, 2001)), "in order, none lost")
        self.assertEqual(got[1999][3], [0, 0, 999, 1999 / 2000.0])
        self.assertLessEqual(len(datagrams), 30, "2000 events of ~70 bytes fit in about 20 datagrams of 8 KB")
        self.assertTrue(all(len(d) <= udp_sender.MAX_DATAGRAM for d, _ in datagrams))
        self.assertTrue(all(d[:8] == b"#bundle\0" for d, _ in datagrams[:-1]))
        self.assertEqual(len({a for _, a in datagrams}), 1, "every datagram from the sender's one socket")
        # The sender counts a datagram after sendto returns: the receiver can
        # read the last one first. Wait for the counters, with a deadline.
        deadline = time.time() + 5.0
        while (s.sent, s.datagrams) != (2000, len(datagrams)) and time.time() < deadline:
            time.sleep(0.001)
        self.assertEqual((s.sent, s.datagrams), (2000, len(datagrams)))

    def test_a_lone_event_is_a_plain_message(self):
        self.sender.emit("/live/transport/tempo", (121.0,))
        data = self.rx.recv(65536)
        addr, args = decode_osc(data)
        self.assertEqual((addr, args[2:]), ("/live/seq", ["/live/transport/tempo", 121.0]))

    def test_an_event_larger_than_a_bundle_goes_alone(self):
        s = self.sender
        big = "x" * (udp_sender.MAX_DATAGRAM + 100)
        with s.hold():
            s.emit("/live/a", ())
            s.emit("/live/log", ("INFO", "Test", big))
            s.emit("/live/b", ())
        got, datagrams = self.recv(3)
        self.assertEqual([g[2] for g in got], ["/live/a", "/live/log", "/live/b"])
        self.assertEqual(got[1][3][2], big)
        self.assertEqual([d[:1] for d, _ in datagrams], [b"/", b"/", b"/"], "each one alone: none fits beside another")


if __name__ == "__main__":
    unittest.main()
