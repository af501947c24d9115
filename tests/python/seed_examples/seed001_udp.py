# Seed 001 (MicroPython usocket): bind(("127.0.0.1", 10000)), sendto(bytes, address) and
# recvfrom(bufsize) as the page documents them.
# Substituted: port 10000 -> 0 (the page's own address otherwise).
import usocket
addr = ("127.0.0.1", 0)
s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
s.bind(addr)
c = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
c.sendto(b"datagram", s.getsockname())
data, address = s.recvfrom(1024)
print(data, address[1] == c.getsockname()[1])
c.close()
s.close()
