"""Test cases with known outcomes for the harness's own test (test_harness.py): it runs them
through run_test_socket.py and checks what the harness reports. Never run directly."""

import faulthandler
import os
import signal
import multiprocessing  # noqa: F401  (the harness checks it still imports after the swap)
import time
import unittest

import _socket  # noqa: F401  (the harness checks these are the swapped-in module)
import socket
from test.support import socket_helper  # noqa: F401

IS_CPYTHON = getattr(socket, "__file__", "").endswith("socket.py")


class Outcomes(unittest.TestCase):
    def test_a_pass(self):
        self.assertEqual(1, 1)

    def test_b_fail(self):
        self.assertEqual(1, 2)

    def test_c_error(self):
        raise RuntimeError("boom")

    def test_d_hang(self):
        time.sleep(600)

    def test_e_pass_after_hang(self):
        pass

    def test_f_crash(self):
        faulthandler._sigsegv()

    def test_g_pass_after_crash(self):
        pass

    def test_h_subtest_fail(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertNotEqual(i, 1)

    @unittest.skip("skipped by the file everywhere")
    def test_i_skip(self):
        pass

    @unittest.skipUnless(IS_CPYTHON, "needs CPython's socket")
    def test_j_skip_under_usocket_only(self):
        pass


class Lists(unittest.TestCase):
    def test_permanent(self):
        raise AssertionError("a permanent skip must not run")

    def test_environment(self):
        raise AssertionError("an environment skip must not run")

    def test_known_fails(self):
        self.fail("listed as a known failure")

    def test_known_passes(self):
        pass


class FixtureError(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("setUpClass failed")

    def test_never_runs(self):
        pass


class TeardownHang(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        time.sleep(600)

    def test_ok(self):
        pass


class Stopped(unittest.TestCase):
    def test_stopped(self):
        # Stops the watchdog thread too: only the parent's own bound can end it.
        os.kill(os.getpid(), signal.SIGSTOP)
