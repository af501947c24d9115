#pragma once
// What the socket's message calls take and return: ancillary data for sendmsg()/recvmsg()
// (CPython's (level, type, data) items), the descriptors a message passes, the datagrams of
// send_many()/recv_many(), and how sendfile() sends. No OS header here.
//
// Descriptors received in SCM_RIGHTS are close-on-exec, and owned by the received_message until
// the caller takes them: whatever the caller leaves there is closed with it, so a message cut
// short (msg_ctrunc), an error after the receive or a caller that ignores the ancillary data
// never leaks one.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "usocket/address.hpp"
#include "usocket/buffer.hpp"
#include "usocket/constants.hpp"
#include "usocket/export.hpp"

namespace usocket {

class socket;

/// Owns one descriptor: closes it when destroyed, unless release()d. Move-only.
class USOCKET_API unique_handle {
public:
    unique_handle() noexcept = default;
    /// Takes ownership of `h` (invalid_handle: nothing).
    explicit unique_handle(native_handle h) noexcept : h_(h) {}
    unique_handle(unique_handle&& o) noexcept : h_(o.release()) {}
    unique_handle& operator=(unique_handle&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    unique_handle(const unique_handle&) = delete;
    unique_handle& operator=(const unique_handle&) = delete;
    ~unique_handle() { reset(); }

    /// The descriptor (still owned), or invalid_handle.
    [[nodiscard]] native_handle get() const noexcept { return h_; }
    explicit operator bool() const noexcept { return h_ != invalid_handle; }
    /// Gives the descriptor up without closing it; this object holds none after.
    [[nodiscard]] native_handle release() noexcept { return std::exchange(h_, invalid_handle); }
    /// Closes the descriptor held (errors ignored), then holds `h`.
    void reset(native_handle h = invalid_handle) noexcept;

private:
    native_handle h_ = invalid_handle;
};

/// The sender's identity, as SCM_CREDENTIALS carries it (Linux's struct ucred).
struct credentials {
    std::int32_t pid = 0;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
};

/// One ancillary data item to send: CPython's (cmsg_level, cmsg_type, cmsg_data). A view: the
/// bytes stay the caller's and must outlive the call.
struct control_message {
    option_level level{};
    option_name type{};
    const_buffer data{};

#ifdef USOCKET_HAS_SCM_RIGHTS
    /// SCM_RIGHTS: passes the descriptors `fds` (duplicated into the receiver; this process
    /// keeps its own).
    [[nodiscard]] static control_message descriptors(std::span<const native_handle> fds) noexcept {
        return {sol_socket, scm_rights, const_buffer(fds.data(), fds.size_bytes())};
    }
#endif
#ifdef USOCKET_HAS_SCM_CREDENTIALS
    /// SCM_CREDENTIALS: sends `c` (the kernel checks it: a process may send only its own
    /// identity unless privileged). The receiver sets so_passcred to get it.
    [[nodiscard]] static control_message sender(const credentials& c) noexcept {
        return {sol_socket, scm_credentials, const_buffer(&c, sizeof c)};
    }
#endif
};

/// One ancillary data item received: CPython's (cmsg_level, cmsg_type, cmsg_data).
struct received_control_message {
    option_level level{};
    option_name type{};
    /// The item's data as it arrived (an item cut short by a small buffer holds what fitted).
    /// For SCM_RIGHTS, the descriptor numbers in native byte order: the descriptors themselves
    /// are in received_message::fds.
    std::string data{};
};

/// What recvmsg() and recvmsg_into() return: CPython's (data, ancdata, msg_flags, address).
struct USOCKET_API received_message {
    /// recvmsg(): the bytes received. recvmsg_into(): empty (the bytes are in the buffers).
    std::string data{};
    /// How many bytes were received (data.size() for recvmsg()).
    std::size_t size = 0;
    /// The ancillary data items, in the order they arrived.
    std::vector<received_control_message> ancillary{};
    /// The message's flags: msg_trunc (the datagram was longer than the buffers), msg_ctrunc
    /// (ancillary data did not fit), msg_eor, msg_oob...
    msg_flags flags{};
    /// The sender; empty when the socket reports none (a connected stream socket).
    address from{};
    /// The descriptors of every SCM_RIGHTS item (an item cut short gives those that arrived
    /// whole), in order, close-on-exec. Owned here: move them out to keep them, or they are
    /// closed with this object.
    std::vector<unique_handle> fds{};
    /// True when the last item was cut short by the buffer or malformed (CPython warns
    /// "received malformed or improperly-truncated ancillary data").
    bool truncated_item = false;

    /// Gives up the descriptors without closing them, for a caller that takes over the numbers
    /// found in the SCM_RIGHTS data (the Python binding, whose callers own them as in CPython).
    [[nodiscard]] std::vector<native_handle> release_fds();
    /// The first item of `level` and `type`, or null.
    [[nodiscard]] const received_control_message* find(option_level level, option_name type) const noexcept;
    /// The credentials of an SCM_CREDENTIALS item that arrived whole (the receiver set
    /// so_passcred), or nothing.
    [[nodiscard]] std::optional<credentials> sender() const noexcept;
};

/// CMSG_LEN(n): the length of an ancillary item with `n` data bytes (its cmsg_len, without the
/// padding after it). Beyond what an item can hold: value_error (errc::size_too_large; Python's
/// OverflowError). A backend without ancillary data: value_error (errc::unsupported).
[[nodiscard]] USOCKET_API std::size_t cmsg_len(std::size_t n);
[[nodiscard]] USOCKET_API std::size_t cmsg_len(std::size_t n, std::error_code& ec) noexcept;
/// CMSG_SPACE(n): the buffer space one item with `n` data bytes takes, padding included; the
/// sum over the items is the ancillary buffer size to pass to recvmsg(). Errors as cmsg_len().
[[nodiscard]] USOCKET_API std::size_t cmsg_space(std::size_t n);
[[nodiscard]] USOCKET_API std::size_t cmsg_space(std::size_t n, std::error_code& ec) noexcept;

/// CPython's socket.send_fds(): sendmsg() of `buffers` with one SCM_RIGHTS item passing `fds`
/// (to `to` when not empty). Returns the bytes sent.
[[nodiscard]] USOCKET_API std::size_t send_fds(socket& s, std::span<const const_buffer> buffers,
                                 std::span<const native_handle> fds, msg_flags flags = {},
                                 const address& to = address());
[[nodiscard]] USOCKET_API std::size_t send_fds(socket& s, std::span<const const_buffer> buffers,
                                 std::span<const native_handle> fds, msg_flags flags, const address& to,
                                 std::error_code& ec) noexcept;
/// CPython's socket.recv_fds(): recvmsg() of at most `bufsize` bytes and room for `maxfds`
/// descriptors (cmsg_len(maxfds * sizeof(native_handle))); the descriptors are in fds.
[[nodiscard]] USOCKET_API received_message recv_fds(socket& s, std::size_t bufsize, std::size_t maxfds,
                                                    msg_flags flags = {});
[[nodiscard]] USOCKET_API received_message recv_fds(socket& s, std::size_t bufsize, std::size_t maxfds,
                                                    msg_flags flags, std::error_code& ec);

/// One datagram for send_many(): its bytes and where it goes (null: the connected peer). The
/// bytes and the address stay the caller's.
struct outgoing_datagram {
    const_buffer data{};
    const address* to = nullptr;
};

/// One datagram for recv_many(): the buffer to fill; the call sets the rest.
struct incoming_datagram {
    mutable_buffer buffer{};
    /// The datagram's length as received (at most buffer.size(); msg_trunc in flags when the
    /// datagram was longer).
    std::size_t size = 0;
    /// The sender.
    address from{};
    /// msg_trunc when the datagram did not fit.
    msg_flags flags{};
};

/// How socket::sendfile() sends a file.
enum class sendfile_method : std::uint8_t {
    automatic,  ///< the kernel's sendfile where it applies, else read and send
    kernel,     ///< the kernel's sendfile only (CPython's _sendfile_use_sendfile); errc::unsupported where it does not apply
    send_loop,  ///< read and send only (CPython's _sendfile_use_send)
};

}  // namespace usocket
