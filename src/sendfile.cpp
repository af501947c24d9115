// socket::sendfile(): a file over a stream socket under one deadline, by the kernel's sendfile
// where it applies and by reading and sending otherwise (CPython's socket.sendfile, with its
// _sendfile_use_sendfile and _sendfile_use_send as sendfile_method::kernel and ::send_loop).

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "or_throw.hpp"
#include "sock_call.hpp"
#include "socket_state.hpp"
#include "sys.hpp"
#include "transport.hpp"
#include "usocket/socket.hpp"

namespace usocket {

namespace {

// The most one kernel call is asked for (CPython's bpo-38319: 1 GiB).
constexpr std::size_t kernel_piece = std::size_t{1} << 30;
// The read size of the send loop.
constexpr std::size_t loop_piece = 16384;

// After a piece that was not the last: the interrupt check, and a close by another thread.
bool stop_after_piece(const detail::socket_state& st, std::error_code& ec) noexcept {
    if (detail::interrupted_after_progress(ec)) return true;
    if (st.closed()) {
        ec = detail::bad_descriptor();
        return true;
    }
    return false;
}

// The kernel's sendfile until `count` bytes (0: the end of the file). Returns false, with `ec`
// cleared and nothing sent, when the kernel cannot send this file and the caller may fall back.
bool send_by_kernel(detail::socket_state& st, native_handle file, std::uint64_t offset, std::size_t count,
                    bool may_fall_back, detail::deadline& dl, std::size_t& sent, std::error_code& ec) noexcept {
    bool regular = false;
    std::uint64_t size = 0;
    if (!sys::file_info(file, regular, size, ec) || !regular) {
        if (!ec) ec = errc::unsupported;  // a pipe or a device: sendfile wants a file it can map
        if (!may_fall_back) return true;
        ec.assign(0, ec.category());
        return false;
    }
    while (count == 0 || sent < count) {
        const std::size_t piece = count == 0 ? kernel_piece : std::min(count - sent, kernel_piece);
        const sys::ssize n = detail::sock_call(
            st, detail::caller::socket, sys::wait_for::write, dl,
            [&](std::error_code& e) { return sys::sendfile(st.fd, file, offset + sent, piece, e); }, ec);
        if (n < 0) {
            // As CPython: a kernel that refuses before the first byte leaves the file to the send
            // loop; a timeout or an interruption is the call's own outcome.
            if (sent == 0 && may_fall_back && !is_timeout(ec) && !is_interrupted(ec) && !st.closed()) {
                ec.assign(0, ec.category());
                return false;
            }
            return true;
        }
        if (n == 0) break;  // the end of the file
        sent += static_cast<std::size_t>(n);
        if ((count == 0 || sent < count) && stop_after_piece(st, ec)) break;
    }
    return true;
}

// Reads and sends until `count` bytes (0: the end of the file).
void send_by_loop(detail::socket_state& st, native_handle file, std::uint64_t offset, std::size_t count,
                  detail::deadline& dl, std::size_t& sent, bool& positional, std::error_code& ec) noexcept {
    // A regular file is read at the offset; a pipe (or anything else) from where it is, when the
    // offset is 0 (another offset fails there, as CPython's seek does).
    bool regular = false;
    std::uint64_t size = 0;
    if (!sys::file_info(file, regular, size, ec)) return;
    positional = regular || offset != 0;
    std::byte buf[loop_piece];
    while (count == 0 || sent < count) {
        const std::size_t want = count == 0 ? loop_piece : std::min(count - sent, loop_piece);
        const sys::ssize got = sys::read_file(file, buf, want, offset + sent, positional, ec);
        if (got < 0) {
            if (ec.value() == sys::err_intr && !detail::give_up_after_interrupt()) {
                ec.assign(0, ec.category());
                continue;
            }
            return;
        }
        if (got == 0) return;  // the end of the file
        std::size_t done = 0;
        while (done < static_cast<std::size_t>(got)) {
            const std::byte* p = buf + done;
            const std::size_t left = static_cast<std::size_t>(got) - done;
            sys::ssize n;
            if (st.tr != nullptr) [[unlikely]]
                n = st.tr->write_some(st, p, left, dl, ec);
            else
                n = detail::sock_call(
                    st, detail::caller::socket, sys::wait_for::write, dl,
                    [&](std::error_code& e) { return sys::send(st.fd, p, left, msg_flags{}, e); }, ec);
            if (n < 0) return;
            done += static_cast<std::size_t>(n);
            sent += static_cast<std::size_t>(n);
            if ((count == 0 || sent < count) && stop_after_piece(st, ec)) return;
        }
    }
}

}  // namespace

std::size_t socket::sendfile(native_handle file, std::uint64_t offset, std::size_t count, sendfile_method how,
                             std::error_code& ec) noexcept {
    detail::clear_error(ec);
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) {
        ec = detail::bad_descriptor();
        return 0;
    }
    // CPython's ValueErrors: "only SOCK_STREAM type sockets are supported", "non-blocking
    // sockets are not supported".
    detail::deadline dl = detail::call_deadline(*st);
    if (st->type != sock_stream || dl.non_blocking()) {
        ec = errc::invalid_argument;
        return 0;
    }
    if (file == invalid_handle || file < 0) {
        ec = detail::bad_descriptor();
        return 0;
    }
    dl.start();  // one deadline for the whole call, from now
    std::size_t sent = 0;
    bool positional = true;
    bool done = false;
    if (how != sendfile_method::send_loop) {
        if (st->tr != nullptr) {  // the kernel cannot encrypt
            if (how == sendfile_method::kernel) {
                ec = errc::unsupported;
                return 0;
            }
        } else {
            done = send_by_kernel(*st, file, offset, count, how == sendfile_method::automatic, dl, sent, ec);
        }
    }
    if (!done) send_by_loop(*st, file, offset, count, dl, sent, positional, ec);
    // The file is left after the last byte sent, as CPython's file.seek(offset + sent).
    if (sent != 0 && positional) {
        std::error_code ignored;
        sys::seek_file(file, offset + sent, ignored);
    }
    return sent;
}

std::size_t socket::sendfile(native_handle file, std::uint64_t offset, std::size_t count, sendfile_method how) {
    return detail::or_throw("sendfile", [&](std::error_code& ec) { return sendfile(file, offset, count, how, ec); });
}

}  // namespace usocket
