"""CPython's ssl side of tls_bench: N client handshakes against 127.0.0.1:PORT, each measured
for time, peak heap during the handshake and heap at rest after it (heap bytes from
libtls_heapcount.so, which tls_bench preloads). Prints one line:
    cpython handshakes=N median_us=... peak_bytes=... rest_bytes=...
Run by tls_bench with /usr/bin/python3: tls_bench.py PORT CAFILE N
"""

import ctypes
import socket
import ssl
import statistics
import sys
import time

port, cafile, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
heap = ctypes.CDLL(None)
heap.heapcount_current.restype = ctypes.c_longlong
heap.heapcount_peak.restype = ctypes.c_longlong

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(cafile)
times, peaks, rests = [], [], []
for i in range(n + 1):  # the first one warms up
    raw = socket.create_connection(("127.0.0.1", port))
    base = heap.heapcount_current()
    heap.heapcount_reset_peak()
    t0 = time.perf_counter()
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    t1 = time.perf_counter()
    peak = heap.heapcount_peak() - base
    rest = heap.heapcount_current() - base
    s.close()
    if i:
        times.append((t1 - t0) * 1e6)
        peaks.append(peak)
        rests.append(rest)
print(f"cpython handshakes={n} median_us={statistics.median(times):.0f} "
      f"peak_bytes={statistics.median(peaks):.0f} rest_bytes={statistics.median(rests):.0f}", flush=True)
