"""The command port with real sockets: the nc-style client Hammerspoon uses,
concurrent, slow and junk clients, and rebinding after stop()."""

import json
import shutil
import socket
import subprocess
import threading
import time
import unittest

from support import script_module, tcp_command

server_mod = script_module("server")


class Handler(object):
    def __init__(self):
        self.lines = []
        self.gate = None  # an Event a "slow" command waits on

    def __call__(self, line):
        self.lines.append(line)
        if line == "SLOW" and self.gate is not None:
            self.gate.wait(5)
        if line == "BOOM":
            raise RuntimeError("handler bug")
        return {"success": True, "echo": line}


class ServerTest(unittest.TestCase):
    def setUp(self):
        self.handler = Handler()
        self.srv = server_mod.CommandServer("127.0.0.1", 0, self.handler)
        self.srv.start()
        self.addr = self.srv.wait_bound()
        self.assertIsNotNone(self.addr)
        self.port = self.addr[1]

    def tearDown(self):
        self.srv.stop()

    def reply(self, payload, **kw):
        raw = tcp_command(self.port, payload, **kw)
        self.assertTrue(raw.endswith(b"\n"), raw)
        self.assertEqual(raw.count(b"\n"), 1, "exactly one JSON object per connection")
        return json.loads(raw.decode("utf-8"))

    def test_one_line_one_reply(self):
        self.assertEqual(self.reply(b"GET_VIEW\n"), {"success": True, "echo": "GET_VIEW"})

    def test_newline_optional(self):
        self.assertEqual(self.reply(b"PING")["echo"], "PING")
        self.assertEqual(self.reply(b"PING\r\n")["echo"], "PING")

    def test_newline_optional_while_the_client_keeps_its_side_open(self):
        # A client (hs.socket, a script) writes the command without a newline
        # and waits for the reply without closing its side.
        t0 = time.monotonic()
        raw = tcp_command(self.port, b"PING", shutdown=False)
        self.assertEqual(json.loads(raw.decode())["echo"], "PING")
        self.assertLess(time.monotonic() - t0, server_mod.CLIENT_TIMEOUT, "answered after a pause, not a timeout")

    @unittest.skipUnless(shutil.which("nc"), "nc not installed")
    def test_nc_without_newline(self):
        # Debian's nc does not half-close on end of input: only the pause ends the line.
        out = subprocess.run("printf GET_VIEW | nc -w 1 127.0.0.1 %d" % self.port, shell=True,
                             stdout=subprocess.PIPE, timeout=10).stdout
        self.assertEqual(json.loads(out.decode()), {"success": True, "echo": "GET_VIEW"})

    @unittest.skipUnless(shutil.which("nc"), "nc not installed")
    def test_hammerspoon_nc_command(self):
        # Exactly what Hammerspoon configs run.
        out = subprocess.run("echo 'GET_VIEW' | nc -w 1 127.0.0.1 %d" % self.port, shell=True,
                             stdout=subprocess.PIPE, timeout=10).stdout
        self.assertEqual(json.loads(out.decode()), {"success": True, "echo": "GET_VIEW"})

    def test_binary_junk(self):
        r = self.reply(b"\xff\xfe\x00\x01garbage\n")
        self.assertFalse(r["success"])
        self.assertIn("binary", r["error"])
        self.assertEqual(self.handler.lines, [])

    def test_line_longer_than_64k(self):
        r = self.reply(b"A" * (70 * 1024) + b"\n")
        self.assertEqual(r, {"success": False, "error": "command line longer than 64 KiB"})

    def test_empty_line(self):
        self.assertFalse(self.reply(b"\n")["success"])

    def test_handler_exception_becomes_an_error_reply(self):
        r = self.reply(b"BOOM\n")
        self.assertFalse(r["success"])
        self.assertIn("handler bug", r["error"])
        self.assertTrue(self.reply(b"PING\n")["success"], "server survives")

    def test_silent_client_times_out_without_delaying_others(self):
        silent = socket.create_connection(("127.0.0.1", self.port))
        try:
            t0 = time.monotonic()
            for _ in range(20):
                self.assertTrue(self.reply(b"PING\n")["success"])
            self.assertLess(time.monotonic() - t0, server_mod.CLIENT_TIMEOUT,
                            "other clients were served while one stayed silent")
            silent.settimeout(server_mod.CLIENT_TIMEOUT + 3)
            r = json.loads(silent.recv(65536).decode())
            self.assertEqual(r["error"], "no command received within 2 s")
        finally:
            silent.close()

    def test_slow_command_does_not_block_others(self):
        self.handler.gate = threading.Event()
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("r", self.reply(b"SLOW\n")))
        t.start()
        try:
            for _ in range(5):
                self.assertTrue(self.reply(b"PING\n")["success"])
            self.assertNotIn("r", result)
        finally:
            self.handler.gate.set()
            t.join(5)
        self.assertEqual(result["r"]["echo"], "SLOW")

    def test_many_clients_at_once(self):
        out = []
        lock = threading.Lock()

        def client(i):
            r = self.reply(("CMD%d\n" % i).encode())
            with lock:
                out.append(r["echo"])

        threads = [threading.Thread(target=client, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        self.assertEqual(sorted(out), sorted("CMD%d" % i for i in range(40)))

    def test_stop_frees_the_port_for_a_new_server_20_times(self):
        port = self.port
        self.srv.stop()
        for i in range(20):
            srv = server_mod.CommandServer("127.0.0.1", port, self.handler)
            srv.start()
            self.assertEqual(srv.wait_bound(), ("127.0.0.1", port), "round %d" % i)
            self.assertEqual(json.loads(tcp_command(port, b"PING\n").decode())["echo"], "PING")
            t0 = time.monotonic()
            srv.stop()
            self.assertLess(time.monotonic() - t0, 1.0)
            self.assertFalse(srv._thread)

    def test_a_thousand_bad_connections_do_not_lock_out_a_real_client(self):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 2400:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        bad = []
        try:
            for i in range(1000):
                c = socket.create_connection(("127.0.0.1", self.port))
                kind = i % 4
                if kind == 1:
                    c.sendall(b"\x00\xff junk without end")  # half a line, never finished
                elif kind == 2:
                    c.sendall(b"S")  # a slow client: one byte, then nothing
                elif kind == 3:
                    c.sendall(b"X" * 70000)  # oversized: answered and closed at once
                bad.append(c)
            # A Hammerspoon-style client is still answered, and not with "busy".
            for _ in range(5):
                r = self.reply(b"PING\n", timeout=5)
                self.assertEqual(r, {"success": True, "echo": "PING"})
            self.assertLessEqual(self.srv.evicted, 1000 - server_mod.MAX_OPEN + 10)
        finally:
            for c in bad:
                c.close()

    def test_port_taken_is_reported_and_retried(self):
        taker = socket.socket()
        taker.bind(("127.0.0.1", 0))
        taker.listen(1)
        port = taker.getsockname()[1]
        told = []
        srv = server_mod.CommandServer("127.0.0.1", port, self.handler, told.append)
        srv.start()
        try:
            deadline = time.monotonic() + 2
            while not told and time.monotonic() < deadline:
                time.sleep(0.01)
            self.assertTrue(told)
            self.assertIn("port %d is used by another program" % port, told[0])
            self.assertIsNone(srv.address)
            taker.close()
            self.assertEqual(srv.wait_bound(server_mod.RETRY_BIND + 2), ("127.0.0.1", port))
        finally:
            taker.close()
            t0 = time.monotonic()
            srv.stop()
            self.assertLess(time.monotonic() - t0, 1.0)


if __name__ == "__main__":
    unittest.main()
