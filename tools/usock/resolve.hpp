#pragma once
// usock resolve NAME [SERVICE]: the getaddrinfo() table.

#include "options.hpp"

namespace usock {

/// Prints one line per getaddrinfo() result (family, type, protocol, canonical name,
/// address) on standard output. Throws failure when the name does not resolve.
int run_resolve(const options& opt);

}  // namespace usock
