#pragma once
// The test hook of the batched datagram calls (src/batch.cpp): the one-call-per-datagram path
// even where the system has sendmmsg/recvmmsg, so that tests run both. Test builds only
// (USOCKET_FAULT_INJECTION).

#include "usocket/export.hpp"

namespace usocket::testing {
/// send_many()/recv_many() use one system call per datagram while `on`.
USOCKET_API void force_portable_batches(bool on) noexcept;
}  // namespace usocket::testing
