// The program every consumer project under tests/package/ builds: it uses usocket the way an
// application would, through <usocket/usocket.hpp> only. It opens a connected socket pair,
// sends a message each way and checks what arrives, and checks that an exception thrown
// inside the library is caught by its type here (type information crosses the shared
// library's boundary although its symbols are hidden by default).
//
// USOCKET_EXPECT_STATIC (1: linked to a static usocket, 0: a shared one), when the build
// defines it, checks that USOCKET_STATIC_DEFINE reached this program exactly when it should.

#include <usocket/usocket.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#ifdef USOCKET_EXPECT_STATIC
#ifdef USOCKET_STATIC_DEFINE
static_assert(USOCKET_EXPECT_STATIC == 1, "USOCKET_STATIC_DEFINE reached a consumer of a shared usocket");
#else
static_assert(USOCKET_EXPECT_STATIC == 0, "a consumer of a static usocket did not get USOCKET_STATIC_DEFINE");
#endif
#endif

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", what);
        ++failures;
    }
}

// Reads exactly `n` bytes (a stream may deliver them in pieces); at most n + 1 reads.
std::string recv_exactly(usocket::socket& s, std::size_t n) {
    std::string got;
    for (std::size_t tries = 0; got.size() < n && tries <= n; ++tries) {
        std::string part = s.recv(n - got.size());
        if (part.empty()) {
            break;
        }
        got += part;
    }
    return got;
}

}  // namespace

int main() {
    try {
        auto [a, b] = usocket::socketpair();
        a.settimeout(std::chrono::seconds(5));
        b.settimeout(std::chrono::seconds(5));

        constexpr std::string_view ping = "ping from a consumer of usocket";
        a.sendall(ping);
        check(recv_exactly(b, ping.size()) == ping, "the message arrives unchanged");

        std::error_code ec;
        constexpr std::string_view pong = "pong";
        b.sendall(pong, ec);
        check(!ec, "the non-throwing sendall succeeds");
        check(recv_exactly(a, pong.size()) == pong, "the reply arrives unchanged");

        bool caught = false;
        try {
            a.settimeout(std::chrono::seconds(-1));
        } catch (const usocket::value_error& e) {
            caught = e.code() == usocket::errc::invalid_timeout;
        }
        check(caught, "a negative timeout throws usocket::value_error (invalid_timeout)");

        a.close();
        check(b.recv(16).empty(), "the peer sees the end of the stream after close()");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "FAILED: unexpected exception: %s\n", e.what());
        return 1;
    }
    if (failures != 0) {
        return 1;
    }
    std::puts("usocket consumer: ok");
    return 0;
}
