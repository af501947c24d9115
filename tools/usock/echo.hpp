#pragma once
// usock --echo: serve as an echo server.

#include "options.hpp"

namespace usock {

/// Listens as the options say and sends back whatever any client sends, to many clients at
/// once, until killed. Throws failure when it cannot listen.
int run_echo(const options& opt);

}  // namespace usock
