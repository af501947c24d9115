// TLS over loopback against real peers: openssl s_server / s_client, CPython's ssl (peer.py),
// and this library's own server. The same tests run with either engine (OpenSSL in the main
// build, mbedTLS in .ci/extra/tls.sh). Every test checks that no descriptor is left open.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <numeric>
#include <thread>

#include "fault.hpp"
#include "tls_support.hpp"

namespace {

using namespace std::chrono_literals;
using namespace usocket_test;
namespace tls = usocket::tls;

class Tls : public fd_leak_check {};

// The error a failing call reports through its error_code form.
template <class F>
std::error_code error_of(F&& f) {
    std::error_code ec;
    f(ec);
    return ec;
}

tls::wrap_options named(const std::string& host) {
    tls::wrap_options o;
    o.server_hostname = host;
    return o;
}
tls::wrap_options strict_eofs() {
    tls::wrap_options o;
    o.suppress_ragged_eofs = false;
    return o;
}
tls::wrap_options resuming(const tls::session& s) {
    tls::wrap_options o;
    o.session = s;
    return o;
}
tls::wrap_options deferred() {
    tls::wrap_options o;
    o.do_handshake_on_connect = false;
    return o;
}
usocket::connection_options within(usocket::duration d) {
    usocket::connection_options o;
    o.timeout = d;
    return o;
}

tls::socket client_to(int port, const tls::context& ctx = test_client_context(), tls::wrap_options o = {}) {
    if (o.server_hostname.empty()) o.server_hostname = "localhost";
    return ctx.wrap_socket(connect_local(port), o);
}

// Two TLS sockets of this library over a loopback TCP pair, handshaken (the server's side in a
// thread): {client, server}, both with `timeout`.
std::pair<tls::socket, tls::socket> tls_pair(usocket::timeout_type timeout = std::chrono::seconds(10),
                                             const tls::wrap_options& server_options = {},
                                             const tls::context& client_ctx = test_client_context()) {
    auto [a, b] = tcp_pair();
    a.settimeout(timeout);
    b.settimeout(timeout);
    tls::socket server;
    std::thread t([&, b = std::move(b)]() mutable {
        server = test_server_context().wrap_socket(std::move(b), server_options);
    });
    tls::wrap_options o = strict_eofs();
    o.server_hostname = "localhost";
    tls::socket client = client_ctx.wrap_socket(std::move(a), o);
    t.join();
    return {std::move(client), std::move(server)};
}

// How a TLS stream ended, as its reader saw it.
enum class ending { clean, ragged, broken };

// Reads `s` (wrapped with strict_eofs()) to its end: the bytes, and how it ended.
std::pair<std::size_t, ending> read_until_end(tls::socket& s) {
    std::size_t total = 0;
    std::vector<char> buf(65536);
    for (int i = 0; i < 100000; ++i) {
        std::error_code ec;
        const std::size_t n = s.recv_into(buf, 0, 0, ec);
        if (ec == tls::errc::unexpected_eof) return {total, ending::ragged};
        if (ec) {
            ADD_FAILURE() << "the stream broke: " << ec.message();
            return {total, ending::broken};
        }
        if (n == 0) return {total, ending::clean};
        total += n;
    }
    return {total, ending::broken};
}

// Sends records of 1000 bytes from non-blocking `c` while the backend says there is room: at the
// end the send buffer is full (its peer does not read) and every record went whole. The count.
std::size_t fill_with_records(tls::socket& c) {
    const std::string record(1000, 'r');
    const usocket::timeout_type was = c.gettimeout();
    c.setblocking(false);
    std::size_t total = 0;
    for (int i = 0; i < 100000; ++i) {
        if (!transport_ready(c.fileno(), usocket::sys::wait_for::write)) {
            // The backend says full; wait a little to be sure it stays so.
            if (!transport_ready(c.fileno(), usocket::sys::wait_for::write, 100ms)) break;
        }
        std::error_code ec;
        total += c.send(record, ec);
        if (ec) {
            ADD_FAILURE() << "a record did not go whole: " << ec.message();
            break;
        }
    }
    c.settimeout(was);
    return total;
}

// A pair (strict_eofs()) whose client's send buffer is full of whole records its peer has not
// read: {client, server, bytes sent}. TLS 1.3's tickets are read first: a close with unread
// bytes would reset the connection.
struct full_pair {
    tls::socket c;
    tls::socket s;
    std::size_t sent = 0;
};
// Smaller kernel buffers fill sooner; lwIP has no SO_SNDBUF or SO_RCVBUF (ENOPROTOOPT): its
// buffers are the profile's (the test profile's: 44 segments).
void small_buffers(tls::socket& c, tls::socket& s) {
    std::error_code ignored;
    c.setsockopt(usocket::sol_socket, usocket::so_sndbuf, 16384, ignored);
    s.setsockopt(usocket::sol_socket, usocket::so_rcvbuf, 16384, ignored);
}

full_pair tls_pair_with_full_send_buffer() {
    auto [c, s] = tls_pair(10s, strict_eofs());
    s.sendall(std::string_view("x"));
    EXPECT_EQ(c.recv(1), "x");
    small_buffers(c, s);
    const std::size_t sent = fill_with_records(c);
    return {std::move(c), std::move(s), sent};
}

std::string read_to_end(usocket::socket& s) {
    std::string all;
    for (int i = 0; i < 1000; ++i) {
        std::string piece = s.recv(65536);
        if (piece.empty()) break;
        all += piece;
    }
    return all;
}

// A TLS server of our own in a thread, echoing what it reads until the end: a peer every backend
// reaches (lwIP's sockets cannot reach a peer process on the kernel's loopback).
thread_server echo_server(const std::string& cert = "server.pem") {
    return thread_server(test_server_context(cert), [](tls::socket& t) {
        for (int i = 0; i < 10000; ++i) {
            const std::string got = t.recv(4096);
            if (got.empty()) break;
            t.sendall(got);
        }
    });
}

// --- verification ---------------------------------------------------------------------------

TEST_F(Tls, ClientVerifiesOpensslServerAndExchanges) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "openssl s_server's side of the exchange (interoperability), a process on the kernel's loopback that lwIP's sockets cannot reach";
#endif
    openssl_server srv;
    ASSERT_NE(srv.port, 0);
    auto s = tls::create_connection("localhost", srv.port, test_client_context(), within(10s));
    EXPECT_TRUE(s.handshake_done());
    EXPECT_FALSE(s.server_side());
    EXPECT_EQ(s.server_hostname(), "localhost");
    EXPECT_EQ(s.version(), tls::has_tls1_3() ? "TLSv1.3" : "TLSv1.2");
    ASSERT_TRUE(s.cipher());
    EXPECT_FALSE(s.cipher()->name.empty());
    EXPECT_EQ(s.cipher()->protocol, s.version());
    EXPECT_GE(s.cipher()->secret_bits, 128);

    auto cert = s.getpeercert();
    ASSERT_TRUE(cert);
    EXPECT_EQ(cert->subject_attribute("commonName"), "localhost");
    EXPECT_EQ(cert->subject_attribute("organizationName"), "usocket");
    EXPECT_EQ(cert->subject_attribute("countryName"), "DE");
    ASSERT_FALSE(cert->issuer.empty());
    EXPECT_EQ(cert->issuer.back().at(0), (tls::name_attribute{"commonName", "ca"}));
    EXPECT_EQ(cert->version, 3);
    EXPECT_EQ(cert->serial_number, "1001");
    EXPECT_EQ(cert->not_after.substr(cert->not_after.size() - 4), " GMT");
    EXPECT_LT(cert->not_before_time, std::chrono::system_clock::now());
    EXPECT_GT(cert->not_after_time, std::chrono::system_clock::now() + std::chrono::hours(24 * 29));
    const std::vector<std::pair<std::string, std::string>> san{
        {"DNS", "localhost"}, {"IP Address", "127.0.0.1"}, {"IP Address", "0:0:0:0:0:0:0:1"}};
    EXPECT_EQ(cert->subject_alt_name, san);
    EXPECT_EQ(s.getpeercert_der(), certs::get().bytes("server.der"));

    s.sendall(std::string_view("ping from usocket\n"));
    EXPECT_EQ(srv.proc.line_starting("ping"), " from usocket");
    srv.proc.write("pong\n");
    EXPECT_EQ(s.readline(), "pong\n");
}

TEST_F(Tls, UnknownCaIsACertificateError) {
    thread_server srv = echo_server();
    auto ctx = tls::context::client();
    ctx.load_verify_file(certs::get().path("other_ca.pem"));
    try {
        (void)client_to(srv.port(), ctx);
        FAIL() << "the handshake succeeded";
    } catch (const tls::certificate_error& e) {
        EXPECT_EQ(e.code(), tls::errc::certificate_untrusted);
        EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos) << e.what();
    }
    srv.join();
    EXPECT_EQ(usocket::open_sockets().size(), 0u);
    EXPECT_NE(srv.error(), "");  // the server saw the client give up
}

// A client context trusts the system's store by default (create_default_context's way); with
// set_default_trust(false), as a bare CPython SSLContext, nothing until asked. OpenSSL's store
// follows SSL_CERT_FILE, so the tests' CA can play the system's; mbedTLS's is a file fixed
// when the library was built.
TEST_F(Tls, DefaultTrustIsTheSystemsStoreUnlessTurnedOff) {
    if (!tls::has_tls1_3()) GTEST_SKIP() << "mbedTLS: the system's store is a file fixed at build time";
    const char* before = std::getenv("SSL_CERT_FILE");
    const std::string saved = before != nullptr ? before : "";
    ::setenv("SSL_CERT_FILE", certs::get().path("ca.pem").c_str(), 1);
    auto handshake_with = [](const tls::context& ctx) {
        auto [a, b] = tcp_pair();
        a.settimeout(10s);
        b.settimeout(10s);
        std::error_code server_ec;
        std::thread t([&, b = std::move(b)]() mutable {
            (void)test_server_context().wrap_socket(std::move(b), {}, server_ec);
        });
        std::error_code ec;
        (void)ctx.wrap_socket(std::move(a), named("localhost"), ec);
        t.join();
        return ec;
    };
    auto trusting = tls::context::client();
    EXPECT_TRUE(trusting.default_trust());
    EXPECT_FALSE(handshake_with(trusting)) << "the system's store (SSL_CERT_FILE) has the CA";

    auto bare = tls::context::client();
    bare.set_default_trust(false);
    EXPECT_FALSE(bare.default_trust());
    EXPECT_EQ(handshake_with(bare), tls::errc::certificate_untrusted) << "nothing trusted until asked";
    bare.load_default_certs();
    EXPECT_FALSE(handshake_with(bare)) << "asked for the system's store";

    if (before != nullptr)
        ::setenv("SSL_CERT_FILE", saved.c_str(), 1);
    else
        ::unsetenv("SSL_CERT_FILE");
    EXPECT_EQ(usocket::open_sockets().size(), 0u);
}

TEST_F(Tls, WrongHostNameIsACertificateError) {
    thread_server srv = echo_server();
    std::error_code ec;
    tls::socket s = test_client_context().wrap_socket(connect_local(srv.port()), named("example.com"), ec);
    EXPECT_EQ(ec, tls::errc::hostname_mismatch);
    EXPECT_TRUE(tls::is_certificate_error(ec));
    EXPECT_FALSE(s.is_open());
}

TEST_F(Tls, ExpiredCertificateIsACertificateError) {
    thread_server srv = echo_server("expired.pem");
    std::error_code ec;
    (void)test_client_context().wrap_socket(connect_local(srv.port()), named("localhost"), ec);
    EXPECT_EQ(ec, tls::errc::certificate_expired) << ec.message();
}

TEST_F(Tls, VerifyNoneAcceptsAnyCertificateAndParsesNone) {
    thread_server srv = echo_server("expired.pem");
    auto ctx = tls::context::client();
    ctx.set_verify_mode(tls::verify_mode::none);
    EXPECT_FALSE(ctx.check_hostname());
    auto s = ctx.wrap_socket(connect_local(srv.port()));
    EXPECT_FALSE(s.getpeercert());  // not verified: CPython's {}
    EXPECT_FALSE(s.getpeercert_der().empty());
    s.sendall(std::string_view("x"));
    EXPECT_EQ(s.recv(10), "x");
}

TEST_F(Tls, IpAddressIsCheckedAgainstIpNamesWithoutSni) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "CPython's ssl reports the SNI it received (this library's server has no such report), a process on the kernel's loopback that lwIP's sockets cannot reach";
#endif
    {
        python_server srv("sni");
        auto s = client_to(srv.port, test_client_context(), named("127.0.0.1"));
        EXPECT_EQ(srv.proc.line_starting("SNI "), "None");
        EXPECT_TRUE(s.getpeercert());
    }
    {
        python_server srv("sni");
        auto s = client_to(srv.port);
        EXPECT_EQ(srv.proc.line_starting("SNI "), "localhost");
    }
    python_server srv("echo");
    std::error_code ec;
    (void)test_client_context().wrap_socket(connect_local(srv.port), named("127.0.0.2"), ec);
    EXPECT_EQ(ec, tls::errc::hostname_mismatch) << ec.message();
}

TEST_F(Tls, CheckHostnameNeedsAServerHostname) {
    auto [a, b] = tcp_pair();
    EXPECT_THROW((void)test_client_context().wrap_socket(std::move(a)), usocket::value_error);
}

// --- peers that misbehave ---------------------------------------------------------------------

TEST_F(Tls, ServerThatNeverSpeaksTlsTimesOutWithinTheSocketsTimeout) {
    auto silent = tcp_listener();  // the connection waits in its queue, never accepted
    auto s = connect_local(silent.getsockname().port(), 300ms);
    const auto t1 = clock::now();
    std::error_code ec;
    (void)test_client_context().wrap_socket(std::move(s), named("localhost"), ec);
    const double took = seconds_since(t1);
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
    EXPECT_GE(took, 0.29);
    EXPECT_LT(took, 2.0);
}

TEST_F(Tls, CreateConnectionOneDeadlineCoversTheHandshake) {
    auto silent = tcp_listener();
    const auto t0 = clock::now();
    EXPECT_THROW((void)tls::create_connection("localhost", silent.getsockname().port(), test_client_context(),
                                              within(400ms)),
                 usocket::timeout_error);
    const double took = seconds_since(t0);
    EXPECT_GE(took, 0.39);
    EXPECT_LT(took, 2.0);
}

// The engine's words for a failed handshake outlive the socket: error_info for the error_code
// forms, ssl_error::verify_message() for the throwing ones.
TEST_F(Tls, VerifyMessageOfAFailedHandshakeIsKept) {
    thread_server srv = echo_server("expired.pem");
    tls::error_info info;
    info.attempts.push_back({});  // cleared by the call
    std::error_code ec;
    auto s = tls::create_connection("localhost", srv.port(), test_client_context(), within(10s), {}, ec, &info);
    EXPECT_EQ(ec, tls::errc::certificate_expired) << ec.message();
    EXPECT_FALSE(s.is_open());
    EXPECT_NE(info.verify_message, "");
    EXPECT_NE(info.verify_message.find("expired"), std::string::npos) << info.verify_message;
    EXPECT_TRUE(info.attempts.empty());

    thread_server srv2 = echo_server();
    tls::error_info wrapped;
    (void)test_client_context().wrap_socket(connect_local(srv2.port()), named("example.com"), ec, &wrapped);
    EXPECT_EQ(ec, tls::errc::hostname_mismatch);
    EXPECT_NE(wrapped.verify_message, "");

    thread_server srv3 = echo_server();
    try {
        (void)test_client_context().wrap_socket(connect_local(srv3.port()), named("example.com"));
        FAIL() << "the handshake succeeded";
    } catch (const tls::certificate_error& e) {
        EXPECT_EQ(e.verify_message(), wrapped.verify_message);
        EXPECT_NE(std::string(e.what()).find(e.verify_message()), std::string::npos) << e.what();
    }
    thread_server srv4 = echo_server("expired.pem");
    try {
        (void)tls::create_connection("localhost", srv4.port(), test_client_context(), within(10s));
        FAIL() << "the handshake succeeded";
    } catch (const tls::certificate_error& e) {
        EXPECT_EQ(e.code(), tls::errc::certificate_expired);
        EXPECT_EQ(e.verify_message(), info.verify_message);
    }
    // Not a handshake's failure: no words.
    tls::error_info none;
    (void)test_client_context().wrap_socket(usocket::socket(), named("localhost"), ec, &none);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    EXPECT_EQ(none.verify_message, "");
}

// A port nobody listens on (bound, never listening: nothing else can take it meanwhile).
struct dead_port {
    usocket::socket holder{usocket::af_inet};
    usocket::address addr;
    dead_port() {
        holder.bind(usocket::address("127.0.0.1", 0));
        addr = holder.getsockname();
    }
};

TEST_F(Tls, CreateConnectionOverResolvedAddressesReportsEveryAttempt) {
    thread_server srv = echo_server();
    dead_port dead;
    const std::vector<usocket::address> candidates{dead.addr, usocket::address("127.0.0.1", srv.port())};
    tls::error_info info;
    std::error_code ec;
    auto s = tls::create_connection(candidates, test_client_context(), within(10s), named("localhost"), ec, &info);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(info.attempts.size(), 1u);  // the refused one, though a later one connected
    EXPECT_EQ(info.attempts[0].peer, dead.addr);
    EXPECT_EQ(info.attempts[0].code, std::errc::connection_refused);
    EXPECT_EQ(s.server_hostname(), "localhost");
    EXPECT_EQ(s.gettimeout(), usocket::timeout_type(10s));
    s.sendall(std::string_view("x"));
    EXPECT_EQ(s.recv(1), "x");
    s.close();

    // The throwing form (a server serves one connection).
    thread_server srv2 = echo_server();
    const std::vector<usocket::address> candidates2{dead.addr, usocket::address("127.0.0.1", srv2.port())};
    auto t = tls::create_connection(candidates2, test_client_context(), within(10s), named("localhost"));
    EXPECT_TRUE(t.handshake_done());
    t.close();

    // Every attempt fails: each one's error, and connection_errors with all_errors.
    dead_port dead2;
    const std::vector<usocket::address> nobody{dead.addr, dead2.addr};
    (void)tls::create_connection(nobody, test_client_context(), within(10s), named("localhost"), ec, &info);
    EXPECT_EQ(ec, std::errc::connection_refused);
    ASSERT_EQ(info.attempts.size(), 2u);
    EXPECT_EQ(info.verify_message, "");
    usocket::connection_options all = within(10s);
    all.all_errors = true;
    try {
        (void)tls::create_connection(nobody, test_client_context(), all, named("localhost"));
        FAIL() << "connected";
    } catch (const usocket::connection_errors& e) {
        EXPECT_EQ(e.errors().size(), 2u);
    }
    try {
        (void)tls::create_connection("127.0.0.1", dead.addr.port(), test_client_context(), all);
        FAIL() << "connected";
    } catch (const usocket::connection_errors& e) {
        EXPECT_EQ(e.errors().size(), 1u);
    }

    // A client that checks host names needs one: nothing is connected without it.
    (void)tls::create_connection(candidates, test_client_context(), within(10s), {}, ec, &info);
    EXPECT_EQ(ec, tls::errc::server_hostname_required);
    EXPECT_THROW((void)tls::create_connection(candidates, test_client_context()), usocket::value_error);
    auto insecure = tls::context::client();
    insecure.set_verify_mode(tls::verify_mode::none);
    thread_server srv3 = echo_server();
    const std::vector<usocket::address> candidates3{usocket::address("127.0.0.1", srv3.port())};
    auto u = tls::create_connection(candidates3, insecure, within(10s));
    EXPECT_TRUE(u.handshake_done());
    u.close();
}

// The error_code forms keep both at once: the attempts that failed before one connected, and
// the words of the handshake that then failed on it.
TEST_F(Tls, CreateConnectionErrorCodeFormsGiveAttemptsAndVerifyMessageTogether) {
    thread_server srv = echo_server("expired.pem");
    dead_port dead;
    const std::vector<usocket::address> candidates{dead.addr, usocket::address("127.0.0.1", srv.port())};
    tls::error_info info;
    std::error_code ec;
    auto s = tls::create_connection(candidates, test_client_context(), within(10s), named("localhost"), ec, &info);
    EXPECT_EQ(ec, tls::errc::certificate_expired) << ec.message();
    EXPECT_FALSE(s.is_open());
    ASSERT_EQ(info.attempts.size(), 1u);
    EXPECT_EQ(info.attempts[0].peer, dead.addr);
    EXPECT_EQ(info.attempts[0].code, std::errc::connection_refused);
    EXPECT_NE(info.verify_message.find("expired"), std::string::npos) << info.verify_message;

    // By name: the refused attempt, no words (there was no handshake); a second call clears both.
    (void)tls::create_connection("127.0.0.1", dead.addr.port(), test_client_context(), within(10s),
                                 named("localhost"), ec, &info);
    EXPECT_EQ(ec, std::errc::connection_refused);
    ASSERT_EQ(info.attempts.size(), 1u);
    EXPECT_EQ(info.attempts[0].code, std::errc::connection_refused);
    EXPECT_EQ(info.verify_message, "");
    thread_server srv2 = echo_server("expired.pem");
    (void)tls::create_connection("127.0.0.1", srv2.port(), test_client_context(), within(10s), named("localhost"), ec,
                                 &info);
    EXPECT_EQ(ec, tls::errc::certificate_expired);
    EXPECT_TRUE(info.attempts.empty());
    EXPECT_NE(info.verify_message.find("expired"), std::string::npos) << info.verify_message;
}

// A server that answers the ClientHello in plain text.
thread_server plain_text_server() {
    return thread_server(thread_server::plain, [](usocket::socket& conn) {
        (void)conn.recv(4096);
        conn.sendall(std::string_view("HTTP/1.0 400 Bad Request\r\n\r\n"));
    });
}

TEST_F(Tls, PlainTextServerIsAProtocolError) {
    {
        thread_server srv = plain_text_server();
        std::error_code ec;
        (void)test_client_context().wrap_socket(connect_local(srv.port()), named("localhost"), ec);
        EXPECT_EQ(ec, tls::errc::protocol_error) << ec.message();
    }
    thread_server srv = plain_text_server();
    EXPECT_THROW((void)client_to(srv.port()), tls::ssl_error);
}

TEST_F(Tls, PeerThatResetsMidHandshakeIsConnectionReset) {
    thread_server srv(thread_server::plain, [](usocket::socket& conn) {
        (void)conn.recv(5);
        const int linger[2] = {1, 0};  // struct linger: on, no time: close() resets
        conn.setsockopt(usocket::sol_socket, usocket::so_linger, usocket::const_buffer(linger, sizeof linger));
        conn.close();
    });
    std::error_code ec;
    (void)test_client_context().wrap_socket(connect_local(srv.port()), named("localhost"), ec);
    EXPECT_EQ(ec, std::errc::connection_reset) << ec.message();
    srv.join();
    EXPECT_EQ(srv.error(), "");
}

TEST_F(Tls, TruncatedRecordIsAnError) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "CPython's ssl cuts a record in half (a memory BIO), a process on the kernel's loopback that lwIP's sockets cannot reach";
#endif
    python_server srv("truncate", {"--payload", "a record cut in half"});
    auto s = client_to(srv.port);
    std::error_code ec;
    std::string got = s.recv(100, ec);
    EXPECT_EQ(ec, tls::errc::truncated_record) << ec.message() << " got '" << got << "'";
    EXPECT_TRUE(got.empty());
    EXPECT_THROW((void)s.recv(100), tls::ssl_error);  // and it stays failed
}

// A server of ours that sends `payload` and ends the connection without a close notification.
thread_server ragged_server(std::string payload) {
    return thread_server(test_server_context(), [payload = std::move(payload)](tls::socket& t) {
        t.sendall(payload);
        std::error_code ignored;
        usocket::close(t.detach(), ignored);  // no TLS goodbye
    });
}

TEST_F(Tls, EndWithoutCloseNotifyReadsAsEndUnlessAskedNotTo) {
    {
        thread_server srv = ragged_server("data");
        auto s = client_to(srv.port());
        EXPECT_EQ(read_to_end(s), "data");
    }
    thread_server srv = ragged_server("data");
    auto s = client_to(srv.port(), test_client_context(), strict_eofs());
    EXPECT_EQ(s.recv(100), "data");
    std::error_code ec;
    (void)s.recv(100, ec);
    EXPECT_EQ(ec, tls::errc::unexpected_eof) << ec.message();
}

// --- close notifications --------------------------------------------------------------------

TEST_F(Tls, PeersCloseNotifyIsTheEndOfTheStream) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "CPython's close notification (interoperability; this library's own is tested with a TLS pair), a process on the kernel's loopback that lwIP's sockets cannot reach";
#endif
    python_server srv("notify", {"--payload", "bye"});
    auto s = client_to(srv.port, test_client_context(), strict_eofs());
    EXPECT_EQ(read_to_end(s), "bye");  // no unexpected_eof: the notification came
    s.close();
    EXPECT_EQ(srv.proc.line_starting("DONE"), "");
}

TEST_F(Tls, CloseAndDestructionSendCloseNotify) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "CPython's ssl says whether this library's close notification came (interoperability), a process on the kernel's loopback that lwIP's sockets cannot reach";
#endif
    {
        python_server srv("echo");
        auto s = client_to(srv.port);
        s.sendall(std::string_view("x"));
        EXPECT_EQ(s.recv(1), "x");
        s.close();
        EXPECT_EQ(srv.proc.line_starting("CLEAN"), "");
    }
    {
        python_server srv("echo");
        {
            auto s = client_to(srv.port);
            s.sendall(std::string_view("x"));
            EXPECT_EQ(s.recv(1), "x");
        }  // destroyed without close()
        EXPECT_EQ(srv.proc.line_starting("CLEAN"), "");
    }
    python_server srv("echo");
    auto s = client_to(srv.port);
    (void)::close(s.detach());  // no TLS goodbye: the peer sees a ragged end
    EXPECT_EQ(srv.proc.line_starting("RAGGED"), "");
}

// close() sends the close notification whole or not at all: a kernel that takes part of it
// and then has no room makes close() wait (a little) for the rest.
TEST_F(Tls, CloseNeverSendsPartOfTheCloseNotification) {
    if (!usocket::testing::fault_injection_enabled()) GTEST_SKIP() << "no fault injection";
    auto [c, s] = tls_pair(10s, strict_eofs());
    c.sendall(std::string_view("data"));
    EXPECT_EQ(s.recv(10), "data");
    s.sendall(std::string_view("x"));  // and TLS 1.3's tickets before it
    EXPECT_EQ(c.recv(1), "x");
    c.settimeout(usocket::blocking);
    // The kernel takes 10 bytes of the alert, then has no room for 20 tries.
    usocket::testing::inject({usocket::testing::op::send, 0, 10, 1});
    usocket::testing::inject({usocket::testing::op::send, EAGAIN, 0, 20});
    const auto t0 = clock::now();
    c.close();
    EXPECT_LT(seconds_since(t0), 1.0);
    usocket::testing::clear_faults();
    EXPECT_EQ(read_until_end(s), std::make_pair(std::size_t{0}, ending::clean));
}

// With the send buffer full and a peer that does not read, close() gives up after a short
// wait and sends nothing: the peer reads every record, then an end without the notification.
TEST_F(Tls, CloseWithAFullSendBufferSendsNothingAfterAShortWait) {
    for (const auto timeout : {usocket::timeout_type(usocket::blocking), usocket::timeout_type(30s),
                               usocket::timeout_type(300ms), usocket::timeout_type(0s)}) {
        SCOPED_TRACE(timeout.nanoseconds());
        auto [c, s, sent] = tls_pair_with_full_send_buffer();
        c.settimeout(timeout);
        const auto t0 = clock::now();
        c.close();
        const double took = seconds_since(t0);
        const double expected = timeout.nanoseconds() < 0 || timeout.nanoseconds() > 1'000'000'000
                                    ? 1.0
                                    : static_cast<double>(timeout.nanoseconds()) / 1e9;
        EXPECT_GE(took, expected * 0.95);
        EXPECT_LT(took, expected + 0.5);
        EXPECT_EQ(read_until_end(s), std::make_pair(sent, ending::ragged));
    }
}

// Room that comes within the wait: the notification goes, whole.
TEST_F(Tls, CloseWithAFullSendBufferSendsTheNotificationWhenRoomComes) {
    auto [c, s, sent] = tls_pair_with_full_send_buffer();
    std::pair<std::size_t, ending> seen;
    std::thread reader([&] {
        std::this_thread::sleep_for(200ms);
        seen = read_until_end(s);
    });
    const auto t0 = clock::now();
    c.close();
    EXPECT_LT(seconds_since(t0), 1.0);
    reader.join();
    EXPECT_EQ(seen, std::make_pair(sent, ending::clean));
}

// shutdown(shut_wr): the close notification, then the TCP write side; reading goes on.
TEST_F(Tls, ShutdownWriteSendsTheNotificationAndReadingGoesOn) {
    std::vector<std::pair<std::string, tls::context>> clients{{"default", test_client_context()}};
    if (tls::has_tls1_3()) {
        auto tls12 = test_client_context();
        tls12.set_maximum_version(tls::protocol_version::tls1_2);
        clients.emplace_back("TLS 1.2", tls12);
    }
    for (auto& [name, ctx] : clients) {
        SCOPED_TRACE(name);
        auto [c, s] = tls_pair(10s, strict_eofs(), ctx);
        c.sendall(std::string_view("request"));
        c.shutdown(usocket::shut_wr);
        EXPECT_EQ(read_until_end(s), std::make_pair(std::size_t{7}, ending::clean));
        char byte;
        EXPECT_TRUE(transport_readable(s.fileno(), 2000ms));
        EXPECT_EQ(transport_recv_now(s.fileno(), &byte, 1), 0) << "the TCP write side was not shut";
        s.sendall(std::string_view("the answer, after the request's end"));
        EXPECT_EQ(c.recv(100), "the answer, after the request's end");
        EXPECT_EQ(error_of([&](auto& ec) { (void)c.send(std::string_view("more"), ec); }), tls::errc::session_shut_down);
        EXPECT_THROW((void)c.send(std::string_view("more")), tls::ssl_error);
        s.sendall(std::string_view("still readable"));  // a refused write ends nothing
        EXPECT_EQ(c.recv(100), "still readable");
        c.shutdown(usocket::shut_wr);  // again: nothing more to do
        s.close();
        EXPECT_EQ(read_until_end(c), std::make_pair(std::size_t{0}, ending::clean));
    }
}

TEST_F(Tls, ShutdownWriteAgainstCpython) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "CPython's ssl reads to our close notification and answers (interoperability), a process on the kernel's loopback that lwIP's sockets cannot reach";
#endif
    python_server srv("halfclose");
    auto s = client_to(srv.port, test_client_context(), strict_eofs());
    const std::string data(100000, 'h');
    s.sendall(data);
    s.shutdown(usocket::shut_wr);
    EXPECT_EQ(srv.proc.line_starting("CLEAN "), "100000");
    EXPECT_EQ(s.readline(), "got 100000\n");
    EXPECT_EQ(read_until_end(s), std::make_pair(std::size_t{0}, ending::clean));
    EXPECT_EQ(srv.proc.line_starting("DONE"), "");
}

// Waiting for room in the send buffer: under the timeout, or want_write without one; nothing is
// shut until the notification has gone, and a later call finishes the job.
TEST_F(Tls, ShutdownWriteWaitsForRoomUnderTheTimeout) {
    for (const bool non_blocking : {false, true}) {
        SCOPED_TRACE(non_blocking ? "non-blocking" : "300 ms timeout");
        auto [c, s, sent] = tls_pair_with_full_send_buffer();
        if (non_blocking) {
            c.setblocking(false);
            EXPECT_EQ(error_of([&](auto& ec) { c.shutdown(usocket::shut_wr, ec); }), tls::errc::want_write);
            EXPECT_THROW(c.shutdown(usocket::shut_wr), usocket::blocking_io_error);
        } else {
            c.settimeout(300ms);
            const auto t0 = clock::now();
            EXPECT_THROW(c.shutdown(usocket::shut_wr), usocket::timeout_error);
            EXPECT_GE(seconds_since(t0), 0.29);
            EXPECT_LT(seconds_since(t0), 2.0);
        }
        std::pair<std::size_t, ending> seen;
        std::thread reader([&] { seen = read_until_end(s); });
        const usocket::waitable w[] = {c};
        std::error_code ec;
        for (int i = 0; i < 100; ++i) {
            (void)usocket::select({}, w, {}, 1s);
            c.shutdown(usocket::shut_wr, ec);
            if (!usocket::is_would_block(ec) && !usocket::is_timeout(ec)) break;
        }
        EXPECT_FALSE(ec) << ec.message();
        reader.join();
        EXPECT_EQ(seen, std::make_pair(sent, ending::clean));
    }
}

TEST_F(Tls, ShutdownWriteAfterAWriteCutInsideARecordFails) {
    auto [c, s] = tls_pair(10s, strict_eofs());
    small_buffers(c, s);
    c.setblocking(false);
    const std::string big(1 << 20, 'b');
    std::error_code ec;
    for (int i = 0; i < 1000 && !ec; ++i) (void)c.send(big, ec);
    ASSERT_EQ(ec, tls::errc::want_write);  // a record is half sent
    EXPECT_EQ(error_of([&](auto& e) { c.shutdown(usocket::shut_wr, e); }), tls::errc::truncated_record);
    EXPECT_THROW(c.shutdown(usocket::shut_wr), tls::ssl_error);
}

// shutdown(shut_rdwr) from another thread wakes a blocked reader, after the notification.
TEST_F(Tls, ShutdownBothWaysWakesABlockedReader) {
    auto [c, s] = tls_pair(usocket::blocking, strict_eofs());
    std::error_code ec;
    std::string got = "unset";
    std::atomic<pid_t> tid{0};
    std::thread reader([&, &c = c] {
        tid = this_tid();
        got = c.recv(10, ec);
    });
    while (tid == 0) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(wait_until_blocked(tid));
    c.shutdown(usocket::shut_rdwr);
    reader.join();
    // Our own reading was shut: the end without the peer's notification.
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(ec, tls::errc::unexpected_eof) << ec.message();
    EXPECT_EQ(read_until_end(s), std::make_pair(std::size_t{0}, ending::clean));
}

TEST_F(Tls, ShutdownOfAClosedSocketShutRdAndBadArguments) {
    tls::socket none;
    EXPECT_EQ(error_of([&](auto& ec) { none.shutdown(usocket::shut_wr, ec); }), std::errc::bad_file_descriptor);
    auto [c, s] = tls_pair();
    EXPECT_EQ(error_of([&](auto& ec) { c.shutdown(usocket::shutdown_how(42), ec); }), std::errc::invalid_argument);
    s.sendall(std::string_view("ok"));
    EXPECT_EQ(c.recv(2), "ok");  // nothing changed
    c.shutdown(usocket::shut_rd);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(error_of([&](auto& ec) { (void)s.recv(2, usocket::msg_dontwait, ec); }), tls::errc::want_read)
        << "shut_rd sent something";
    c.sendall(std::string_view("ok"));  // writing goes on
    EXPECT_EQ(s.recv(2), "ok");
}

// --- roles ----------------------------------------------------------------------------------

TEST_F(Tls, ServerRoleWithOpensslClientAndPythonClient) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "openssl s_client and CPython's ssl as clients (interoperability), processes on the kernel's loopback that lwIP's sockets cannot reach";
#endif
    auto echo = [](tls::socket& t) {
        EXPECT_TRUE(t.server_side());
        for (int i = 0; i < 100; ++i) {
            auto line = t.readline();
            if (!line || line->empty()) break;
            t.sendall(*line);
        }
    };
    {
        thread_server srv(test_server_context(), echo);
        child c({"stdbuf", "-oL", "openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(srv.port()), "-CAfile",
                 certs::get().path("ca.pem"), "-verify_return_error", "-servername", "localhost", "-quiet", "-no_ign_eof"},
                true);
        c.write("line from s_client\n");
        EXPECT_EQ(c.line_starting("line from"), " s_client");
        c.close_input();
        srv.join();
        EXPECT_EQ(srv.error(), "");
    }
    thread_server srv(test_server_context(), echo);
    child c({"/usr/bin/python3", std::string(USOCKET_TLS_TEST_DIR) + "/peer.py", "client", "echo", "--port",
             std::to_string(srv.port()), "--ca", certs::get().path("ca.pem")});
    EXPECT_EQ(c.line_starting("GOT "), "hello");
    srv.join();
    EXPECT_EQ(srv.error(), "");
}

TEST_F(Tls, ServerRequiresClientCertificate) {
    auto ctx = test_server_context();
    ctx.set_verify_mode(tls::verify_mode::required);
    ctx.load_verify_file(certs::get().path("ca.pem"));
    std::string client_cn;
    {
        thread_server srv(ctx, [&](tls::socket& t) {
            client_cn = t.getpeercert().value().subject_attribute("commonName");
            t.sendall(std::string_view("ok\n"));
            (void)t.recv(1);
        });
        auto cctx = test_client_context();
        cctx.load_cert_chain(certs::get().path("client.pem"), certs::get().path("client.key"));
        auto s = client_to(srv.port(), cctx);
        EXPECT_EQ(s.readline(), "ok\n");
        s.close();
        srv.join();
        EXPECT_EQ(srv.error(), "");
    }
    EXPECT_EQ(client_cn, "client");
    thread_server srv(ctx, [](tls::socket& t) { (void)t.recv(1); });
    std::error_code ec;
    auto s = test_client_context().wrap_socket(connect_local(srv.port()), named("localhost"), ec);
    if (!ec) (void)s.recv(1, ec);  // TLS 1.3: the server's verdict comes after the client's Finished
    EXPECT_TRUE(ec) << "a client without a certificate was let in";
    s.close();
    srv.join();
    EXPECT_NE(srv.error(), "");
}

TEST_F(Tls, AlpnAgreesOnTheServersChoice) {
    auto sctx = test_server_context();
    sctx.set_alpn_protocols({"http/1.1", "mqtt"});
    std::string server_saw;
    thread_server srv(sctx, [&](tls::socket& t) {
        server_saw = t.selected_alpn_protocol();
        (void)t.recv(1);
    });
    auto cctx = test_client_context();
    cctx.set_alpn_protocols({"h2", "mqtt"});
    auto s = client_to(srv.port(), cctx);
    EXPECT_EQ(s.selected_alpn_protocol(), "mqtt");
    s.close();
    srv.join();
    EXPECT_EQ(server_saw, "mqtt");
    EXPECT_THROW(cctx.set_alpn_protocols({""}), usocket::value_error);
}

TEST_F(Tls, SessionResumption) {
    auto listener = tcp_listener();
    listener.settimeout(10s);
    const int port = listener.getsockname().port();
    auto sctx = test_server_context();
    std::thread server([&] {
        for (int i = 0; i < 2; ++i) {
            auto [conn, peer] = listener.accept();
            conn.settimeout(10s);
            auto t = sctx.wrap_socket(std::move(conn));
            t.sendall(std::string_view("hi\n"));
            (void)t.recv(1);
        }
    });
    auto ctx = test_client_context();
    tls::session saved;
    {
        auto s = client_to(port, ctx);
        EXPECT_FALSE(s.session_reused());
        EXPECT_EQ(s.readline(), "hi\n");  // TLS 1.3's ticket comes before it
        saved = s.session();
    }
    ASSERT_TRUE(saved);
    auto s = client_to(port, ctx, resuming(saved));
    EXPECT_EQ(s.readline(), "hi\n");
    EXPECT_TRUE(s.session_reused());
    s.close();
    server.join();
}

// --- loading ----------------------------------------------------------------------------------

TEST_F(Tls, CertificatesAndKeysAsDerAndPemBytes) {
    const std::string cert = certs::get().bytes("server.der"), key = certs::get().bytes("server.key.der");
    auto sctx = tls::context::server();
    sctx.load_cert_chain_data(cert, key);
    thread_server srv(sctx, [](tls::socket& t) { t.sendall(std::string_view("der\n")); });
    auto cctx = tls::context::client();
    cctx.load_verify_data(certs::get().bytes("ca.der"));
    auto s = client_to(srv.port(), cctx);
    EXPECT_EQ(s.readline(), "der\n");
    s.close();
    srv.join();
    EXPECT_EQ(srv.error(), "");

    auto pem = tls::context::client();
    pem.load_verify_data(certs::get().bytes("ca.pem") + certs::get().bytes("other_ca.pem"));  // two at once
}

TEST_F(Tls, BadKeysAndFilesAreClearErrors) {
    auto ctx = tls::context::server();
    const auto& c = certs::get();
    EXPECT_EQ(error_of([&](auto& ec) { ctx.load_cert_chain(c.path("server.pem"), c.path("client.key"), {}, ec); }),
              tls::errc::key_mismatch);
    EXPECT_EQ(error_of([&](auto& ec) { ctx.load_cert_chain(c.path("server.pem"), c.path("server_enc.key"), "wrong", ec); }),
              tls::errc::bad_certificate_data);
    EXPECT_EQ(error_of([&](auto& ec) { ctx.load_cert_chain(c.path("server.pem"), c.path("server_enc.key"), {}, ec); }),
              tls::errc::bad_certificate_data);
    ctx.load_cert_chain(c.path("server.pem"), c.path("server_enc.key"), "secret");
    EXPECT_EQ(error_of([&](auto& ec) { ctx.load_verify_file(c.path("missing.pem"), ec); }), std::errc::no_such_file_or_directory);
    EXPECT_EQ(error_of([&](auto& ec) { ctx.load_verify_data(std::string_view("not a certificate"), ec); }),
              tls::errc::bad_certificate_data);
    EXPECT_THROW(ctx.load_verify_data(std::string_view("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")),
                 tls::ssl_error);
    EXPECT_EQ(error_of([&](auto& ec) { ctx.set_ciphers("NO-SUCH-CIPHER", ec); }), tls::errc::no_cipher_match);
    EXPECT_FALSE(ctx.get_ciphers().empty());
}

TEST_F(Tls, VersionsAndCiphers) {
    auto sctx = test_server_context();
    sctx.set_maximum_version(tls::protocol_version::tls1_2);
    const std::string suite = tls::engine_version().rfind("OpenSSL", 0) == 0 ? "ECDHE-ECDSA-AES128-GCM-SHA256"
                                                                           : "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256";
    sctx.set_ciphers(suite);
    std::string version;
    thread_server srv(sctx, [&](tls::socket& t) {
        version = t.version();
        (void)t.recv(1);
    });
    auto s = client_to(srv.port());
    EXPECT_EQ(s.version(), "TLSv1.2");
    EXPECT_EQ(s.cipher().value().name, suite);
    EXPECT_EQ(s.cipher().value().secret_bits, 128);
    s.close();
    srv.join();
    EXPECT_EQ(version, "TLSv1.2");
    if (!tls::has_tls1_3()) {
        EXPECT_THROW(sctx.set_minimum_version(tls::protocol_version::tls1_3), usocket::value_error);
        return;
    }
    thread_server srv2(sctx, [](tls::socket&) {});
    auto cctx = test_client_context();
    cctx.set_minimum_version(tls::protocol_version::tls1_3);
    std::error_code ec;
    (void)cctx.wrap_socket(connect_local(srv2.port()), named("localhost"), ec);
    EXPECT_EQ(ec, tls::errc::handshake_failure) << ec.message();
    srv2.join();
}

// --- the socket's methods over TLS ---------------------------------------------------------------

TEST_F(Tls, ReadlineWithLinesSplitAcrossRecords) {
    auto [s, srv] = tls_pair();
    for (const std::string_view piece : {"hel", "lo\nwor", "ld\n"}) srv.sendall(piece);  // a record each
    EXPECT_EQ(s.readline(), "hello\n");
    EXPECT_EQ(s.readline(), "world\n");
    srv.sendall(std::string_view("last"));
    srv.close();
    EXPECT_EQ(s.readline(), "last");
    EXPECT_EQ(s.readline(), "");
}

TEST_F(Tls, FlagsOtherThanDontwaitAreRefusedAsCpythonRefusesThem) {
    auto [s, srv] = tls_pair();
    srv.sendall(std::string_view("abc"));
    EXPECT_EQ(error_of([&](auto& ec) { (void)s.recv(1, usocket::msg_peek, ec); }), usocket::errc::invalid_argument);
    EXPECT_EQ(error_of([&](auto& ec) { (void)s.send("x", usocket::msg_oob, ec); }), usocket::errc::invalid_argument);
    std::error_code ec;  // msg_dontwait is the one flag a TLS socket takes
    (void)s.recv(3, usocket::msg_dontwait, ec);
    EXPECT_TRUE(!ec || usocket::is_would_block(ec)) << ec.message();
}

TEST_F(Tls, SelectPollAndSelectorSeeDecryptedBytes) {
    auto [s, srv] = tls_pair();
    srv.sendall(std::string_view("one\ntwo\n"));  // one record
    EXPECT_EQ(s.recv(4), "one\n");  // the whole record is decrypted; 4 bytes stay in the engine
    EXPECT_EQ(s.pending(), 4u);
    // The kernel (or lwIP) has nothing: only the decrypted bytes make the socket readable.
    EXPECT_FALSE(transport_readable(s.fileno()));
    const usocket::waitable r[] = {s};
    auto ready = usocket::select(r, {}, {}, 0s);
    ASSERT_EQ(ready.read.size(), 1u);
    auto poller = usocket::poll();
    poller.register_fd(s, usocket::pollin);
    EXPECT_EQ(poller.poll(0s).size(), 1u);
    usocket::selector sel;
    sel.add(s, usocket::selector::readable, 7);
    usocket::selector_event ev[4];
    ASSERT_EQ(sel.wait(ev, 0s), 1u);
    EXPECT_EQ(ev[0].token, 7u);
    sel.remove(s);
    EXPECT_EQ(s.recv(100), "two\n");
    EXPECT_EQ(s.pending(), 0u);
    EXPECT_TRUE(usocket::select(r, {}, {}, 0s).read.empty());
}

// A read that leaves decrypted bytes in the session makes the socket readable for every wait
// that was set up before it, as the read-ahead buffer of the stream methods does.
TEST_F(Tls, DecryptedBytesLeftByAReadWakeEveryKindOfWait) {
    auto [c, s] = tls_pair();
    const auto kernel_has_nothing = [&] { return !transport_readable(s.fileno()); };
    const usocket::waitable r[] = {s};
    auto poller = usocket::poll();
    poller.register_fd(s, usocket::pollin);
    for (const bool portable : {false, true}) {
        for (const bool edge : {false, true}) {
            SCOPED_TRACE(std::string(portable ? "portable" : "kernel") + (edge ? " selector, edge" : " selector, level"));
            usocket::testing::force_portable_selector(portable);
            usocket::selector sel;  // registered before anything is read
            usocket::testing::force_portable_selector(false);
            sel.add(s, usocket::selector::readable | (edge ? usocket::selector::edge_triggered : 0u), 7);
            c.sendall(std::string_view("0123456789ABCDEFGHIJ"));  // one record
            usocket::selector_event ev[4];
            ASSERT_EQ(sel.wait(ev, 5s), 1u);  // the kernel's readiness
            EXPECT_EQ(s.recv(5), "01234");
            ASSERT_EQ(s.pending(), 15u);
            EXPECT_TRUE(kernel_has_nothing());
            ASSERT_EQ(sel.wait(ev, 0s), 1u) << "decrypted bytes are not seen";
            EXPECT_EQ(ev[0].token, 7u);
            EXPECT_EQ(ev[0].events, usocket::selector::readable);
            if (edge)
                EXPECT_EQ(sel.wait(ev, 0s), 0u) << "an edge is reported once";
            else
                EXPECT_EQ(sel.wait(ev, 0s), 1u) << "level-triggered: reported while the bytes are there";
            EXPECT_EQ(usocket::select(r, {}, {}, 0s).read.size(), 1u);
            EXPECT_EQ(poller.poll(0s).size(), 1u);
            EXPECT_EQ(s.recv(5), "56789");  // another read that leaves bytes: another edge
            EXPECT_EQ(sel.wait(ev, 0s), 1u);
            EXPECT_EQ(s.recv(100), "ABCDEFGHIJ");
            EXPECT_EQ(s.pending(), 0u);
            EXPECT_EQ(sel.wait(ev, 0s), 0u);
            EXPECT_TRUE(usocket::select(r, {}, {}, 0s).read.empty());
            EXPECT_TRUE(poller.poll(0s).empty());
        }
    }
}

// STARTTLS: the stream methods read the peer's first TLS bytes ahead with the plain-text line;
// once wrapped, they are the session's, and readiness counts them before any TLS call.
TEST_F(Tls, BytesReadAheadBeforeWrappingAreReadable) {
    auto [a, b] = tcp_pair();
    a.settimeout(10s);
    b.settimeout(10s);
    tls::socket client;
    std::thread peer([&, a = std::move(a)]() mutable {
        a.sendall(std::string_view("STARTTLS\n"));
        client = test_client_context().wrap_socket(std::move(a), named("localhost"));  // the ClientHello, at once
    });
    char peek[64];
    for (int i = 0; i < 500 && b.recv_into(usocket::mutable_buffer(peek, sizeof peek), 0, usocket::msg_peek) <= 9; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(b.readline(), "STARTTLS\n");  // the ClientHello is read ahead with it
    usocket::selector sel;
    sel.add(b, usocket::selector::readable, 3);
    tls::socket s = test_server_context().wrap_socket(std::move(b), deferred());
    EXPECT_FALSE(transport_readable(s.fileno()));  // the kernel (or lwIP) has nothing
    EXPECT_GT(s.pending(), 0u);
    const usocket::waitable r[] = {s};
    EXPECT_EQ(usocket::select(r, {}, {}, 0s).read.size(), 1u);
    usocket::selector_event ev[2];
    EXPECT_EQ(sel.wait(ev, 0s), 1u);
    s.do_handshake();
    peer.join();
    client.sendall(std::string_view("over TLS\n"));
    EXPECT_EQ(s.readline(), "over TLS\n");
}

TEST_F(Tls, MakefileAndStreambufOverTls) {
    thread_server srv = echo_server();
    auto s = client_to(srv.port());
    {
        auto f = s.makefile("rwb");
        f.write(std::string_view("first line\nsecond "));
        f.write(std::string_view("line\n"));
        f.flush();
        EXPECT_EQ(f.readline(), "first line\n");
        EXPECT_EQ(f.readline(), "second line\n");
    }
    usocket::socket_iostream io(s);
    io << "third line" << std::endl;
    std::string line;
    ASSERT_TRUE(std::getline(io, line));
    EXPECT_EQ(line, "third line");
    EXPECT_EQ(s.write(std::string_view("abc")), 3u);
    EXPECT_EQ(s.read(3), "abc");
    char buf[2];
    EXPECT_EQ(s.send(std::string_view("zz")), 2u);
    EXPECT_EQ(s.readinto(usocket::mutable_buffer(buf, 2)), 2u);
    EXPECT_EQ(std::string(buf, 2), "zz");
    s.close();
    srv.join();
    EXPECT_EQ(srv.error(), "");
}

TEST_F(Tls, NonBlockingHandshakeAndExchangeDrivenBySelect) {
    auto listener = tcp_listener();
    usocket::socket c(usocket::af_inet);
    c.setblocking(false);
    EXPECT_NE(c.connect_ex(listener.getsockname()), 0);  // in progress
    auto [a, peer] = listener.accept();
    a.setblocking(false);
    tls::wrap_options o = deferred();
    o.server_hostname = "localhost";
    auto client = test_client_context().wrap_socket(std::move(c), o);
    auto server = test_server_context().wrap_socket(std::move(a), deferred());
    EXPECT_FALSE(client.handshake_done());

    // Both handshakes, one thread, each waiting for the direction it was told.
    std::vector<tls::errc> directions;
    int rounds = 0;
    while ((!client.handshake_done() || !server.handshake_done()) && rounds++ < 200) {
        std::vector<usocket::waitable> r, w;
        for (tls::socket* t : {&client, &server}) {
            if (t->handshake_done()) continue;
            std::error_code ec;
            t->do_handshake(ec);
            if (!ec) continue;
            ASSERT_TRUE(usocket::is_would_block(ec)) << ec.message();
            directions.push_back(static_cast<tls::errc>(ec.value()));
            (ec == tls::errc::want_read ? r : w).push_back(*t);
        }
        if (!r.empty() || !w.empty()) (void)usocket::select(r, w, {}, 2s);
    }
    ASSERT_TRUE(client.handshake_done() && server.handshake_done());
    EXPECT_NE(std::find(directions.begin(), directions.end(), tls::errc::want_read), directions.end());

    std::error_code ec;
    (void)server.recv(10, ec);
    EXPECT_EQ(ec, tls::errc::want_read);
    EXPECT_THROW((void)server.recv(10), usocket::blocking_io_error);
    EXPECT_EQ(server.readline(), std::nullopt);  // the stream methods' "none"

    const std::string msg(100000, 'n');
    std::size_t sent = 0;
    std::string got;
    for (int i = 0; i < 2000 && got.size() < msg.size(); ++i) {
        if (sent < msg.size()) {
            std::error_code e;
            sent += client.send(std::string_view(msg).substr(sent), e);
            if (e) {
                ASSERT_TRUE(usocket::is_would_block(e)) << e.message();
            }
        }
        const usocket::waitable r[] = {server};
        if (usocket::select(r, {}, {}, 1s).read.empty()) continue;
        std::error_code e;
        got += server.recv(65536, e);
        if (e) {
                ASSERT_TRUE(usocket::is_would_block(e)) << e.message();
            }
    }
    EXPECT_EQ(got, msg);
}

TEST_F(Tls, OneReaderAndOneWriterAtOnce) {
    const std::size_t total = 4 << 20;
    thread_server srv(test_server_context(), [&](tls::socket& t) {
        // Echo with a reader and a writer of its own, as the client does.
        std::string buf;
        for (std::size_t n = 0; n < total;) {
            std::string piece = t.recv(65536);
            if (piece.empty()) break;
            n += piece.size();
            t.sendall(piece);
        }
    });
    auto s = client_to(srv.port());
    std::string data(total, '\0');
    for (std::size_t i = 0; i < total; ++i) data[i] = static_cast<char>(i * 7 + i / 4096);
    std::thread writer([&] { s.sendall(data); });
    std::string back;
    while (back.size() < total) {
        std::string piece = s.recv(65536);
        if (piece.empty()) break;
        back += piece;
    }
    writer.join();
    EXPECT_TRUE(back == data);
    s.close();
    srv.join();
    EXPECT_EQ(srv.error(), "");
}

TEST_F(Tls, CloseFromAnotherThreadEndsABlockedRead) {
    std::atomic<bool> reader_done{false};
    thread_server srv(test_server_context(), [&](tls::socket& t) {
        t.settimeout(5s);
        (void)read_to_end(t);  // ends on the client's close notification
    });
    auto s = client_to(srv.port());
    s.settimeout(5s);
    std::error_code ec;
    const auto t0 = clock::now();
    std::atomic<pid_t> tid{0};
    std::thread reader([&] {
        tid = this_tid();
        (void)s.recv(10, ec);
        reader_done = true;
    });
    while (tid == 0) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(wait_until_blocked(tid));
    std::this_thread::sleep_for(100ms);
    s.close();
    srv.join();
    reader.join();
    EXPECT_TRUE(reader_done);
    EXPECT_LT(seconds_since(t0), 4.0);
    EXPECT_TRUE(!ec || ec == std::errc::bad_file_descriptor) << ec.message();
}

TEST_F(Tls, UnwrapReturnsThePlainConnection) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "CPython's unwrap() on the other end (interoperability), a process on the kernel's loopback that lwIP's sockets cannot reach";
#endif
    python_server srv("unwrap");
    auto s = client_to(srv.port);
    s.sendall(std::string_view("tls line\n"));
    EXPECT_EQ(s.readline(), "tls line\n");
    usocket::socket plain = s.unwrap();
    EXPECT_FALSE(s.is_open());
    plain.sendall(std::string_view("clear\n"));
    EXPECT_EQ(read_to_end(plain), "plain:clear\n");
    EXPECT_EQ(srv.proc.line_starting("DONE"), "");
}

// unwrap() while another thread is blocked reading the TLS stream: the reader ends with the
// peer's close notification or EBADF, never inside a transport freed under it (AddressSanitizer
// sees that), and never takes the bytes that follow in the clear.
TEST_F(Tls, UnwrapWhileAnotherThreadReadsTouchesNothingFreed) {
    for (int round = 0; round < 3; ++round) {
        auto pair = tls_pair(5s);
        tls::socket& c = pair.first;
        tls::socket& s = pair.second;
        std::string server_error;
        std::thread server([&] {
            std::error_code ec;
            const std::string r = s.recv(100, ec);  // the client's close notification
            if (ec || !r.empty()) server_error = "recv: '" + r + "' " + ec.message();
            usocket::socket plain = s.unwrap(ec);
            if (ec) {
                server_error += " unwrap: " + ec.message();
                return;
            }
            plain.sendall(std::string_view("in the clear\n"));
        });
        std::atomic<pid_t> tid{0};
        std::string got = "unset";
        std::error_code read_ec;
        std::thread reader([&] {
            tid = this_tid();
            got = c.recv(100, read_ec);
        });
        for (int i = 0; i < 5000 && tid == 0; ++i) std::this_thread::sleep_for(1ms);
        EXPECT_TRUE(wait_until_blocked(tid));
        std::error_code ec;
        usocket::socket plain = c.unwrap(ec);
        ASSERT_FALSE(ec) << ec.message();
        reader.join();
        server.join();
        EXPECT_EQ(server_error, "");
        EXPECT_TRUE((!read_ec && got.empty()) || read_ec == std::errc::bad_file_descriptor)
            << "'" << got << "' " << read_ec.message();
        EXPECT_EQ(read_to_end(plain), "in the clear\n");
        // The TLS socket is closed, as by close(); the plain one is not.
        EXPECT_FALSE(c.is_open());
        EXPECT_EQ(c.pending(), 0u);
        EXPECT_EQ(error_of([&](auto& e) { (void)c.recv(1, e); }), std::errc::bad_file_descriptor);
        EXPECT_EQ(error_of([&](auto& e) { (void)c.unwrap(e); }), std::errc::bad_file_descriptor);
        EXPECT_TRUE(plain.is_open());
        EXPECT_EQ(plain.gettimeout(), usocket::timeout_type(5s));
    }
}

// Bytes a stream read decrypted ahead are the plain socket's first bytes after unwrap().
TEST_F(Tls, UnwrapKeepsBytesReadAhead) {
    auto pair = tls_pair(5s);
    tls::socket& c = pair.first;
    tls::socket& s = pair.second;
    std::error_code server_ec;
    std::thread server([&] {
        s.sendall(std::string_view("line\nahead"));
        usocket::socket plain = s.unwrap(server_ec);
        if (!server_ec) plain.sendall(std::string_view(" clear"));
    });
    EXPECT_EQ(c.readline(), "line\n");
    usocket::socket plain = c.unwrap();
    server.join();
    EXPECT_FALSE(server_ec) << server_ec.message();
    EXPECT_EQ(plain.pending(), 5u);
    EXPECT_EQ(read_to_end(plain), "ahead clear");
}

// Certificate, key and CA files: bounded in size (a device that never ends is refused, not read
// into memory), opened close-on-exec.
TEST_F(Tls, CertificateFilesAreBoundedAndCloseOnExec) {
    const auto& c = certs::get();
    auto ctx = tls::context::client();
    EXPECT_EQ(error_of([&](auto& ec) { ctx.load_verify_file("/dev/zero", ec); }), std::errc::file_too_large);
    auto sctx = tls::context::server();
    EXPECT_EQ(error_of([&](auto& ec) { sctx.load_cert_chain("/dev/zero", {}, {}, ec); }), std::errc::file_too_large);
    EXPECT_EQ(error_of([&](auto& ec) { sctx.load_cert_chain(c.path("server.pem"), "/dev/zero", {}, ec); }),
              std::errc::file_too_large);
    try {
        ctx.load_verify_file("/dev/zero");
        FAIL() << "loaded";
    } catch (const usocket::os_error& e) {
        EXPECT_EQ(e.code(), std::errc::file_too_large);
        EXPECT_NE(std::string(e.what()).find("/dev/zero"), std::string::npos) << e.what();
    }

    // One byte over the bound: a real CA followed by blank lines.
    const std::string big = c.path("big_ca.pem");
    {
        const std::string ca = c.bytes("ca.pem");
        std::ofstream f(big, std::ios::binary);
        f << ca << std::string(tls::max_file_bytes + 1 - ca.size(), '\n');
    }
    EXPECT_EQ(error_of([&](auto& ec) { ctx.load_verify_file(big, ec); }), std::errc::file_too_large);
    std::filesystem::remove(big);

    // While the file is read, its descriptor is close-on-exec (a FIFO holds the read open).
    const std::string fifo = c.path("ca.fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::error_code load_ec = make_error_code(std::errc::interrupted);
    std::thread loader([&] { ctx.load_verify_file(fifo, load_ec); });
    int w = -1;
    for (int i = 0; i < 5000 && w < 0; ++i) {  // ENXIO until the loader has it open for reading
        w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (w < 0) std::this_thread::sleep_for(1ms);
    }
    if (w < 0) {  // the loader failed to open it, and is done
        loader.join();
        std::filesystem::remove(fifo);
        FAIL() << "the loader never opened " << fifo << ": " << load_ec.message();
    }
    std::string flags;
    for (int i = 0; i < 5000 && flags.empty(); ++i) {
        for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
            std::error_code ignored;
            if (std::filesystem::read_symlink(e.path(), ignored) != fifo || e.path().filename() == std::to_string(w))
                continue;
            std::ifstream info("/proc/self/fdinfo/" + e.path().filename().string());
            for (std::string line; std::getline(info, line);)
                if (line.rfind("flags:", 0) == 0) flags = line.substr(6);
        }
        if (flags.empty()) std::this_thread::sleep_for(1ms);
    }
    const std::string ca = c.bytes("ca.pem");
    EXPECT_EQ(::write(w, ca.data(), ca.size()), static_cast<ssize_t>(ca.size()));
    ::close(w);
    loader.join();
    std::filesystem::remove(fifo);
    EXPECT_FALSE(load_ec) << load_ec.message();
    ASSERT_FALSE(flags.empty()) << "the loader's descriptor was not found";
    EXPECT_NE(std::stoul(flags, nullptr, 8) & O_CLOEXEC, 0u) << "flags" << flags;
}

TEST_F(Tls, ClosedAndPlainSocketsGiveClearErrors) {
    tls::socket none;
    EXPECT_EQ(error_of([&](auto& ec) { none.do_handshake(ec); }), std::errc::bad_file_descriptor);
    EXPECT_EQ(none.version(), "");
    EXPECT_FALSE(none.cipher());
    EXPECT_THROW((void)none.getpeercert(), usocket::value_error);
    auto [a, b] = tcp_pair();
    a.settimeout(2s);
    auto t = test_server_context().wrap_socket(std::move(a), deferred());
    EXPECT_THROW((void)t.getpeercert(), usocket::value_error);  // handshake not done
    t.close();
    EXPECT_EQ(error_of([&](auto& ec) { (void)t.recv(1, ec); }), std::errc::bad_file_descriptor);
    auto [c, d] = usocket::socketpair(usocket::af_unix, usocket::sock_dgram);
    EXPECT_EQ(error_of([&](auto& ec) { (void)test_server_context().wrap_socket(std::move(c), {}, ec); }),
              tls::errc::bad_argument);
}

}  // namespace

namespace {

usocket::socket* reentrant_target = nullptr;
std::vector<std::error_code> reentrant_errors;

bool wrap_the_socket_being_read() noexcept {
    std::error_code ec;
    tls::context ctx = tls::context::open(tls::role::client, ec);
    if (ec) return false;
    ctx.set_verify_mode(tls::verify_mode::none);
    tls::wrap_options o;
    o.do_handshake_on_connect = false;
    (void)ctx.wrap_socket(std::move(*reentrant_target), o, ec);
    reentrant_errors.push_back(ec);
    return false;
}

}  // namespace

// wrap_socket() of a socket from inside a read of it on the same thread (a signal handler run by
// the interrupt check) is reentrant_call: the socket stays as it was and the read goes on.
TEST_F(Tls, WrapInsideAReadOfTheSameSocketIsRefused) {
    auto [a, b] = usocket::socketpair();
    reentrant_target = &b;
    reentrant_errors.clear();
    const interrupt_check_guard restore;
    usocket::set_interrupt_check(wrap_the_socket_being_read);
    std::optional<std::string> line;
    std::error_code ec;
    {
        const signaller sig(::pthread_self(), 100ms);
        std::thread rest([&a = a] {
            std::this_thread::sleep_for(400ms);
            a.sendall("line\n");
        });
        line = b.readline(ec);
        rest.join();
    }
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(line, "line\n");
    ASSERT_FALSE(reentrant_errors.empty()) << "the signal did not reach the interrupt check";
    for (const auto& e : reentrant_errors) EXPECT_EQ(e, usocket::errc::reentrant_call) << e.message();
    EXPECT_TRUE(b.is_open());
}

namespace {
tls::socket* closed_by_handler = nullptr;
bool close_the_tls_socket() noexcept {
    std::error_code ignored;
    if (closed_by_handler != nullptr) closed_by_handler->close(ignored);
    return false;  // the handler returned: the call goes on, and finds its socket gone
}
}  // namespace

// A signal handler that closes the TLS socket a read waits on ends that read with EBADF as soon
// as it returns, as for a plain socket, not when the peer or the deadline comes.
TEST_F(Tls, AHandlerThatClosesTheSocketEndsTheReadWaitingOnIt) {
    auto [c, s] = tls_pair(10s);
    closed_by_handler = &c;
    const interrupt_check_guard restore;
    usocket::set_interrupt_check(close_the_tls_socket);
    std::error_code ec;
    const auto t0 = std::chrono::steady_clock::now();
    {
        const signaller sig(::pthread_self(), 100ms);
        char buf[16];
        (void)c.recv_into(usocket::mutable_buffer(buf, sizeof buf), ec);
    }
    closed_by_handler = nullptr;
    EXPECT_EQ(ec, std::errc::bad_file_descriptor) << ec.message();
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0)
        << "waited on after the handler closed the socket";
    EXPECT_FALSE(c.is_open());
}
