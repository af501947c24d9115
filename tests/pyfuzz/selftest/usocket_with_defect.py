"""usocket with a defect put back, for the fuzzer's self-test: recv(0) waits for data (issue 11,
defect 3; CPython returns b"" at once). A run against this module must fail and show a shrunk
sequence that calls recv(0)."""

import time

import usocket
from usocket import *  # noqa: F401,F403


class socket(usocket.socket):
    def recv(self, bufsize, flags=0):
        if bufsize == 0:
            time.sleep(5)
        return super().recv(bufsize, flags)
