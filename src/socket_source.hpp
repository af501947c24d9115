#pragma once
// A socket's state as the stream layer's byte_source: the transport plugged into the state when
// there is one (TLS), else recv/send on the descriptor through the blocking core.

#include "read_buffer.hpp"
#include "sock_call.hpp"
#include "socket_state.hpp"
#include "transport.hpp"

namespace usocket::detail {

class socket_source final : public byte_source {
public:
    socket_source(socket_state& st, caller who) noexcept : st_(st), who_(who) {}

    sys::ssize read_some(std::byte* data, std::size_t size, deadline& dl, std::error_code& ec) noexcept override {
        if (st_.tr != nullptr) [[unlikely]]
            return st_.tr->read_some(st_, data, size, dl, ec);
        return sock_call(
            st_, who_, sys::wait_for::read, dl,
            [&](std::error_code& e) { return sys::recv(st_.fd, data, size, msg_flags{}, e); }, ec);
    }
    sys::ssize write_some(const std::byte* data, std::size_t size, deadline& dl, std::error_code& ec) noexcept override {
        if (st_.tr != nullptr) [[unlikely]]
            return st_.tr->write_some(st_, data, size, dl, ec);
        return sock_call(
            st_, who_, sys::wait_for::write, dl,
            [&](std::error_code& e) { return sys::send(st_.fd, data, size, msg_flags{}, e); }, ec);
    }
    bool gone() const noexcept override { return who_ == caller::socket ? st_.closed() : st_.released(); }

private:
    socket_state& st_;
    caller who_;
};

}  // namespace usocket::detail
