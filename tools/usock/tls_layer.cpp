// usock --tls over the library's usocket::tls: contexts, handshakes and their messages.

#include "tls_layer.hpp"

#include <cctype>
#include <cstdio>
#include <utility>

namespace usock {

namespace {
constexpr auto default_handshake_limit = std::chrono::seconds(10);

// "10 s", "1.5 s".
std::string seconds_text(std::chrono::steady_clock::duration d) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", std::chrono::duration<double>(d).count());
    std::string s = text;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s + " s";
}
}  // namespace

#if USOCKET_HAS_TLS

namespace tls = usocket::tls;

namespace {

// describe(ec), then the engine's words in parentheses when they add something.
std::string with_words(const std::error_code& ec, std::string words) {
    std::string text = describe(ec);
    while (!words.empty() && (words.back() == '.' || words.back() == '\n')) words.pop_back();
    if (!words.empty()) words[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(words[0])));
    if (!words.empty() && text.find(words) == std::string::npos) text += " (" + words + ")";
    return text;
}

// The advice a person needs after a certificate was refused.
std::string hint(const std::error_code& ec, bool server) {
    if (server) {
        if (ec == tls::errc::no_peer_certificate || tls::is_certificate_error(ec))
            return "; this server asks for a client certificate issued by a CA of --cafile";
        return "";
    }
    if (ec == tls::errc::certificate_untrusted) return "; --cafile FILE trusts its CA, --insecure verifies nothing";
    if (ec == tls::errc::hostname_mismatch) return "; --servername NAME checks another name";
    return "";
}

// "TLS handshake with WHO failed: certificate verify failed: certificate has expired", with the
// engine's own words when they add something, or "... timed out after 2 s".
std::string handshake_failure(const std::string& who, const std::error_code& ec, const std::string& words,
                              std::chrono::steady_clock::duration limit, bool server) {
    const std::string with = who.empty() ? "TLS handshake" : "TLS handshake with " + who;
    if (usocket::is_timeout(ec)) return with + " timed out after " + seconds_text(limit);
    return with + " failed: " + with_words(ec, words) + hint(ec, server);
}

std::string common_name(const tls::distinguished_name& dn) {
    for (const auto& rdn : dn)
        for (const auto& a : rdn)
            if (a.name == "commonName") return "CN=" + a.value;
    for (const auto& rdn : dn)
        for (const auto& a : rdn) return a.name + "=" + a.value;
    return "(no name)";
}

// Loads what the options name into a fresh context; throws failure naming the option.
tls::context make_context(const options& opt) {
    std::error_code ec;
    tls::context ctx = tls::context::open(opt.listen ? tls::role::server : tls::role::client, ec);
    if (ec) throw failure("cannot set up TLS: " + describe(ec));
    if (!opt.cert.empty()) {
        ctx.load_cert_chain(opt.cert, opt.key, {}, ec);
        if (ec) {
            const std::string files = opt.key.empty() ? "--cert " + opt.cert : "--cert " + opt.cert + " and --key " + opt.key;
            throw failure("cannot load " + files + ": " + describe(ec));
        }
    }
    if (!opt.cafile.empty()) {
        ctx.load_verify_file(opt.cafile, ec);
        if (ec) throw failure("cannot load --cafile " + opt.cafile + ": " + describe(ec));
        if (opt.listen) ctx.set_verify_mode(tls::verify_mode::required);
    }
    if (opt.insecure) ctx.set_verify_mode(tls::verify_mode::none);
    if (!opt.alpn.empty()) {
        ctx.set_alpn_protocols(opt.alpn, ec);
        if (ec) throw failure("cannot use --alpn: " + describe(ec));
    }
    return ctx;
}

// The handshake of a blocking socket, by `deadline`; the socket comes back without it.
bool handshake_by(tls::socket& t, std::optional<std::chrono::steady_clock::time_point> deadline, std::error_code& ec,
                  std::string& words) {
    t.set_deadline(deadline, ec);
    if (!ec) t.do_handshake(ec);
    if (ec) {
        words = t.verify_message();
        return false;
    }
    t.set_deadline(std::nullopt, ec);
    return !ec;
}

}  // namespace

bool tls_available() noexcept { return true; }

std::string tls_engine() { return tls::engine_version(); }

bool is_ragged_eof(const std::error_code& ec) noexcept { return ec == tls::errc::unexpected_eof; }

bool is_tls_want_write(const std::error_code& ec) noexcept { return ec == tls::errc::want_write; }

tls_layer::tls_layer(const options& opt) : opt_(opt) {
    if (opt.tls) ctx_.emplace(make_context(opt));
}

std::string connection::explain(const std::error_code& ec) const {
    return secure_ ? with_words(ec, secure_->verify_message()) : describe(ec);
}

void connection::shutdown(usocket::shutdown_how how, std::error_code& ec) noexcept {
    if (secure_)
        secure_->shutdown(how, ec);
    else
        plain_.shutdown(how, ec);
}

usocket::tls::socket tls_layer::connect(usocket::socket plain, const std::string& target,
                                        std::optional<time_point> deadline) const {
    tls::wrap_options w;
    w.server_hostname = !opt_.servername.empty() || !opt_.unix_path.empty() ? opt_.servername : opt_.host;
    w.do_handshake_on_connect = false;
    w.suppress_ragged_eofs = false;  // the relay tells a clean end from a ragged one (-v)
    if (opt_.verbose && opt_.insecure) say("--insecure: the server's certificate is not verified");
    std::error_code ec;
    tls::socket t = ctx_->wrap_socket(std::move(plain), w, ec);
    if (ec) throw failure("TLS with " + target + ": " + describe(ec));
    std::string words;
    if (!handshake_by(t, deadline, ec, words))  // a timeout is -w's, which began before the connect
        throw failure(handshake_failure(target, ec, words, handshake_limit(), false));
    if (opt_.verbose) say(summary(t));
    return t;
}

std::optional<usocket::tls::socket> tls_layer::accept(usocket::socket conn, const std::string& peer,
                                                      std::string& why) const {
    tls::wrap_options w;
    w.do_handshake_on_connect = false;
    w.suppress_ragged_eofs = false;
    std::error_code ec;
    tls::socket t = ctx_->wrap_socket(std::move(conn), w, ec);
    std::string words;
    if (!ec) (void)handshake_by(t, std::chrono::steady_clock::now() + handshake_limit(), ec, words);
    if (ec) {
        why = handshake_failure(peer, ec, words, handshake_limit(), true);
        return std::nullopt;
    }
    if (opt_.verbose) say(peer + ": " + summary(t));
    return t;
}

usocket::tls::socket tls_layer::wrap_nonblocking(usocket::socket conn, std::error_code& ec) const {
    tls::wrap_options w;
    w.do_handshake_on_connect = false;
    return ctx_->wrap_socket(std::move(conn), w, ec);
}

handshake_step tls_layer::step(usocket::tls::socket& s, const std::string& peer, std::string& why) const {
    std::error_code ec;
    s.do_handshake(ec);
    if (!ec) return handshake_step::done;
    if (ec == tls::errc::want_write) return handshake_step::want_write;
    if (usocket::is_would_block(ec)) return handshake_step::want_read;
    why = handshake_failure(peer, ec, s.verify_message(), handshake_limit(), true);
    return handshake_step::failed;
}

std::string tls_layer::summary(const usocket::tls::socket& s) const {
    std::string text = "TLS: " + s.version();
    if (const auto c = s.cipher()) text += ", " + c->name + " (" + std::to_string(c->secret_bits) + "-bit key)";
    if (const std::string alpn = s.selected_alpn_protocol(); !alpn.empty()) text += ", ALPN " + alpn;
    const char* whose = s.server_side() ? "client certificate" : "server certificate";
    std::error_code ec;
    const auto cert = s.getpeercert(ec);
    if (cert) {
        text += std::string("; ") + whose + " " + common_name(cert->subject) + ", issued by " +
                common_name(cert->issuer) + ", valid until " + cert->not_after + ", verified";
    } else if (!s.getpeercert_der(ec).empty()) {
        text += std::string("; ") + whose + " not verified";
    } else if (s.server_side()) {
        text += "; no client certificate";
    }
    return text;
}

#else  // no TLS engine: cli.cpp refuses --tls, so none of these runs

bool tls_available() noexcept { return false; }
std::string tls_engine() { return {}; }
bool is_ragged_eof(const std::error_code&) noexcept { return false; }
bool is_tls_want_write(const std::error_code&) noexcept { return false; }

tls_layer::tls_layer(const options& opt) : opt_(opt) {
    if (opt.tls) throw failure("--tls: this usock was built without TLS");
}
std::string connection::explain(const std::error_code& ec) const { return describe(ec); }
void connection::shutdown(usocket::shutdown_how how, std::error_code& ec) noexcept { plain_.shutdown(how, ec); }
usocket::tls::socket tls_layer::connect(usocket::socket, const std::string&, std::optional<time_point>) const {
    return {};
}
std::optional<usocket::tls::socket> tls_layer::accept(usocket::socket, const std::string&, std::string&) const {
    return std::nullopt;
}
usocket::tls::socket tls_layer::wrap_nonblocking(usocket::socket, std::error_code& ec) const {
    ec = std::make_error_code(std::errc::function_not_supported);
    return {};
}
handshake_step tls_layer::step(usocket::tls::socket&, const std::string&, std::string& why) const {
    why = "no TLS";
    return handshake_step::failed;
}
std::string tls_layer::summary(const usocket::tls::socket&) const { return {}; }

#endif

std::string tls_layer::handshake_timed_out() const {
    return "TLS handshake timed out after " + seconds_text(handshake_limit());
}

std::chrono::steady_clock::duration tls_layer::handshake_limit() const noexcept {
    if (opt_.wait_s) return seconds_duration(*opt_.wait_s);
    return default_handshake_limit;
}

}  // namespace usock
