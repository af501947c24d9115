// The public TLS API (usocket/tls.hpp) over the engine seam (engine.hpp): contexts, wrapping a
// socket, the tls::socket methods, create_connection with one deadline.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "engine.hpp"
#include "or_throw.hpp"
#include "session.hpp"
#include "sock_call.hpp"
#include "socket_access.hpp"
#include "usocket/tls.hpp"

namespace usocket::tls {

namespace {

using usocket::detail::clear_error;
using usocket::detail::or_throw;

std::error_code tls_error(errc e) noexcept { return make_error_code(e); }

// Reads a whole file of certificates or keys (close-on-exec). A bundle of every public CA is
// about 200 KiB; a file larger than max_file_bytes (/dev/zero, a log named by mistake) is
// refused with EFBIG before it can take the memory.
bool read_file(const std::string& path, std::string& out, std::error_code& ec) noexcept {
    std::FILE* f = std::fopen(path.c_str(), "rbe");
    if (f == nullptr) {
        ec = system_error_code(errno);
        return false;
    }
    bool too_big = false;
    errno = 0;
    USOCKET_TLS_TRY {
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) != 0) {
            if (n > max_file_bytes - out.size()) {
                too_big = true;
                break;
            }
            out.append(buf, n);
        }
    } USOCKET_TLS_CATCH_ALL {
        std::fclose(f);
        ec = system_error_code(ENOMEM);
        return false;
    }
    const bool bad = std::ferror(f) != 0;
    const int read_errno = errno != 0 ? errno : EIO;  // a directory: EISDIR
    std::fclose(f);
    if (too_big || bad) {
        std::string().swap(out);
        ec = system_error_code(too_big ? EFBIG : read_errno);
        return false;
    }
    return true;
}

bool is_ip_literal(const std::string& host) noexcept {
    unsigned char bytes[16];
    std::size_t size = 0;
    std::error_code ignored;
    return sys::inet_pton(af_inet, host.c_str(), bytes, size, ignored) ||
           sys::inet_pton(af_inet6, host.c_str(), bytes, size, ignored);
}

void clear_info(error_info* info) noexcept {
    if (info == nullptr) return;
    info->verify_message.clear();
    info->attempts.clear();
}

// The failure's own words in an exception's context: "TLS handshake (certificate has expired)".
std::string with_detail(const char* what, const std::string& detail) {
    std::string out = what;
    if (!detail.empty()) out += " (" + detail + ")";
    return out;
}

}  // namespace

std::string engine_version() { return detail::engine_version(); }
bool has_tls1_3() noexcept { return detail::has_tls1_3(); }

std::string certificate_info::subject_attribute(std::string_view name) const {
    for (const auto& rdn : subject)
        for (const auto& a : rdn)
            if (a.name == name) return a.value;
    return {};
}

// --- context ----------------------------------------------------------------------------------

context::context(role r) : context(or_throw("TLS context", [&](std::error_code& ec) { return open(r, ec); })) {}

context context::open(role r, std::error_code& ec) noexcept {
    clear_error(ec);
    std::shared_ptr<detail::context_impl> impl;
    USOCKET_TLS_TRY {
        impl = std::make_shared<detail::context_impl>();
    } USOCKET_TLS_CATCH_ALL {
        ec = system_error_code(ENOMEM);
        return {};
    }
    impl->set.side = r;
    impl->set.verify = r == role::client ? verify_mode::required : verify_mode::none;
    impl->set.check_hostname = r == role::client;
    impl->eng = detail::new_context(r, ec);
    if (!impl->eng) return {};
    return context(std::move(impl));
}

role context::get_role() const noexcept { return impl_ ? impl_->set.side : role::client; }

void context::set_verify_mode(verify_mode mode) noexcept {
    if (!impl_) return;
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    impl_->set.verify = mode;
    if (mode == verify_mode::none) impl_->set.check_hostname = false;
}

verify_mode context::get_verify_mode() const noexcept {
    if (!impl_) return verify_mode::none;
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    return impl_->set.verify;
}

void context::set_check_hostname(bool on) noexcept {
    if (!impl_) return;
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    impl_->set.check_hostname = on;
    if (on && impl_->set.verify == verify_mode::none) impl_->set.verify = verify_mode::required;
}

bool context::check_hostname() const noexcept {
    if (!impl_) return false;
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    return impl_->set.check_hostname;
}

void context::load_verify_file(const std::string& cafile, std::error_code& ec) noexcept {
    clear_error(ec);
    std::string data;
    if (!read_file(cafile, data, ec)) return;
    load_verify_data(const_buffer(data.data(), data.size()), ec);
}

void context::load_verify_file(const std::string& cafile) {
    or_throw([&] { return "load_verify_file " + cafile; }, [&](std::error_code& ec) { load_verify_file(cafile, ec); });
}

void context::load_verify_data(const_buffer cadata, std::error_code& ec) noexcept {
    clear_error(ec);
    if (!impl_) {
        ec = tls_error(errc::not_tls);
        return;
    }
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    if (detail::add_trusted(*impl_->eng, cadata, ec)) impl_->own_trust = true;
}

void context::load_verify_data(const_buffer cadata) {
    or_throw("load_verify_data", [&](std::error_code& ec) { load_verify_data(cadata, ec); });
}

void context::set_default_trust(bool on) noexcept {
    if (!impl_) return;
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    impl_->auto_trust = on;
}

bool context::default_trust() const noexcept {
    if (!impl_) return false;
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    return impl_->auto_trust;
}

void context::load_default_certs(std::error_code& ec) noexcept {
    clear_error(ec);
    if (!impl_) {
        ec = tls_error(errc::not_tls);
        return;
    }
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    if (impl_->default_trust) return;
    if (detail::add_default_trust(*impl_->eng, ec)) impl_->default_trust = true;
}

void context::load_default_certs() {
    or_throw("load_default_certs", [&](std::error_code& ec) { load_default_certs(ec); });
}

void context::load_cert_chain(const std::string& certfile, const std::string& keyfile, std::string_view password,
                              std::error_code& ec) noexcept {
    clear_error(ec);
    std::string cert, key;
    if (!read_file(certfile, cert, ec)) return;
    if (!keyfile.empty() && !read_file(keyfile, key, ec)) return;
    const std::string& k = keyfile.empty() ? cert : key;
    load_cert_chain_data(const_buffer(cert.data(), cert.size()), const_buffer(k.data(), k.size()), password, ec);
}

void context::load_cert_chain(const std::string& certfile, const std::string& keyfile, std::string_view password) {
    or_throw([&] { return "load_cert_chain " + certfile; },
             [&](std::error_code& ec) { load_cert_chain(certfile, keyfile, password, ec); });
}

void context::load_cert_chain_data(const_buffer cert, const_buffer key, std::string_view password,
                                   std::error_code& ec) noexcept {
    clear_error(ec);
    if (!impl_) {
        ec = tls_error(errc::not_tls);
        return;
    }
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    detail::set_certificate(*impl_->eng, cert, key, password, ec);
}

void context::load_cert_chain_data(const_buffer cert, const_buffer key, std::string_view password) {
    or_throw("load_cert_chain_data", [&](std::error_code& ec) { load_cert_chain_data(cert, key, password, ec); });
}

void context::set_alpn_protocols(const std::vector<std::string>& protocols, std::error_code& ec) noexcept {
    clear_error(ec);
    if (!impl_) {
        ec = tls_error(errc::not_tls);
        return;
    }
    for (const auto& p : protocols)
        if (p.empty() || p.size() > 255) {
            ec = tls_error(errc::bad_argument);
            return;
        }
    USOCKET_TLS_TRY {
        const std::lock_guard<sys::mutex> lock(impl_->lock);
        impl_->set.alpn = protocols;
    } USOCKET_TLS_CATCH_ALL {
        ec = system_error_code(ENOMEM);
    }
}

void context::set_alpn_protocols(const std::vector<std::string>& protocols) {
    or_throw("set_alpn_protocols", [&](std::error_code& ec) { set_alpn_protocols(protocols, ec); });
}

void context::set_minimum_version(protocol_version v, std::error_code& ec) noexcept {
    clear_error(ec);
    if (!impl_ || !detail::version_supported(v)) {
        ec = tls_error(impl_ ? errc::bad_argument : errc::not_tls);
        return;
    }
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    impl_->set.min_version = v;
}

void context::set_minimum_version(protocol_version v) {
    or_throw("set_minimum_version", [&](std::error_code& ec) { set_minimum_version(v, ec); });
}

void context::set_maximum_version(protocol_version v, std::error_code& ec) noexcept {
    clear_error(ec);
    if (!impl_ || !detail::version_supported(v)) {
        ec = tls_error(impl_ ? errc::bad_argument : errc::not_tls);
        return;
    }
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    impl_->set.max_version = v;
}

void context::set_maximum_version(protocol_version v) {
    or_throw("set_maximum_version", [&](std::error_code& ec) { set_maximum_version(v, ec); });
}

void context::set_ciphers(std::string_view ciphers, std::error_code& ec) noexcept {
    clear_error(ec);
    if (!impl_) {
        ec = tls_error(errc::not_tls);
        return;
    }
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    detail::set_ciphers(*impl_->eng, ciphers, ec);
}

void context::set_ciphers(std::string_view ciphers) {
    or_throw("set_ciphers", [&](std::error_code& ec) { set_ciphers(ciphers, ec); });
}

std::vector<std::string> context::get_ciphers() const {
    if (!impl_) return {};
    const std::lock_guard<sys::mutex> lock(impl_->lock);
    return detail::cipher_names(*impl_->eng);
}

namespace {

// wrap_socket() with the engine's words for a failed handshake in `detail`.
tls::socket wrap(const std::shared_ptr<detail::context_impl>& impl, usocket::socket&& sock, const wrap_options& o,
                 std::error_code& ec, std::string& failure, socket (*make)(usocket::socket&&)) noexcept {
    clear_error(ec);
    if (!impl) {
        ec = tls_error(errc::not_tls);
        return {};
    }
    detail::socket_state* st = socket_access::state(sock);
    if (st == nullptr || st->closed()) {
        ec = usocket::detail::bad_descriptor();
        return {};
    }
    if (st->tr != nullptr || st->type != sock_stream) {
        ec = tls_error(errc::bad_argument);
        return {};
    }
    detail::session_config cfg;
    USOCKET_TLS_TRY {
        cfg.server_hostname = o.server_hostname;
    } USOCKET_TLS_CATCH_ALL {
        ec = system_error_code(ENOMEM);
        return {};
    }
    cfg.hostname_is_ip = !cfg.server_hostname.empty() && is_ip_literal(cfg.server_hostname);
    cfg.resume = detail::session_access::get(o.session);
    {
        const std::lock_guard<sys::mutex> lock(impl->lock);
        const detail::settings& s = impl->set;
        if (s.side == role::server && !o.server_hostname.empty()) {
            ec = tls_error(errc::bad_argument);  // CPython: server_hostname in client mode only
            return {};
        }
        if (s.side == role::client && s.check_hostname && o.server_hostname.empty()) {
            ec = tls_error(errc::server_hostname_required);
            return {};
        }
        if (s.side == role::client && s.verify != verify_mode::none && impl->auto_trust && !impl->own_trust &&
            !impl->default_trust) {
            if (!detail::add_default_trust(*impl->eng, ec)) return {};
            impl->default_trust = true;
        }
    }
    if (st->read_lock.held_here()) [[unlikely]] {
        ec = usocket::errc::reentrant_call;  // inside a read of this socket on this thread
        return {};
    }
    auto* tr = new (std::nothrow) detail::tls_transport(impl, st->fd, o);
    if (tr == nullptr) {
        ec = system_error_code(ENOMEM);
        return {};
    }
    if (!tr->init(cfg, ec)) {
        delete tr;
        return {};
    }
    {
        // Bytes the stream methods read ahead before (STARTTLS) belong to the TLS stream.
        const std::lock_guard<usocket::detail::read_mutex> lock(st->read_lock);
        st->rb.settle();
        if (st->rb.size() != 0) {
            if (!tr->io().preload(st->rb.head(), st->rb.size())) {
                delete tr;
                ec = system_error_code(ENOMEM);
                return {};
            }
            st->rb.consume(st->rb.size());
        }
        st->tr = tr;
        st->publish();
        tr->count_preloaded(*st);
    }
    tls::socket out = make(std::move(sock));
    if (!o.do_handshake_on_connect) return out;
    std::error_code not_connected;
    (void)out.getpeername(not_connected);
    if (not_connected) return out;  // tls::socket::connect() handshakes
    out.do_handshake(ec);
    if (!ec) return out;
    if (is_would_block(ec)) {  // a non-blocking socket: the handshake goes on in later calls
        ec.assign(0, ec.category());
        return out;
    }
    failure = out.verify_message();
    return {};  // closes the socket
}

}  // namespace

tls::socket context::wrap_socket(usocket::socket&& sock, const wrap_options& options, std::error_code& ec,
                                 error_info* info) const noexcept {
    clear_info(info);
    std::string failure;
    tls::socket out = wrap(impl_, std::move(sock), options, ec, failure,
                           [](usocket::socket&& s) { return tls::socket(std::move(s)); });
    if (ec && info != nullptr) info->verify_message = std::move(failure);
    return out;
}

tls::socket context::wrap_socket(usocket::socket&& sock, const wrap_options& options) const {
    std::error_code ec;
    std::string failure;
    tls::socket out = wrap(impl_, std::move(sock), options, ec, failure,
                           [](usocket::socket&& s) { return tls::socket(std::move(s)); });
    if (ec) detail::raise(ec, with_detail("TLS handshake", failure), failure);
    return out;
}

// --- tls::socket ------------------------------------------------------------------------------

void socket::do_handshake(std::error_code& ec) noexcept {
    clear_error(ec);
    detail::socket_state* st = socket_access::state(*this);
    const usocket::detail::use_guard use(st);
    if (!use) {
        ec = usocket::detail::bad_descriptor();
        return;
    }
    detail::tls_transport* tr = detail::transport_of(*this);
    if (tr == nullptr) {
        ec = tls_error(errc::not_tls);
        return;
    }
    detail::deadline dl = usocket::detail::call_deadline(*st);
    tr->handshake(*st, dl, ec);
}

void socket::do_handshake() {
    std::error_code ec;
    do_handshake(ec);
    if (!ec) return;
    const std::string words = is_would_block(ec) ? std::string() : verify_message();
    detail::raise(ec, with_detail("TLS handshake", words), words);
}

bool socket::handshake_done() const noexcept {
    const detail::tls_transport* tr = detail::transport_of(*this);
    return tr != nullptr && tr->handshake_done();
}

void socket::connect(const address& peer, std::error_code& ec) noexcept {
    usocket::socket::connect(peer, ec);
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (!ec && tr != nullptr && tr->handshake_on_connect) do_handshake(ec);
}

void socket::connect(const address& peer) {
    usocket::socket::connect(peer);
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (tr != nullptr && tr->handshake_on_connect) do_handshake();
}

void socket::connect(std::string_view host, int port, std::error_code& ec) noexcept {
    usocket::socket::connect(host, port, ec);
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (!ec && tr != nullptr && tr->handshake_on_connect) do_handshake(ec);
}

void socket::connect(std::string_view host, int port) {
    usocket::socket::connect(host, port);
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (tr != nullptr && tr->handshake_on_connect) do_handshake();
}

std::optional<certificate_info> socket::getpeercert(std::error_code& ec) const {
    clear_error(ec);
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (tr == nullptr || !tr->handshake_done()) {
        ec = tls_error(tr == nullptr ? errc::not_tls : errc::handshake_not_done);
        return std::nullopt;
    }
    std::string der;
    bool verified = false;
    tr->with_engine([&](const detail::engine_session& s) {
        der = detail::peer_certificate(s);
        verified = detail::peer_verified(s);
    });
    if (der.empty() || !verified) return std::nullopt;
    certificate_info info;
    if (!detail::parse_certificate(der, info)) {
        ec = tls_error(errc::bad_certificate_data);
        return std::nullopt;
    }
    return info;
}

std::optional<certificate_info> socket::getpeercert() const {
    return or_throw("getpeercert", [&](std::error_code& ec) { return getpeercert(ec); });
}

std::string socket::getpeercert_der(std::error_code& ec) const {
    clear_error(ec);
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (tr == nullptr || !tr->handshake_done()) {
        ec = tls_error(tr == nullptr ? errc::not_tls : errc::handshake_not_done);
        return {};
    }
    return tr->with_engine([](const detail::engine_session& s) { return detail::peer_certificate(s); });
}

std::string socket::getpeercert_der() const {
    return or_throw("getpeercert", [&](std::error_code& ec) { return getpeercert_der(ec); });
}

std::optional<cipher_info> socket::cipher() const {
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (tr == nullptr || !tr->handshake_done()) return std::nullopt;
    return tr->with_engine([](const detail::engine_session& s) { return detail::cipher(s); });
}

std::string socket::version() const {
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (tr == nullptr || !tr->handshake_done()) return {};
    return tr->with_engine([](const detail::engine_session& s) { return detail::version(s); });
}

std::string socket::selected_alpn_protocol() const {
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (tr == nullptr || !tr->handshake_done()) return {};
    return tr->with_engine([](const detail::engine_session& s) { return detail::alpn(s); });
}

std::string socket::server_hostname() const {
    const detail::tls_transport* tr = detail::transport_of(*this);
    return tr != nullptr ? tr->server_hostname : std::string();
}

bool socket::server_side() const noexcept {
    const detail::tls_transport* tr = detail::transport_of(*this);
    return tr != nullptr && tr->server_side;
}

std::string socket::verify_message() const {
    const detail::tls_transport* tr = detail::transport_of(*this);
    return tr != nullptr ? tr->failure() : std::string();
}

tls::session socket::session() const {
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (tr == nullptr || !tr->handshake_done()) return {};
    return detail::session_access::make(
        tr->with_engine([](const detail::engine_session& s) { return detail::get_session(s); }));
}

bool socket::session_reused() const noexcept {
    const detail::tls_transport* tr = detail::transport_of(*this);
    if (tr == nullptr || !tr->handshake_done()) return false;
    return tr->with_engine([](const detail::engine_session& s) { return detail::session_reused(s); });
}

tls::context socket::context() const {
    const detail::tls_transport* tr = detail::transport_of(*this);
    return tr != nullptr ? tls::context(tr->ctx) : tls::context();
}

void socket::shutdown(shutdown_how how, std::error_code& ec) noexcept {
    clear_error(ec);
    detail::socket_state* st = socket_access::state(*this);
    {
        const usocket::detail::use_guard use(st);
        if (!use) {
            ec = usocket::detail::bad_descriptor();
            return;
        }
        detail::tls_transport* tr = detail::transport_of(*this);
        if (tr != nullptr && tr->handshake_done()) {
            detail::deadline dl = usocket::detail::call_deadline(*st);
            if (how == shut_wr) {
                if (!tr->close_notify(*st, dl, ec)) return;
            } else if (how == shut_rdwr) {
                tr->shutdown(*st, dl, ec);  // as close() sends it
                ec.assign(0, ec.category());
            }
        }
    }
    usocket::socket::shutdown(how, ec);
}

void socket::shutdown(shutdown_how how) {
    or_throw("shutdown", [&](std::error_code& ec) { shutdown(how, ec); });
}

usocket::socket socket::unwrap(std::error_code& ec) noexcept {
    clear_error(ec);
    detail::socket_state* st = socket_access::state(*this);
    const usocket::detail::use_guard use(st);
    if (!use) {
        ec = usocket::detail::bad_descriptor();
        return {};
    }
    detail::tls_transport* tr = detail::transport_of(*this);
    if (tr == nullptr) {
        ec = tls_error(errc::not_tls);
        return {};
    }
    detail::deadline dl = usocket::detail::call_deadline(*st);
    if (tr->handshake_done() && !tr->unwrap(*st, dl, ec)) return {};
    // The TLS socket's state keeps its transport to the end: a call racing unwrap() may be
    // inside it (the slot is read without a lock). The state is retired as close() retires it
    // (later calls, and calls in flight when they would go on, fail with EBADF), and the
    // descriptor moves to a new state for the plain socket.
    tr->retire();
    const sys::handle fd = st->detach();
    if (fd == invalid_handle) {  // close() came first: it closes the descriptor
        ec = usocket::detail::bad_descriptor();
        return {};
    }
    detail::socket_state* plain =
        detail::socket_state::make(fd, st->family, st->type, st->proto, st->timeout_ns(), ec);
    if (plain == nullptr) return {};
    plain->set_deadline_ns(st->deadline_ns());
    usocket::socket out = socket_access::make(plain);
    // Bytes the stream methods read ahead past the last read are the caller's (decrypted before
    // the close notification). A stream read in flight holding some (a line begun) is waited
    // for: it ends with EBADF when its wait does. One of this thread's own (unwrap() from a
    // signal handler run inside it) keeps them.
    if (st->buffered.load(std::memory_order_acquire) != 0 && !st->read_lock.held_here()) {
        const std::lock_guard<usocket::detail::read_mutex> old_rb(st->read_lock);
        st->rb.settle();
        if (st->rb.size() != 0) {
            const std::lock_guard<usocket::detail::read_mutex> new_rb(plain->read_lock);
            if (!plain->rb.unread(st->rb.head(), st->rb.size())) {
                ec = system_error_code(ENOMEM);
                return {};  // closes the plain socket
            }
            st->rb.consume(st->rb.size());
            st->publish();
            plain->publish();
        }
    }
    return out;
}

usocket::socket socket::unwrap() {
    return or_throw("unwrap", [&](std::error_code& ec) { return unwrap(ec); });
}

// --- create_connection --------------------------------------------------------------------------

namespace {

// A client that checks host names needs one: refused before anything is connected.
bool names_a_host(std::string_view host, const context& ctx, const wrap_options& wrap, std::error_code& ec) noexcept {
    if (!host.empty() || !wrap.server_hostname.empty() || ctx.get_role() != role::client || !ctx.check_hostname())
        return true;
    ec = tls_error(errc::server_hostname_required);
    return false;
}

// The TLS half of create_connection(): wrap, then handshake by the deadline that began at `start`.
tls::socket finish_connection(usocket::socket&& plain, std::string_view host, const context& ctx,
                              const connection_options& options, const wrap_options& wrap,
                              std::chrono::steady_clock::time_point start, std::error_code& ec,
                              std::string& failure) {
    wrap_options w = wrap;
    if (w.server_hostname.empty() && ctx.get_role() == role::client) w.server_hostname = std::string(host);
    w.do_handshake_on_connect = false;
    tls::socket t = ctx.wrap_socket(std::move(plain), w, ec);
    if (ec || !wrap.do_handshake_on_connect) return t;
    const bool bounded = options.timeout.has_value() && options.timeout->count() > 0;
    if (bounded) {
        t.set_deadline(start + *options.timeout, ec);
        if (ec) return {};
    }
    t.do_handshake(ec);
    if (ec && !is_would_block(ec)) {
        failure = t.verify_message();
        return {};
    }
    ec.assign(0, ec.category());  // would-block: a non-blocking socket handshakes later
    if (bounded) t.set_deadline(std::nullopt, ec);
    if (ec) return {};
    return t;
}

// The error_code forms: `connect(ec, attempts)` makes the TCP connection.
template <class Connect>
tls::socket connect_and_wrap(Connect&& connect, std::string_view host, const context& ctx,
                             const connection_options& options, const wrap_options& wrap, std::error_code& ec,
                             error_info* info) {
    clear_error(ec);
    clear_info(info);
    if (!names_a_host(host, ctx, wrap, ec)) return {};
    const auto start = std::chrono::steady_clock::now();
    usocket::socket plain = connect(ec, info != nullptr ? &info->attempts : nullptr);
    if (ec) return {};
    std::string failure;
    tls::socket t = finish_connection(std::move(plain), host, ctx, options, wrap, start, ec, failure);
    if (ec && info != nullptr) info->verify_message = std::move(failure);
    return t;
}

// The throwing forms: `connect()` makes the TCP connection and throws what
// usocket::create_connection() throws (connection_errors with all_errors).
template <class Connect>
tls::socket connect_and_wrap_or_throw(Connect&& connect, std::string_view host, const context& ctx,
                                      const connection_options& options, const wrap_options& wrap,
                                      const std::string& what) {
    std::error_code ec;
    if (!names_a_host(host, ctx, wrap, ec)) detail::raise(ec, what, {});
    const auto start = std::chrono::steady_clock::now();
    usocket::socket plain = connect();
    std::string failure;
    tls::socket t = finish_connection(std::move(plain), host, ctx, options, wrap, start, ec, failure);
    if (ec) detail::raise(ec, with_detail(what.c_str(), failure), failure);
    return t;
}

std::string addresses_context(std::span<const address> candidates) {
    return candidates.empty() ? std::string("TLS connection") : "TLS connection to " + candidates.front().to_string();
}

}  // namespace

tls::socket create_connection(std::string_view host, int port, const context& ctx, const connection_options& options,
                              const wrap_options& wrap, std::error_code& ec, error_info* info) {
    return connect_and_wrap(
        [&](std::error_code& e, std::vector<attempt_error>* attempts) {
            return usocket::create_connection(host, port, options, e, attempts);
        },
        host, ctx, options, wrap, ec, info);
}

tls::socket create_connection(std::string_view host, int port, const context& ctx, const connection_options& options,
                              const wrap_options& wrap) {
    return connect_and_wrap_or_throw([&] { return usocket::create_connection(host, port, options); }, host, ctx,
                                     options, wrap,
                                     usocket::detail::host_port_context("TLS connection", host, port));
}

tls::socket create_connection(std::span<const address> candidates, const context& ctx,
                              const connection_options& options, const wrap_options& wrap, std::error_code& ec,
                              error_info* info) {
    return connect_and_wrap(
        [&](std::error_code& e, std::vector<attempt_error>* attempts) {
            return usocket::create_connection(candidates, options, e, attempts);
        },
        {}, ctx, options, wrap, ec, info);
}

tls::socket create_connection(std::span<const address> candidates, const context& ctx,
                              const connection_options& options, const wrap_options& wrap) {
    return connect_and_wrap_or_throw([&] { return usocket::create_connection(candidates, options); }, {}, ctx,
                                     options, wrap, addresses_context(candidates));
}

}  // namespace usocket::tls
