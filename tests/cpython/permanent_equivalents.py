"""For each [permanent] entry of skips.txt whose test checks a public behaviour through a
private name of CPython's Lib/socket.py, the same behaviour checked on usocket through public
names only, so that skipping the test loses no coverage. Run by CTest."""

import errno
import sys

import usocket as socket


def test_close_exception():
    # GeneralModuleTests.testCloseException, without socket._LOCALHOST.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    socket.socket(fileno=sock.fileno()).close()
    try:
        sock.close()
    except OSError as err:
        assert err.errno == errno.EBADF, err
    else:
        raise AssertionError("close() should raise EBADF")


def test_repr_is_the_python_level_one():
    # GeneralModuleTests.test_csocket_repr: usocket has one type, with socket.socket's repr
    # (test_repr checks the open form); here the closed form, which test_csocket_repr checks.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.close()
    assert "[closed]" in repr(s) and "fd=-1" in repr(s), repr(s)


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("test_"):
            fn()
            print("ok", name)
