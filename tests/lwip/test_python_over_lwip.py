"""Code written for seeds 000 and 001 (the module on lwIP boards) runs on this host over a real
lwIP stack: the `usocket` module built with the lwIP backend, each process with its own stack,
attached to a usocket-netsim hub (server 10.77.0.2, client 10.77.0.3), nothing through the
kernel's IP stack. The seeds' examples are tests/python/seed_examples/, with their hosts changed
to the hub's addresses and their ports to the seeds' own (8080, 80). Ctrl-C reaches Python while
a call blocks in lwIP (which never returns EINTR itself). Run by /usr/bin/python3 with pytest."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

NETSIM = os.environ["USOCKET_NETSIM"]
EXAMPLES = os.environ["USOCKET_SEED_EXAMPLES"]
PYTHON = sys.executable
SERVER, CLIENT = "10.77.0.2", "10.77.0.3"


@pytest.fixture
def hub(tmp_path):
    """A hub of our own; its log names its seed."""
    path = str(tmp_path / "hub")
    log = open(tmp_path / "hub.log", "w")
    proc = subprocess.Popen([NETSIM, path], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(500):
        if os.path.exists(path):
            break
        time.sleep(0.01)
    else:
        pytest.fail("usocket-netsim did not start")
    yield path
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def env_for(hub, address):
    env = dict(os.environ)
    env.update(USOCKET_LWIP_NET=hub, USOCKET_LWIP_ADDR=address + "/24")
    return env


def seed_script(tmp_path, name, **replace):
    """The seed's example with `old=new` text replacements (each must apply)."""
    with open(os.path.join(EXAMPLES, name)) as f:
        text = f.read()
    for old, new in replace.values():
        assert old in text, (name, old)
        text = text.replace(old, new)
    out = tmp_path / name
    out.write_text(text)
    return str(out)


def write(tmp_path, name, text):
    out = tmp_path / name
    out.write_text(text)
    return str(out)


def start(path, env):
    return subprocess.Popen([PYTHON, path], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=30):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out


# A usocket server over lwIP for the seeds' clients: accepts one connection on SERVER:PORT and
# runs HANDLER on it.
SERVER_CODE = """
import usocket as socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((%r, %d))
s.listen(1)
print("READY", flush=True)
s.settimeout(30)
conn, addr = s.accept()
conn.settimeout(30)
%s
conn.close()
s.close()
"""

# A usocket client over lwIP for the seeds' servers: connects (again while the server is not
# listening yet, for 10 s at most) and runs HANDLER.
CLIENT_CODE = """
import time
import usocket as socket
for attempt in range(100):
    s = socket.socket()
    s.settimeout(30)
    try:
        s.connect((%r, %d))
        break
    except ConnectionRefusedError:
        s.close()
        time.sleep(0.1)
%s
s.close()
"""


def wait_ready(proc):
    line = proc.stdout.readline()
    assert line.strip() == "READY", proc.stderr.read()


def test_seed000_getaddrinfo_and_seed001_udp_run_as_written():
    # localhost and 127.0.0.1: lwIP's own loopback, no hub needed.
    out = subprocess.run([PYTHON, os.path.join(EXAMPLES, "seed000_getaddrinfo.py")], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "('127.0.0.1', 80)" in out.stdout
    out = subprocess.run([PYTHON, os.path.join(EXAMPLES, "seed001_udp.py")], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "b'datagram' True"


def test_seed000_accept_session(hub, tmp_path):
    server = start(seed_script(tmp_path, "seed000_accept.py", a=('("127.0.0.1", 0)', '("%s", 8080)' % SERVER)),
                   env_for(hub, SERVER))
    client = write(tmp_path, "client.py", CLIENT_CODE % (SERVER, 8080, """
assert s.recv(100) == b"hello! client"
s.sendall(b"0123456789")
print("client done")
"""))
    assert finish(start(client, env_for(hub, CLIENT))).strip() == "client done"
    finish(server)


def test_seed000_client(hub, tmp_path):
    server = start(write(tmp_path, "server.py", SERVER_CODE % (SERVER, 8080, """
data = conn.recv(5)
conn.sendall(b"hello")
print(data)
""")), env_for(hub, SERVER))
    wait_ready(server)
    client = seed_script(tmp_path, "seed000_client.py", a=('"127.0.0.1"', '"%s"' % SERVER))
    assert finish(start(client, env_for(hub, CLIENT))).strip() == "b'hello'"
    assert finish(server).strip() == "b'hello'"


def test_seed001_client(hub, tmp_path):
    server = start(write(tmp_path, "server.py", SERVER_CODE % (SERVER, 80, """
request = conn.recv(1024)
conn.sendall(b"HTTP/1.0 200 OK\\r\\n\\r\\n")
print(request)
""")), env_for(hub, SERVER))
    wait_ready(server)
    client = seed_script(tmp_path, "seed001_client.py", a=("'127.0.0.1'", "'%s'" % SERVER))
    out = finish(start(client, env_for(hub, CLIENT)))
    assert "200 OK" in out
    assert finish(server).startswith("b'GET / HTTP/1.0")


BLOCKED_CODE = """
import usocket as socket
s = socket.socket()
s.bind((%r, 8080))
s.listen(1)
%s
print("BLOCKING", flush=True)
%s
"""


@pytest.mark.parametrize("call", ["accept", "recv", "select"])
def test_ctrl_c_interrupts_a_call_blocked_in_lwip(hub, tmp_path, call):
    setup = {
        "accept": "",
        "recv": "a, b = socket.socketpair()",
        "select": "import usocket as uselect",
    }[call]
    blocked = {
        "accept": "s.accept()",
        "recv": "b.recv(16)",
        "select": "socket.select([s], [], [])",
    }[call]
    proc = start(write(tmp_path, "blocked.py", BLOCKED_CODE % (SERVER, setup, blocked)), env_for(hub, SERVER))
    assert proc.stdout.readline().strip() == "BLOCKING", proc.stderr.read()
    time.sleep(0.3)  # well inside the call
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    took = time.monotonic() - t0
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in err, err
    assert took < 2.0, "Ctrl-C took %.2f s" % took


# The seed dialects over lwIP, in one process on its own stack (lwIP's loopback): the board's
# repr, millisecond timeouts, Zerynth's recv keeping bytes on a timeout part-way.
DIALECTS_CODE = """
import time
import usocket.lwip_board as lb
import usocket.zerynth as zy

l = lb.socket(); l.bind(("127.0.0.1", 0)); l.listen(2)
c = lb.socket(); c.settimeout(5000); c.connect(l.getsockname())
s, addr = l.accept()
assert c.gettimeout() == 5000, c.gettimeout()
assert repr(s).startswith("<socket state=2 timeout=-1 "), repr(s)
c.send("hello\\nrest")
assert s.readline() == b"hello\\n"
s.close(); c.close(); l.close()
entry = lb.getaddrinfo("127.0.0.1", 80)
assert len(entry) == 1 and entry[0][-1] == ("127.0.0.1", 80), entry

l = zy.socket(); l.bind(0); l.listen()
c = zy.socket(); c.connect(("127.0.0.1", l.getsockname()[1]))
s, _ = l.accept()
s.sendtimeout(300)
c.sendall(b"abcd")
try:
    s.recv(10)
    raise AssertionError("recv(10) returned with 4 bytes")
except TimeoutError:
    pass
c.sendall(b"efghij")
got = s.recv(10)
assert got == bytearray(b"abcdefghij") and isinstance(got, bytearray), got
c.write(b"0123456789", 2, 3)
assert s.recv(3) == bytearray(b"234")
for x in (c, s, l):
    x.close()
print("DIALECTS OK")
"""


def test_seed_dialects_over_lwip(hub, tmp_path):
    out = finish(start(write(tmp_path, "dialects.py", DIALECTS_CODE), env_for(hub, SERVER)))
    assert "DIALECTS OK" in out
