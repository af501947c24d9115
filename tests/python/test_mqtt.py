"""MicroPython's MQTT client umqtt.simple runs unchanged on usocket: its socket calls (write(pkt, n)
with MicroPython's max_len form, read(1), read(n), setblocking() around a non-blocking check),
made by a minimal MQTT 3.1.1 client of this test, against Debian's mosquitto broker on
loopback. Skipped where mosquitto is not installed (CI installs it: .ci/packages.txt)."""

import os
import shutil
import socket as cpython_socket
import struct
import subprocess
import time

import pytest

import usocket

MOSQUITTO = shutil.which("mosquitto") or next(
    (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if os.path.exists(p)), None)


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """The port of a mosquitto broker listening on 127.0.0.1 (a free port: bound 0, then closed)."""
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (Debian's package mosquitto; CI installs it)")
    conf = tmp_path_factory.mktemp("mosquitto") / "mosquitto.conf"
    for _ in range(5):  # another process may take the free port before the broker does
        with cpython_socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        conf.write_text("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                        "log_dest stderr\nlog_type error\n" % port)
        proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                cpython_socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            try:
                yield port
            finally:
                proc.terminate()
                proc.communicate(timeout=30)
            return
        proc.communicate(timeout=30)
    pytest.fail("mosquitto did not start")


class MQTTError(Exception):
    pass


class MiniMQTT:
    """A minimal MQTT 3.1.1 client making the socket calls micropython-lib's umqtt.simple makes,
    in its order: the fixed header of a packet is a bytearray written with write(pkt, n), strings
    go as write(length) then write(text), replies are read with read(1) and read(n)."""

    def __init__(self, mod, client_id, port):
        self.mod, self.client_id, self.port = mod, client_id, port
        self.sock = None
        self.pid = 0
        self.received = []

    def _write_str(self, s):
        self.sock.write(struct.pack("!H", len(s)))
        self.sock.write(s)

    @staticmethod
    def _put_length(pkt, size):
        """MQTT's remaining length into pkt from byte 1; the index of its last byte."""
        i = 1
        while size > 0x7F:
            pkt[i] = (size & 0x7F) | 0x80
            size >>= 7
            i += 1
        pkt[i] = size
        return i

    def _read_length(self):
        n = shift = 0
        while True:
            b = self.sock.read(1)[0]
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7

    def connect(self, timeout=None):
        self.sock = self.mod.socket()
        self.sock.settimeout(timeout)
        addr = self.mod.getaddrinfo("127.0.0.1", self.port)[0][-1]
        self.sock.connect(addr)
        head = bytearray(b"\x10\0\0\0\0\0")
        # The protocol name's length, 0x0004, straddles the two: its high byte is the zero after
        # the remaining length in head, which write(head, i + 2) sends.
        variable = bytearray(b"\x04MQTT\x04\x02\0\0")  # protocol 3.1.1, clean session, no keepalive
        i = self._put_length(head, 10 + 2 + len(self.client_id))
        self.sock.write(head, i + 2)
        self.sock.write(variable)
        self._write_str(self.client_id)
        resp = self.sock.read(4)
        if resp[0] != 0x20 or resp[1] != 0x02 or resp[3] != 0:
            raise MQTTError(resp)

    def publish(self, topic, msg, qos=0):
        pkt = bytearray(b"\x30\0\0\0")
        pkt[0] |= qos << 1
        i = self._put_length(pkt, 2 + len(topic) + len(msg) + (2 if qos else 0))
        self.sock.write(pkt, i + 1)
        self._write_str(topic)
        if qos:
            self.pid += 1
            struct.pack_into("!H", pkt, 0, self.pid)
            self.sock.write(pkt, 2)
        self.sock.write(msg)
        if qos == 1:
            while self.wait_msg() != 0x40:
                pass
            assert self.sock.read(1) == b"\x02"
            assert struct.unpack("!H", self.sock.read(2))[0] == self.pid

    def subscribe(self, topic, qos=0):
        pkt = bytearray(b"\x82\0\0\0")
        self.pid += 1
        struct.pack_into("!BH", pkt, 1, 2 + 2 + len(topic) + 1, self.pid)
        self.sock.write(pkt)
        self._write_str(topic)
        self.sock.write(qos.to_bytes(1, "little"))
        while self.wait_msg() != 0x90:
            pass
        resp = self.sock.read(4)
        if resp[1:3] != pkt[2:4] or resp[3] == 0x80:
            raise MQTTError(resp)

    def wait_msg(self):
        """One packet: None for nothing (non-blocking) or PINGRESP, else its type byte."""
        res = self.sock.read(1)
        self.sock.setblocking(True)
        if res is None:
            return None
        if res == b"":
            raise OSError(-1, "the broker closed the connection")
        if res == b"\xd0":  # PINGRESP
            assert self.sock.read(1)[0] == 0
            return None
        op = res[0]
        if op & 0xF0 != 0x30:
            return op
        size = self._read_length()
        topic_len = self.sock.read(2)
        topic_len = topic_len[0] << 8 | topic_len[1]
        topic = self.sock.read(topic_len)
        size -= topic_len + 2
        if op & 6:
            pid = self.sock.read(2)
            size -= 2
        self.received.append((topic, self.sock.read(size)))
        if op & 6 == 2:  # QoS 1: acknowledge
            ack = bytearray(b"\x40\x02\0\0")
            ack[2:4] = pid
            self.sock.write(ack)
        return op

    def check_msg(self):
        self.sock.setblocking(False)
        return self.wait_msg()

    def ping(self):
        self.sock.write(b"\xc0\0")

    def disconnect(self):
        self.sock.write(b"\xe0\0")
        self.sock.close()


def test_umqtt_simple_calls_against_mosquitto(broker):
    topic = b"usocket/test"
    sub = MiniMQTT(usocket, b"usocket-sub", broker)
    pub = MiniMQTT(usocket, b"usocket-pub", broker)
    sub.connect(timeout=30)
    try:
        sub.subscribe(topic, qos=1)
        assert sub.check_msg() is None  # nothing yet: read(1) of a non-blocking socket is None
        pub.connect(timeout=30)
        try:
            pub.publish(topic, b"hello")
            big = bytes(range(256)) * 2  # a remaining length of two bytes: write(pkt, 3)
            pub.publish(topic, big, qos=1)  # waits for the broker's PUBACK
            pub.ping()
            pub.sock.settimeout(30)
            assert pub.wait_msg() is None  # PINGRESP
        finally:
            pub.disconnect()
        deadline = time.monotonic() + 30
        while len(sub.received) < 2 and time.monotonic() < deadline:
            usocket.select([sub.sock], [], [], 1)  # counts bytes the socket holds buffered
            sub.check_msg()
        assert sub.received == [(topic, b"hello"), (topic, big)]
        assert sub.check_msg() is None
    finally:
        sub.disconnect()
