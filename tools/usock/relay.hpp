#pragma once
// The relay: standard input (or --send FILE) to the socket and the socket to standard output
// (or --recv FILE), both ways at once, for a connecting or a listening usock.

#include "options.hpp"

namespace usock {

/// `usock HOST PORT`, `usock -U PATH`: connects, relays, returns the exit status.
int run_connect(const options& opt);
/// `usock -l [HOST] PORT`: waits for a peer (more peers with -k), relays, returns the status.
int run_listen(const options& opt);
/// True while the thread that reads standard input is still blocked in a read: main() must
/// then end the process with std::_Exit, as nothing can wake that thread.
bool input_thread_running() noexcept;

}  // namespace usock
