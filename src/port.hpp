#pragma once
// The one reading of a port written as text, for address::parse() and parse_port()
// (src/address.cpp).

#include <string_view>
#include <system_error>

namespace usocket::detail {

/// All digits (else errc::bad_address) and at most 65535 (else errc::port_out_of_range).
bool parse_port_digits(std::string_view text, int& port, std::error_code& ec) noexcept;

}  // namespace usocket::detail
