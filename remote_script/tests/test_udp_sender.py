"""UdpSender.hold(): a tick's burst of trailing edges is queued without
waking the sender thread per event (issue 13: under an automation storm the
two threads traded the GIL for the whole burst, and a tick cost Live tens of
milliseconds), and it is sent, in order, once the hold ends."""

import socket
import unittest

from support import decode_event, script_module

udp_sender = script_module("udp_sender")


class HoldTest(unittest.TestCase):
    def setUp(self):
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.bind(("127.0.0.1", 0))
        self.rx.settimeout(2.0)
        self.sender = udp_sender.UdpSender("127.0.0.1", self.rx.getsockname()[1])
        self.sender.start()

    def tearDown(self):
        self.sender.stop()
        self.rx.close()

    def test_a_held_burst_wakes_the_thread_once_at_the_end(self):
        s = self.sender
        with s.hold():
            for i in range(500):
                s.emit("/live/device/param", (0, 0, i, 0.5))
            # Nothing woke the thread (it waits on its event, never set):
            # nothing can have been sent yet.
            self.assertFalse(s._wake.is_set())
            self.assertEqual(s.sent, 0)
        got = [decode_event(self.rx.recv(65536)) for _ in range(500)]
        self.assertEqual([g[0] for g in got], list(range(1, 501)), "in order, none lost")
        self.assertEqual(got[-1][3], [0, 0, 499, 0.5])

    def test_holds_nest_and_an_unheld_emit_wakes_at_once(self):
        s = self.sender
        with s.hold():
            with s.hold():
                s.emit("/live/a", ())
            self.assertFalse(s._wake.is_set(), "still held by the outer hold")
        self.assertEqual(decode_event(self.rx.recv(65536))[2], "/live/a")
        s.emit("/live/b", ())
        self.assertEqual(decode_event(self.rx.recv(65536))[2], "/live/b")


if __name__ == "__main__":
    unittest.main()
