// The mbedTLS engine (2.28, as Debian and ESP-IDF's older releases ship it): TLS 1.2 only.
// mbedTLS has no trust store of its own: a client's default trust is the system's CA bundle
// file, whose path was fixed when the library was built (USOCKET_TLS_CA_BUNDLE). Each session
// has its own mbedtls_ssl_config, made from the context's settings when it is wrapped.

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_internal.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include <cstdio>
#include <cstring>
#include <chrono>
#include <ctime>
#include <new>

#include "../engine.hpp"
#include "../session.hpp"

#ifndef USOCKET_TLS_CA_BUNDLE
#define USOCKET_TLS_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#endif

namespace usocket::tls::detail {

struct engine_context {
    role side = role::client;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_ssl_cache_context cache;  ///< a server's sessions, to resume
    std::vector<int> ciphers;         ///< 0-terminated; empty: the defaults
    bool has_ca = false;
    bool has_cert = false;
};

struct engine_session {
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    std::vector<std::string> alpn;
    std::vector<const char*> alpn_list;  ///< null-terminated, into `alpn`
    int authmode = MBEDTLS_SSL_VERIFY_NONE;
    bool server = false;
    bool check_hostname = false;
    unsigned char ip[16] = {};
    std::size_t ip_len = 0;  ///< the server_hostname as an address, checked against IP names
    bool resumed = false;
    bool peer_closed = false;
    bool notify_sent = false;
    std::string failure;
};

struct session_impl {
    mbedtls_ssl_session sess;
    session_impl() noexcept { mbedtls_ssl_session_init(&sess); }
    ~session_impl() { mbedtls_ssl_session_free(&sess); }
    session_impl(const session_impl&) = delete;
    session_impl& operator=(const session_impl&) = delete;
};

namespace {

std::error_code tls_error(errc e) noexcept { return make_error_code(e); }

std::string error_text(int ret) {
    char buf[160];
    mbedtls_strerror(ret, buf, sizeof buf);
    return buf;
}

bool is_pem(const_buffer data) noexcept {
    const std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
    return s.find("-----BEGIN") != std::string_view::npos;
}

// PEM must reach mbedTLS NUL-terminated, its length counting the NUL.
int parse_certificates(mbedtls_x509_crt& crt, const_buffer data) {
    if (is_pem(data)) {
        const std::string text(reinterpret_cast<const char*>(data.data()), data.size());
        return mbedtls_x509_crt_parse(&crt, reinterpret_cast<const unsigned char*>(text.c_str()), text.size() + 1);
    }
    return mbedtls_x509_crt_parse_der(&crt, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

int send_cb(void* ctx, const unsigned char* data, std::size_t size) {
    const long n = static_cast<tls_io*>(ctx)->send(data, size);
    if (n == tls_io::again) return MBEDTLS_ERR_SSL_WANT_WRITE;
    if (n < 0) return MBEDTLS_ERR_NET_SEND_FAILED;
    return static_cast<int>(n);
}

int recv_cb(void* ctx, unsigned char* data, std::size_t size) {
    const long n = static_cast<tls_io*>(ctx)->recv(data, size);
    if (n == tls_io::again) return MBEDTLS_ERR_SSL_WANT_READ;
    if (n < 0) return MBEDTLS_ERR_NET_RECV_FAILED;
    return static_cast<int>(n);
}

// The certificate's names of one kind (the low bits of a GeneralName's tag).
template <class Each>
void for_each_alt_name(const mbedtls_x509_crt& crt, Each&& each) {
    if ((crt.ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) == 0) return;
    for (const mbedtls_x509_sequence* cur = &crt.subject_alt_names; cur != nullptr; cur = cur->next)
        if (cur->buf.p != nullptr) each(cur->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK, cur->buf);
}

constexpr int san_email = 1, san_dns = 2, san_dirname = 4, san_uri = 6, san_ip = 7, san_rid = 8;

// Verification at each depth: the host name check off when check_hostname is, and an IP
// address checked against the certificate's IP names (mbedTLS 2.28 checks DNS names only).
int verify_cb(void* ctx, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
    const auto* s = static_cast<const engine_session*>(ctx);
    if (depth != 0) return 0;
    if (!s->check_hostname) {
        *flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_CN_MISMATCH);
    } else if (s->ip_len != 0) {
        bool match = false;
        for_each_alt_name(*crt, [&](int type, const mbedtls_x509_buf& b) {
            if (type == san_ip && b.len == s->ip_len && std::memcmp(b.p, s->ip, b.len) == 0) match = true;
        });
        if (!match) *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    }
    return 0;
}

errc verify_code(std::uint32_t flags) noexcept {
    if ((flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0) return errc::certificate_untrusted;
    if ((flags & MBEDTLS_X509_BADCERT_EXPIRED) != 0) return errc::certificate_expired;
    if ((flags & MBEDTLS_X509_BADCERT_FUTURE) != 0) return errc::certificate_not_yet_valid;
    if ((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0) return errc::hostname_mismatch;
    return errc::certificate_invalid;
}

std::string verify_text(std::uint32_t flags) {
    char buf[512];
    const int n = mbedtls_x509_crt_verify_info(buf, sizeof buf, "", flags);
    std::string out(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    for (char& c : out)
        if (c == '\n') c = ';';
    return out;
}

io_status status_of(engine_session& s, int ret, std::error_code& ec) {
    switch (ret) {
        case MBEDTLS_ERR_SSL_WANT_READ: return io_status::want_read;
        case MBEDTLS_ERR_SSL_WANT_WRITE: return io_status::want_write;
        case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY: s.peer_closed = true; return io_status::closed;
        default: break;
    }
    s.failure = error_text(ret);
    const bool in_handshake = s.ssl.state != MBEDTLS_SSL_HANDSHAKE_OVER;
    switch (ret) {
        case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED: {
            const std::uint32_t flags = mbedtls_ssl_get_verify_result(&s.ssl);
            ec = tls_error(verify_code(flags));
            s.failure = verify_text(flags);
            break;
        }
        case MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED:  // verification asked for with no CA trusted at all
            ec = tls_error(errc::certificate_untrusted);
            s.failure = "certificate verify failed: no CA certificate is trusted";
            break;
        case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE: ec = tls_error(errc::no_peer_certificate); break;
        case 0:  // a read that returned 0: the transport ended
        case MBEDTLS_ERR_SSL_CONN_EOF:
        case MBEDTLS_ERR_NET_RECV_FAILED:
        case MBEDTLS_ERR_NET_SEND_FAILED: ec = tls_error(errc::unexpected_eof); break;  // refined by the front
        case MBEDTLS_ERR_SSL_ALLOC_FAILED: ec = system_error_code(ENOMEM); break;
        case MBEDTLS_ERR_SSL_INVALID_RECORD:
        case MBEDTLS_ERR_SSL_INVALID_MAC:
        case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
        case MBEDTLS_ERR_SSL_UNEXPECTED_RECORD:
        case MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO:
        case MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO: ec = tls_error(errc::protocol_error); break;
        default: ec = tls_error(in_handshake ? errc::handshake_failure : errc::protocol_error); break;
    }
    return io_status::error;
}

const char* attribute_name(const mbedtls_x509_buf& oid) {
    static const struct {
        const char* dotted;
        const char* name;
    } names[] = {
        {"2.5.4.3", "commonName"},          {"2.5.4.6", "countryName"},
        {"2.5.4.7", "localityName"},        {"2.5.4.8", "stateOrProvinceName"},
        {"2.5.4.10", "organizationName"},   {"2.5.4.11", "organizationalUnitName"},
        {"2.5.4.5", "serialNumber"},        {"2.5.4.4", "surname"},
        {"2.5.4.42", "givenName"},          {"2.5.4.12", "title"},
        {"2.5.4.9", "streetAddress"},       {"2.5.4.17", "postalCode"},
        {"2.5.4.15", "businessCategory"},   {"2.5.4.46", "dnQualifier"},
        {"2.5.4.65", "pseudonym"},          {"1.2.840.113549.1.9.1", "emailAddress"},
        {"0.9.2342.19200300.100.1.25", "domainComponent"}, {"0.9.2342.19200300.100.1.1", "userId"},
    };
    static thread_local char dotted[64];
    if (mbedtls_oid_get_numeric_string(dotted, sizeof dotted, &oid) < 0) return "";
    for (const auto& n : names)
        if (std::strcmp(n.dotted, dotted) == 0) return n.name;
    return dotted;
}

distinguished_name parse_name(const mbedtls_x509_name* name) {
    distinguished_name out;
    bool merge = false;
    for (; name != nullptr; name = name->next) {
        if (name->oid.p == nullptr) continue;
        if (!merge || out.empty()) out.emplace_back();
        out.back().push_back({attribute_name(name->oid),
                              std::string(reinterpret_cast<const char*>(name->val.p), name->val.len)});
        merge = name->next_merged != 0;
    }
    return out;
}

// As OpenSSL's ASN1_TIME_print, which CPython shows: "Jan  5 09:34:43 2025 GMT".
std::string time_text(const mbedtls_x509_time& t) {
    static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s %2d %02d:%02d:%02d %d GMT", months[(t.mon + 11) % 12], t.day, t.hour, t.min,
                  t.sec, t.year);
    return buf;
}

// UTC, by the calendar: newlib (a board's C library) has no timegm().
std::chrono::system_clock::time_point time_of(const mbedtls_x509_time& t) {
    using namespace std::chrono;
    const sys_days day = year(t.year) / month(static_cast<unsigned>(t.mon)) / std::chrono::day(static_cast<unsigned>(t.day));
    return time_point_cast<system_clock::duration>(day + hours(t.hour) + minutes(t.min) + seconds(t.sec));
}

std::string ip_text(const mbedtls_x509_buf& b) {
    const unsigned char* p = b.p;
    char buf[64];
    if (b.len == 4) {
        std::snprintf(buf, sizeof buf, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
    } else if (b.len == 16) {  // as CPython: eight groups in upper-case hex, no compression
        std::snprintf(buf, sizeof buf, "%X:%X:%X:%X:%X:%X:%X:%X", p[0] << 8 | p[1], p[2] << 8 | p[3], p[4] << 8 | p[5],
                      p[6] << 8 | p[7], p[8] << 8 | p[9], p[10] << 8 | p[11], p[12] << 8 | p[13], p[14] << 8 | p[15]);
    } else {
        return "<invalid>";
    }
    return buf;
}

int version_minor(protocol_version) noexcept { return MBEDTLS_SSL_MINOR_VERSION_3; }

}  // namespace

// --- the context ---------------------------------------------------------------------------------

void engine_context_deleter::operator()(engine_context* c) const noexcept {
    if (c == nullptr) return;
    mbedtls_ssl_cache_free(&c->cache);
    mbedtls_pk_free(&c->key);
    mbedtls_x509_crt_free(&c->chain);
    mbedtls_x509_crt_free(&c->ca);
    mbedtls_ctr_drbg_free(&c->drbg);
    mbedtls_entropy_free(&c->entropy);
    delete c;
}

engine_context_ptr new_context(role side, std::error_code& ec) noexcept {
    engine_context_ptr c(new (std::nothrow) engine_context);
    if (!c) {
        ec = system_error_code(ENOMEM);
        return nullptr;
    }
    c->side = side;
    mbedtls_entropy_init(&c->entropy);
    mbedtls_ctr_drbg_init(&c->drbg);
    mbedtls_x509_crt_init(&c->ca);
    mbedtls_x509_crt_init(&c->chain);
    mbedtls_pk_init(&c->key);
    mbedtls_ssl_cache_init(&c->cache);
    static const unsigned char personal[] = "usocket";
    if (mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy, personal, sizeof personal - 1) != 0) {
        ec = tls_error(errc::engine_failure);
        return nullptr;
    }
    return c;
}

bool add_trusted(engine_context& c, const_buffer data, std::error_code& ec) noexcept {
    int ret;
    USOCKET_TLS_TRY {
        ret = parse_certificates(c.ca, data);
    } USOCKET_TLS_CATCH_ALL {
        ret = MBEDTLS_ERR_X509_ALLOC_FAILED;
    }
    if (ret != 0) {
        ec = tls_error(errc::bad_certificate_data);
        return false;
    }
    c.has_ca = true;
    return true;
}

bool add_default_trust(engine_context& c, std::error_code& ec) noexcept {
#if !defined(MBEDTLS_FS_IO)
    // An mbedTLS without files (a board's): no bundle to read; trust is given as bytes.
    (void)c;
    ec = system_error_code(ENOENT);
    return false;
#else
    // A positive count is certificates of the bundle mbedTLS cannot read: the rest is used.
    const int ret = mbedtls_x509_crt_parse_file(&c.ca, USOCKET_TLS_CA_BUNDLE);
    if (ret < 0) {
        ec = ret == MBEDTLS_ERR_PK_FILE_IO_ERROR ? system_error_code(ENOENT) : tls_error(errc::bad_certificate_data);
        return false;
    }
    c.has_ca = true;
    return true;
#endif
}

bool set_certificate(engine_context& c, const_buffer chain, const_buffer key, std::string_view password,
                     std::error_code& ec) noexcept {
    mbedtls_x509_crt crt;
    mbedtls_pk_context pk;
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&pk);
    int ret;
    USOCKET_TLS_TRY {
        ret = parse_certificates(crt, chain);
        if (ret == 0) {
            const auto* pw = reinterpret_cast<const unsigned char*>(password.data());
            if (is_pem(key)) {
                const std::string text(reinterpret_cast<const char*>(key.data()), key.size());
                ret = mbedtls_pk_parse_key(&pk, reinterpret_cast<const unsigned char*>(text.c_str()), text.size() + 1,
                                           pw, password.size());
            } else {
                ret = mbedtls_pk_parse_key(&pk, reinterpret_cast<const unsigned char*>(key.data()), key.size(), pw,
                                           password.size());
            }
        }
    } USOCKET_TLS_CATCH_ALL {
        ret = MBEDTLS_ERR_X509_ALLOC_FAILED;
    }
    if (ret != 0) {
        mbedtls_x509_crt_free(&crt);
        mbedtls_pk_free(&pk);
        ec = tls_error(errc::bad_certificate_data);
        return false;
    }
    if (mbedtls_pk_check_pair(&crt.pk, &pk) != 0) {
        mbedtls_x509_crt_free(&crt);
        mbedtls_pk_free(&pk);
        ec = tls_error(errc::key_mismatch);
        return false;
    }
    mbedtls_x509_crt_free(&c.chain);
    mbedtls_pk_free(&c.key);
    c.chain = crt;  // the structs own their memory by pointer: moved by copy
    c.key = pk;
    c.has_cert = true;
    return true;
}

bool set_ciphers(engine_context& c, std::string_view list, std::error_code& ec) noexcept {
    std::vector<int> ids;
    USOCKET_TLS_TRY {
        std::size_t pos = 0;
        while (pos <= list.size()) {
            const std::size_t end = std::min(list.find(':', pos), list.size());
            const std::string name(list.substr(pos, end - pos));
            if (!name.empty()) {
                const int id = mbedtls_ssl_get_ciphersuite_id(name.c_str());
                if (id != 0) ids.push_back(id);
            }
            pos = end + 1;
        }
        if (ids.empty()) {
            ec = tls_error(errc::no_cipher_match);
            return false;
        }
        ids.push_back(0);
        c.ciphers = std::move(ids);
    } USOCKET_TLS_CATCH_ALL {
        ec = system_error_code(ENOMEM);
        return false;
    }
    return true;
}

std::vector<std::string> cipher_names(const engine_context& c) {
    std::vector<std::string> out;
    const int* ids = c.ciphers.empty() ? mbedtls_ssl_list_ciphersuites() : c.ciphers.data();
    for (; *ids != 0; ++ids)
        if (const char* n = mbedtls_ssl_get_ciphersuite_name(*ids)) out.emplace_back(n);
    return out;
}

bool version_supported(protocol_version v) noexcept { return v == protocol_version::tls1_2; }

// --- a session -------------------------------------------------------------------------------------

void engine_session_deleter::operator()(engine_session* s) const noexcept {
    if (s == nullptr) return;
    mbedtls_ssl_free(&s->ssl);
    mbedtls_ssl_config_free(&s->conf);
    delete s;
}

engine_session_ptr new_session(engine_context& c, const settings& set, const session_config& cfg, tls_io& io,
                               std::error_code& ec) noexcept {
    engine_session_ptr s(new (std::nothrow) engine_session);
    if (!s) {
        ec = system_error_code(ENOMEM);
        return nullptr;
    }
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_ssl_init(&s->ssl);
    s->server = set.side == role::server;
    const int endpoint = s->server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT;
    if (mbedtls_ssl_config_defaults(&s->conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
        ec = tls_error(errc::engine_failure);
        return nullptr;
    }
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &c.drbg);
    mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3, version_minor(set.min_version));
    mbedtls_ssl_conf_max_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    if (!c.ciphers.empty()) mbedtls_ssl_conf_ciphersuites(&s->conf, c.ciphers.data());
    if (c.has_ca) mbedtls_ssl_conf_ca_chain(&s->conf, &c.ca, nullptr);
    if (c.has_cert && mbedtls_ssl_conf_own_cert(&s->conf, &c.chain, &c.key) != 0) {
        ec = tls_error(errc::engine_failure);
        return nullptr;
    }
    if (s->server) {
        s->authmode = set.verify == verify_mode::none       ? MBEDTLS_SSL_VERIFY_NONE
                      : set.verify == verify_mode::optional ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                                            : MBEDTLS_SSL_VERIFY_REQUIRED;
        mbedtls_ssl_conf_session_cache(&s->conf, &c.cache, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
    } else {
        s->authmode = set.verify == verify_mode::none ? MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED;
        s->check_hostname = set.check_hostname && set.verify != verify_mode::none;
    }
    mbedtls_ssl_conf_authmode(&s->conf, s->authmode);
    mbedtls_ssl_conf_verify(&s->conf, verify_cb, s.get());
    USOCKET_TLS_TRY {
        s->alpn = set.alpn;
        for (const auto& p : s->alpn) s->alpn_list.push_back(p.c_str());
        s->alpn_list.push_back(nullptr);
    } USOCKET_TLS_CATCH_ALL {
        ec = system_error_code(ENOMEM);
        return nullptr;
    }
    if (!s->alpn.empty() && mbedtls_ssl_conf_alpn_protocols(&s->conf, s->alpn_list.data()) != 0) {
        ec = tls_error(errc::bad_argument);
        return nullptr;
    }
    if (mbedtls_ssl_setup(&s->ssl, &s->conf) != 0) {
        ec = system_error_code(ENOMEM);
        return nullptr;
    }
    mbedtls_ssl_set_bio(&s->ssl, &io, send_cb, recv_cb, nullptr);
    if (!s->server && !cfg.server_hostname.empty()) {
        if (cfg.hostname_is_ip) {
            std::error_code ignored;
            std::size_t n = 0;
            if (sys::inet_pton(af_inet, cfg.server_hostname.c_str(), s->ip, n, ignored) ||
                sys::inet_pton(af_inet6, cfg.server_hostname.c_str(), s->ip, n, ignored))
                s->ip_len = n;
        } else if (mbedtls_ssl_set_hostname(&s->ssl, cfg.server_hostname.c_str()) != 0) {
            ec = tls_error(errc::bad_argument);
            return nullptr;
        }
    }
    if (!s->server && cfg.resume != nullptr) (void)mbedtls_ssl_set_session(&s->ssl, &cfg.resume->sess);
    return s;
}

io_status handshake(engine_session& s, std::error_code& ec) noexcept {
    // Step by step, to see whether the session is resumed before the handshake's state goes.
    while (s.ssl.state != MBEDTLS_SSL_HANDSHAKE_OVER) {
        if (s.ssl.handshake != nullptr) s.resumed = s.ssl.handshake->resume != 0;
        const int ret = mbedtls_ssl_handshake_step(&s.ssl);
        if (ret != 0) return status_of(s, ret, ec);
    }
    // A server's optional client certificate: sent, it must be good.
    if (s.server && s.authmode == MBEDTLS_SSL_VERIFY_OPTIONAL && mbedtls_ssl_get_peer_cert(&s.ssl) != nullptr) {
        const std::uint32_t flags = mbedtls_ssl_get_verify_result(&s.ssl);
        if (flags != 0) {
            (void)mbedtls_ssl_send_alert_message(&s.ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                                 MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
            ec = tls_error(verify_code(flags));
            s.failure = verify_text(flags);
            return io_status::error;
        }
    }
    return io_status::ok;
}

io_status read(engine_session& s, std::byte* data, std::size_t size, std::size_t& got, std::error_code& ec) noexcept {
    if (s.peer_closed) return io_status::closed;
    const int ret = mbedtls_ssl_read(&s.ssl, reinterpret_cast<unsigned char*>(data), size);
    if (ret > 0) {
        got = static_cast<std::size_t>(ret);
        return io_status::ok;
    }
    return status_of(s, ret, ec);
}

io_status write(engine_session& s, const std::byte* data, std::size_t size, std::size_t& put,
                std::error_code& ec) noexcept {
    const int ret = mbedtls_ssl_write(&s.ssl, reinterpret_cast<const unsigned char*>(data), size);
    if (ret >= 0) {
        put = static_cast<std::size_t>(ret);
        return io_status::ok;
    }
    return status_of(s, ret, ec);
}

io_status shutdown(engine_session& s, bool wait_peer, std::error_code& ec) noexcept {
    if (!s.notify_sent) {
        const int ret = mbedtls_ssl_close_notify(&s.ssl);
        if (ret != 0) return status_of(s, ret, ec);
        s.notify_sent = true;
    }
    if (!wait_peer || s.peer_closed) return io_status::ok;
    unsigned char discard[512];
    for (;;) {  // application data before the peer's notification is dropped (unwrap's rule)
        const int ret = mbedtls_ssl_read(&s.ssl, discard, sizeof discard);
        if (ret > 0) continue;
        const io_status st = status_of(s, ret, ec);
        return st == io_status::closed ? io_status::ok : st;
    }
}

std::size_t pending(const engine_session& s) noexcept { return mbedtls_ssl_get_bytes_avail(&s.ssl); }

std::optional<cipher_info> cipher(const engine_session& s) {
    const char* name = mbedtls_ssl_get_ciphersuite(&s.ssl);
    if (name == nullptr) return std::nullopt;
    cipher_info out{name, mbedtls_ssl_get_version(&s.ssl), 0};
    if (const mbedtls_ssl_ciphersuite_t* suite = mbedtls_ssl_ciphersuite_from_string(name))
        if (const mbedtls_cipher_info_t* info = mbedtls_cipher_info_from_type(suite->cipher))
            out.secret_bits = static_cast<int>(info->key_bitlen);
    return out;
}

std::string version(const engine_session& s) { return mbedtls_ssl_get_version(&s.ssl); }

std::string alpn(const engine_session& s) {
    const char* p = mbedtls_ssl_get_alpn_protocol(&s.ssl);
    return p != nullptr ? p : "";
}

std::string peer_certificate(const engine_session& s) {
    const mbedtls_x509_crt* crt = mbedtls_ssl_get_peer_cert(&s.ssl);
    if (crt == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(crt->raw.p), crt->raw.len);
}

bool peer_verified(const engine_session& s) noexcept {
    return s.authmode != MBEDTLS_SSL_VERIFY_NONE && mbedtls_ssl_get_peer_cert(&s.ssl) != nullptr &&
           mbedtls_ssl_get_verify_result(&s.ssl) == 0;
}

bool session_reused(const engine_session& s) noexcept { return s.resumed; }

std::shared_ptr<session_impl> get_session(const engine_session& s) {
    if (s.server) return nullptr;
    auto out = std::make_shared<session_impl>();
    if (mbedtls_ssl_get_session(&s.ssl, &out->sess) != 0) return nullptr;
    return out;
}

std::string last_failure(const engine_session& s) { return s.failure; }

bool parse_certificate(std::string_view der, certificate_info& out) {
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    if (mbedtls_x509_crt_parse_der(&crt, reinterpret_cast<const unsigned char*>(der.data()), der.size()) != 0) {
        mbedtls_x509_crt_free(&crt);
        return false;
    }
    out.subject = parse_name(&crt.subject);
    out.issuer = parse_name(&crt.issuer);
    out.version = crt.version;
    std::size_t first = 0;  // as i2a_ASN1_INTEGER: no sign byte, two digits a byte
    while (first + 1 < crt.serial.len && crt.serial.p[first] == 0) ++first;
    char hex[3];
    for (std::size_t i = first; i < crt.serial.len; ++i) {
        std::snprintf(hex, sizeof hex, "%02X", crt.serial.p[i]);
        out.serial_number += hex;
    }
    out.not_before = time_text(crt.valid_from);
    out.not_after = time_text(crt.valid_to);
    out.not_before_time = time_of(crt.valid_from);
    out.not_after_time = time_of(crt.valid_to);
    for_each_alt_name(crt, [&](int type, const mbedtls_x509_buf& b) {
        const std::string text(reinterpret_cast<const char*>(b.p), b.len);
        switch (type) {
            case san_dns: out.subject_alt_name.emplace_back("DNS", text); break;
            case san_ip: out.subject_alt_name.emplace_back("IP Address", ip_text(b)); break;
            case san_email: out.subject_alt_name.emplace_back("email", text); break;
            case san_uri: out.subject_alt_name.emplace_back("URI", text); break;
            case san_rid: {
                char dotted[64];
                if (mbedtls_oid_get_numeric_string(dotted, sizeof dotted, &b) < 0) dotted[0] = '\0';
                out.subject_alt_name.emplace_back("Registered ID", dotted);
                break;
            }
            case san_dirname: out.subject_alt_name.emplace_back("DirName", "<unsupported>"); break;
            default: out.subject_alt_name.emplace_back("othername", "<unsupported>"); break;
        }
    });
    mbedtls_x509_crt_free(&crt);
    return true;
}

std::string engine_version() {
    char buf[32];
    mbedtls_version_get_string_full(buf);
    return buf;
}

bool has_tls1_3() noexcept { return false; }

}  // namespace usocket::tls::detail
