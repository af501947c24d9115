#pragma once
// The types of the module's constants. Each kind (a family, a socket type, a protocol, an option
// level, an option name, message flags, ...) is a type of its own that converts to int, so a
// constant can go wherever the system expects an int, appear in a switch or a constexpr, and be
// printed; but no kind converts to another, so socket(sock_stream, af_inet) does not compile.
// A value the library has no name for (a family from a file descriptor, a number a binding got
// from its caller) is made explicitly: usocket::address_family{17}. A literal 0 converts to any
// kind (as Qt's QFlags does), so the C habit of passing 0 for "no flags" or "any protocol"
// still compiles: s.send(data, 0), getaddrinfo(host, port, 0, 0, 0, 0).
//
// The values themselves are the backend's (usocket/platform.hpp, generated when the library is
// configured): POSIX and lwIP number them differently.

#include <cstdint>

namespace usocket {

namespace detail {

/// What a literal 0 (and only a literal) converts to: a null pointer to a member of a type
/// nobody can name.
struct zero_only {
    int unused;
};
using literal_zero = int zero_only::*;

/// One kind of constant: an int that converts out implicitly and in only explicitly.
template <class Kind>
class constant_value {
public:
    constexpr constant_value() noexcept = default;
    constexpr explicit constant_value(int v) noexcept : v_(v) {}
    constexpr constant_value(literal_zero) noexcept {}  // NOLINT(google-explicit-constructor)
    constexpr operator int() const noexcept { return v_; }  // NOLINT(google-explicit-constructor)
    constexpr int value() const noexcept { return v_; }

private:
    int v_ = 0;
};

/// A kind whose values combine as bits (msg_peek | msg_dontwait).
template <class Kind>
class flag_value : public constant_value<Kind> {
public:
    using constant_value<Kind>::constant_value;
    friend constexpr Kind operator|(Kind a, Kind b) noexcept { return Kind(a.value() | b.value()); }
    friend constexpr Kind operator&(Kind a, Kind b) noexcept { return Kind(a.value() & b.value()); }
    friend constexpr Kind operator^(Kind a, Kind b) noexcept { return Kind(a.value() ^ b.value()); }
    friend constexpr Kind operator~(Kind a) noexcept { return Kind(~a.value()); }
    friend constexpr Kind& operator|=(Kind& a, Kind b) noexcept { return a = a | b; }
    friend constexpr Kind& operator&=(Kind& a, Kind b) noexcept { return a = a & b; }
    /// True when any bit of `b` is set in `a`.
    friend constexpr bool has_any(Kind a, Kind b) noexcept { return (a.value() & b.value()) != 0; }
};

}  // namespace detail

/// An address family: af_inet, af_inet6, af_unix...
class address_family : public detail::constant_value<address_family> {
public:
    using constant_value::constant_value;
};

/// A socket type (sock_stream, sock_dgram...), optionally with sock_nonblock | sock_cloexec.
class socket_type : public detail::flag_value<socket_type> {
public:
    using flag_value::flag_value;
};

/// A protocol number (ipproto_tcp...). Also an option level: setsockopt(ipproto_tcp, ...).
class protocol : public detail::constant_value<protocol> {
public:
    using constant_value::constant_value;
};

/// The level of a socket option: sol_socket, or a protocol (ipproto_tcp, ipproto_ipv6...).
class option_level : public detail::constant_value<option_level> {
public:
    using constant_value::constant_value;
    constexpr option_level(protocol p) noexcept : constant_value(p.value()) {}  // NOLINT
};

/// The name of a socket option at its level: so_reuseaddr, tcp_nodelay, ipv6_v6only...
class option_name : public detail::constant_value<option_name> {
public:
    using constant_value::constant_value;
};

/// Flags of a send or receive call: msg_peek, msg_dontwait...
class msg_flags : public detail::flag_value<msg_flags> {
public:
    using flag_value::flag_value;
};

/// Which directions shutdown() closes: shut_rd, shut_wr, shut_rdwr.
class shutdown_how : public detail::constant_value<shutdown_how> {
public:
    using constant_value::constant_value;
};

/// Flags of getaddrinfo(): ai_passive, ai_canonname...
class addrinfo_flags : public detail::flag_value<addrinfo_flags> {
public:
    using flag_value::flag_value;
};

/// Flags of getnameinfo(): ni_numerichost, ni_namereqd...
class nameinfo_flags : public detail::flag_value<nameinfo_flags> {
public:
    using flag_value::flag_value;
};

}  // namespace usocket
