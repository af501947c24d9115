#pragma once
// The peers, when the build found them (bench/CMakeLists.txt): standalone Asio and libuv.

#ifdef USOCKET_BENCH_ASIO
#include <asio.hpp>
#endif
#ifdef USOCKET_BENCH_UV
#include <uv.h>
#endif

namespace bench {

#ifdef USOCKET_BENCH_UV
/// Closes the handles (and with them their descriptors), lets the loop finish, closes it.
template <class... Handles>
void uv_close_all(uv_loop_t& loop, Handles&... handles) {
    (uv_close(reinterpret_cast<uv_handle_t*>(&handles), nullptr), ...);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}
#endif

}  // namespace bench
