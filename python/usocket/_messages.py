"""send_fds() and recv_fds(): CPython's module functions over sendmsg() / recvmsg() with one
SCM_RIGHTS item (Lib/socket.py's, except that send_fds() passes flags and address on, which
CPython's drops)."""

import array

from usocket import _usocket


def send_fds(sock, buffers, fds, flags=0, address=None):
    """send_fds(sock, buffers, fds[, flags[, address]]) -> integer

    Send the list of file descriptors fds over an AF_UNIX socket.
    """
    return sock.sendmsg(buffers, [(_usocket.SOL_SOCKET, _usocket.SCM_RIGHTS, array.array("i", fds))], flags,
                        address)


def recv_fds(sock, bufsize, maxfds, flags=0):
    """recv_fds(sock, bufsize, maxfds[, flags]) -> (data, list of file
    descriptors, msg_flags, address)

    Receive up to maxfds file descriptors returning the message
    data and a list containing the descriptors.
    """
    # Array of ints
    fds = array.array("i")
    msg, ancdata, flags, addr = sock.recvmsg(bufsize, _usocket.CMSG_LEN(maxfds * fds.itemsize), flags)
    for cmsg_level, cmsg_type, cmsg_data in ancdata:
        if cmsg_level == _usocket.SOL_SOCKET and cmsg_type == _usocket.SCM_RIGHTS:
            fds.frombytes(cmsg_data[:len(cmsg_data) - (len(cmsg_data) % fds.itemsize)])
    return msg, list(fds), flags, addr
