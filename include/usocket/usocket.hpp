#pragma once
// The whole public API of usocket.

#include "usocket/address.hpp"     // IWYU pragma: export
#include "usocket/buffer.hpp"      // IWYU pragma: export
#include "usocket/connect.hpp"     // IWYU pragma: export
#include "usocket/constants.hpp"   // IWYU pragma: export
#include "usocket/error.hpp"       // IWYU pragma: export
#include "usocket/message.hpp"     // IWYU pragma: export
#include "usocket/poller.hpp"      // IWYU pragma: export
#include "usocket/resolver.hpp"    // IWYU pragma: export
#include "usocket/socket.hpp"      // IWYU pragma: export
#include "usocket/socket_file.hpp" // IWYU pragma: export
#include "usocket/stream.hpp"      // IWYU pragma: export
#include "usocket/system.hpp"      // IWYU pragma: export
