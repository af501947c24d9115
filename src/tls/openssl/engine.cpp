// The OpenSSL engine (libssl, 1.1.1 or 3.x): TLS 1.3 and 1.2. The SSL object reads and writes
// through a BIO of our own over tls_io (never blocking, never SIGPIPE); the front serialises
// every call on one SSL object.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <new>

#include "../engine.hpp"
#include "../session.hpp"

namespace usocket::tls::detail {

struct engine_context {
    SSL_CTX* ctx = nullptr;
    role side = role::client;
};

struct engine_session {
    SSL* ssl = nullptr;
    std::string alpn_wire;  ///< a server's ALPN protocols, in the wire format
    std::string failure;
};

struct session_impl {
    SSL_SESSION* sess = nullptr;
    ~session_impl() { SSL_SESSION_free(sess); }
};

namespace {

std::error_code tls_error(errc e) noexcept { return make_error_code(e); }

// --- the BIO over tls_io ------------------------------------------------------------------------

int bio_write(BIO* b, const char* data, int size) {
    auto* io = static_cast<tls_io*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    const long n = io->send(data, static_cast<std::size_t>(size));
    if (n == tls_io::again) BIO_set_retry_write(b);
    return n < 0 ? -1 : static_cast<int>(n);
}

int bio_read(BIO* b, char* data, int size) {
    auto* io = static_cast<tls_io*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    const long n = io->recv(data, static_cast<std::size_t>(size));
    if (n == tls_io::again) BIO_set_retry_read(b);
    return n < 0 ? -1 : static_cast<int>(n);
}

long bio_ctrl(BIO* b, int cmd, long, void*) {
    switch (cmd) {
        case BIO_CTRL_FLUSH: return 1;
        case BIO_CTRL_EOF: return static_cast<tls_io*>(BIO_get_data(b))->eof() ? 1 : 0;
        default: return 0;
    }
}

BIO_METHOD* bio_method() noexcept {
    static BIO_METHOD* const m = [] {
        BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "usocket");
        if (bm != nullptr) {
            BIO_meth_set_write(bm, bio_write);
            BIO_meth_set_read(bm, bio_read);
            BIO_meth_set_ctrl(bm, bio_ctrl);
        }
        return bm;
    }();
    return m;
}

// --- helpers -------------------------------------------------------------------------------------

bool is_pem(const_buffer data) noexcept {
    const std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
    return s.find("-----BEGIN") != std::string_view::npos;
}

int version_number(protocol_version v) noexcept { return v == protocol_version::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION; }

struct bio_deleter {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

bio_ptr memory_bio(const_buffer data) noexcept {
    return bio_ptr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Every certificate in `data` (PEM: all of them; DER: one).
template <class Each>
bool for_each_certificate(const_buffer data, Each&& each) {
    if (data.size() > INT_MAX) return false;
    int count = 0;
    if (is_pem(data)) {
        bio_ptr bio = memory_bio(data);
        if (!bio) return false;
        while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
            ++count;
            if (!each(x)) return false;
        }
        ERR_clear_error();  // the end of the data reads as "no start line"
    } else {
        const auto* p = reinterpret_cast<const unsigned char*>(data.data());
        X509* x = d2i_X509(nullptr, &p, static_cast<long>(data.size()));
        if (x == nullptr) return false;
        ++count;
        if (!each(x)) return false;
    }
    return count != 0;
}

int password_cb(char* buf, int size, int, void* user) {
    const auto* pw = static_cast<const std::string_view*>(user);
    if (pw == nullptr || pw->empty() || pw->size() > static_cast<std::size_t>(size)) return 0;
    std::memcpy(buf, pw->data(), pw->size());
    return static_cast<int>(pw->size());
}

int alpn_select(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
    const auto* s = static_cast<const engine_session*>(SSL_get_app_data(ssl));
    if (s == nullptr || s->alpn_wire.empty()) return SSL_TLSEXT_ERR_NOACK;
    unsigned char* selected = nullptr;
    const int r = SSL_select_next_proto(&selected, outlen, reinterpret_cast<const unsigned char*>(s->alpn_wire.data()),
                                        static_cast<unsigned>(s->alpn_wire.size()), in, inlen);
    if (r != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

std::string alpn_wire(const std::vector<std::string>& protocols) {
    std::string out;
    for (const auto& p : protocols) {
        out += static_cast<char>(p.size());
        out += p;
    }
    return out;
}

std::string reason_text(unsigned long err) {
    const char* r = ERR_reason_error_string(err);
    return r != nullptr ? r : "";
}

errc verify_code(long v) noexcept {
    switch (v) {
        case X509_V_ERR_CERT_HAS_EXPIRED: return errc::certificate_expired;
        case X509_V_ERR_CERT_NOT_YET_VALID: return errc::certificate_not_yet_valid;
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH: return errc::hostname_mismatch;
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_UNTRUSTED: return errc::certificate_untrusted;
        default: return errc::certificate_invalid;
    }
}

// What a failed SSL call came to; the error queue is read and emptied.
io_status status_of(engine_session& s, int r, std::error_code& ec) {
    const int e = SSL_get_error(s.ssl, r);
    switch (e) {
        case SSL_ERROR_WANT_READ: ERR_clear_error(); return io_status::want_read;
        case SSL_ERROR_WANT_WRITE: ERR_clear_error(); return io_status::want_write;
        case SSL_ERROR_ZERO_RETURN: ERR_clear_error(); return io_status::closed;
        default: break;
    }
    const unsigned long err = ERR_peek_last_error();
    const int reason = ERR_GET_REASON(err);
    s.failure = reason_text(err);
    if (e == SSL_ERROR_SYSCALL) {
        ec = tls_error(errc::unexpected_eof);  // refined by the front with what tls_io saw
    } else if (e != SSL_ERROR_SSL) {
        ec = tls_error(errc::engine_failure);
    } else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        const long v = SSL_get_verify_result(s.ssl);
        ec = tls_error(verify_code(v));
        s.failure = X509_verify_cert_error_string(v);
        if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH) {
            const char* host = SSL_get_servername(s.ssl, TLSEXT_NAMETYPE_host_name);
            X509_VERIFY_PARAM* param = SSL_get0_param(s.ssl);
            const char* peer = X509_VERIFY_PARAM_get0_host(param, 0);
            s.failure = std::string("Hostname mismatch, certificate is not valid for '") +
                        (peer != nullptr ? peer : host != nullptr ? host : "") + "'.";
            if (v == X509_V_ERR_IP_ADDRESS_MISMATCH) s.failure = "IP address mismatch, certificate is not valid for the address.";
        }
    } else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
        ec = tls_error(errc::no_peer_certificate);
    } else if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ec = tls_error(errc::unexpected_eof);
    } else if (reason == SSL_R_PROTOCOL_IS_SHUTDOWN) {
        ec = tls_error(errc::session_shut_down);
    } else if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST ||
               reason == SSL_R_HTTPS_PROXY_REQUEST || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
               reason == SSL_R_UNEXPECTED_MESSAGE || reason == SSL_R_UNEXPECTED_RECORD ||
               reason == SSL_R_UNKNOWN_PROTOCOL ||
               reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC || reason == SSL_R_BAD_RECORD_TYPE ||
               reason == SSL_R_LENGTH_MISMATCH || reason == SSL_R_BAD_PACKET_LENGTH) {
        ec = tls_error(errc::protocol_error);
    } else {
        ec = tls_error(SSL_is_init_finished(s.ssl) ? errc::protocol_error : errc::handshake_failure);
    }
    ERR_clear_error();
    return io_status::error;
}

std::string name_text(const ASN1_OBJECT* obj) {
    const int nid = OBJ_obj2nid(obj);
    if (nid != NID_undef) return OBJ_nid2ln(nid);
    char buf[128];
    OBJ_obj2txt(buf, sizeof buf, obj, 1);
    return buf;
}

distinguished_name parse_name(const X509_NAME* name) {
    distinguished_name out;
    int last_set = -1;
    for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
        const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
        const int set = X509_NAME_ENTRY_set(e);
        if (set != last_set || out.empty()) out.emplace_back();
        last_set = set;
        unsigned char* utf8 = nullptr;
        const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
        out.back().push_back({name_text(X509_NAME_ENTRY_get_object(e)),
                              n >= 0 ? std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n)) : std::string()});
        OPENSSL_free(utf8);
    }
    return out;
}

std::string bio_text(const std::function<void(BIO*)>& print) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio) return {};
    print(bio.get());
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::chrono::system_clock::time_point time_of(const ASN1_TIME* t) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) != 1) return {};
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
    const unsigned char* p = ASN1_STRING_get0_data(ip);
    const int n = ASN1_STRING_length(ip);
    char buf[64];
    if (n == 4) {
        std::snprintf(buf, sizeof buf, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
    } else if (n == 16) {  // as CPython: eight groups in upper-case hex, no compression
        std::snprintf(buf, sizeof buf, "%X:%X:%X:%X:%X:%X:%X:%X", p[0] << 8 | p[1], p[2] << 8 | p[3], p[4] << 8 | p[5],
                      p[6] << 8 | p[7], p[8] << 8 | p[9], p[10] << 8 | p[11], p[12] << 8 | p[13], p[14] << 8 | p[15]);
    } else {
        return "<invalid>";
    }
    return buf;
}

}  // namespace

// --- the context ---------------------------------------------------------------------------------

void engine_context_deleter::operator()(engine_context* c) const noexcept {
    if (c == nullptr) return;
    SSL_CTX_free(c->ctx);
    delete c;
}

engine_context_ptr new_context(role side, std::error_code& ec) noexcept {
    engine_context_ptr c(new (std::nothrow) engine_context);
    if (!c || bio_method() == nullptr) {
        ec = system_error_code(ENOMEM);
        return nullptr;
    }
    c->side = side;
    c->ctx = SSL_CTX_new(side == role::client ? TLS_client_method() : TLS_server_method());
    if (c->ctx == nullptr) {
        ERR_clear_error();
        ec = tls_error(errc::engine_failure);
        return nullptr;
    }
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                    (side == role::server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
    // Partial writes: send() returns after a record as a socket's does. Released buffers: an idle
    // connection holds no record buffers (as CPython sets it).
    SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                 SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, nullptr);
    if (side == role::server) {
        static const unsigned char id[] = "usocket";
        SSL_CTX_set_session_id_context(c->ctx, id, sizeof id - 1);
        SSL_CTX_set_alpn_select_cb(c->ctx, alpn_select, nullptr);
    }
    return c;
}

bool add_trusted(engine_context& c, const_buffer data, std::error_code& ec) noexcept {
    X509_STORE* store = SSL_CTX_get_cert_store(c.ctx);
    const bool ok = for_each_certificate(data, [&](X509* x) {
        const int r = X509_STORE_add_cert(store, x);
        X509_free(x);
        return r == 1;
    });
    ERR_clear_error();
    if (!ok) ec = tls_error(errc::bad_certificate_data);
    return ok;
}

bool add_default_trust(engine_context& c, std::error_code& ec) noexcept {
    const bool ok = SSL_CTX_set_default_verify_paths(c.ctx) == 1;
    ERR_clear_error();
    if (!ok) ec = tls_error(errc::engine_failure);
    return ok;
}

bool set_certificate(engine_context& c, const_buffer chain, const_buffer key, std::string_view password,
                     std::error_code& ec) noexcept {
    bool first = true;
    bool ok = for_each_certificate(chain, [&](X509* x) {
        int r;
        if (first) {
            r = SSL_CTX_use_certificate(c.ctx, x);
            X509_free(x);
            SSL_CTX_clear_chain_certs(c.ctx);
            first = false;
        } else {
            r = static_cast<int>(SSL_CTX_add0_chain_cert(c.ctx, x));  // takes x
            if (r != 1) X509_free(x);
        }
        return r == 1;
    });
    if (!ok || key.size() > INT_MAX) {
        ERR_clear_error();
        ec = tls_error(errc::bad_certificate_data);
        return false;
    }
    EVP_PKEY* pkey = nullptr;
    if (is_pem(key)) {
        bio_ptr bio = memory_bio(key);
        if (bio) pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, password_cb, &password);
    } else {
        const auto* p = reinterpret_cast<const unsigned char*>(key.data());
        pkey = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(key.size()));
    }
    if (pkey == nullptr) {
        ERR_clear_error();
        ec = tls_error(errc::bad_certificate_data);
        return false;
    }
    ok = SSL_CTX_use_PrivateKey(c.ctx, pkey) == 1 && SSL_CTX_check_private_key(c.ctx) == 1;
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    if (!ok) ec = tls_error(errc::key_mismatch);
    return ok;
}

bool set_ciphers(engine_context& c, std::string_view list, std::error_code& ec) noexcept {
    std::string text;
    USOCKET_TLS_TRY {
        text.assign(list);
    } USOCKET_TLS_CATCH_ALL {
        ec = system_error_code(ENOMEM);
        return false;
    }
    const bool ok = SSL_CTX_set_cipher_list(c.ctx, text.c_str()) == 1;
    ERR_clear_error();
    if (!ok) ec = tls_error(errc::no_cipher_match);
    return ok;
}

std::vector<std::string> cipher_names(const engine_context& c) {
    std::vector<std::string> out;
    STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(c.ctx);
    for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) out.emplace_back(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i)));
    return out;
}

bool version_supported(protocol_version) noexcept { return true; }

// --- a session -------------------------------------------------------------------------------------

void engine_session_deleter::operator()(engine_session* s) const noexcept {
    if (s == nullptr) return;
    SSL_free(s->ssl);  // and its BIO
    delete s;
}

engine_session_ptr new_session(engine_context& c, const settings& set, const session_config& cfg, tls_io& io,
                               std::error_code& ec) noexcept {
    engine_session_ptr s(new (std::nothrow) engine_session);
    if (!s) {
        ec = system_error_code(ENOMEM);
        return nullptr;
    }
    s->ssl = SSL_new(c.ctx);
    BIO* bio = s->ssl != nullptr ? BIO_new(bio_method()) : nullptr;
    if (bio == nullptr) {
        ERR_clear_error();
        ec = tls_error(errc::engine_failure);
        return nullptr;
    }
    BIO_set_data(bio, &io);
    BIO_set_init(bio, 1);
    SSL_set_bio(s->ssl, bio, bio);
    SSL_set_app_data(s->ssl, s.get());
    SSL_set_min_proto_version(s->ssl, version_number(set.min_version));
    if (set.max_version) SSL_set_max_proto_version(s->ssl, version_number(*set.max_version));
    bool ok = true;
    USOCKET_TLS_TRY {
        if (set.side == role::client) {
            SSL_set_connect_state(s->ssl);
            SSL_set_verify(s->ssl, set.verify == verify_mode::none ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
            if (!cfg.server_hostname.empty()) {
                if (!cfg.hostname_is_ip) ok = ok && SSL_set_tlsext_host_name(s->ssl, cfg.server_hostname.c_str()) == 1;
                if (set.check_hostname && set.verify != verify_mode::none) {
                    X509_VERIFY_PARAM* param = SSL_get0_param(s->ssl);
                    if (cfg.hostname_is_ip) {
                        ok = ok && X509_VERIFY_PARAM_set1_ip_asc(param, cfg.server_hostname.c_str()) == 1;
                    } else {
                        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                        ok = ok && X509_VERIFY_PARAM_set1_host(param, cfg.server_hostname.c_str(), 0) == 1;
                    }
                }
            }
            if (!set.alpn.empty()) {
                const std::string wire = alpn_wire(set.alpn);
                ok = ok && SSL_set_alpn_protos(s->ssl, reinterpret_cast<const unsigned char*>(wire.data()),
                                               static_cast<unsigned>(wire.size())) == 0;
            }
            if (cfg.resume != nullptr && cfg.resume->sess != nullptr) ok = ok && SSL_set_session(s->ssl, cfg.resume->sess) == 1;
        } else {
            SSL_set_accept_state(s->ssl);
            int mode = SSL_VERIFY_NONE;
            if (set.verify == verify_mode::optional) mode = SSL_VERIFY_PEER;
            if (set.verify == verify_mode::required) mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
            SSL_set_verify(s->ssl, mode, nullptr);
            s->alpn_wire = alpn_wire(set.alpn);
        }
    } USOCKET_TLS_CATCH_ALL {
        ok = false;
    }
    ERR_clear_error();
    if (!ok) {
        ec = tls_error(errc::engine_failure);
        return nullptr;
    }
    return s;
}

io_status handshake(engine_session& s, std::error_code& ec) noexcept {
    ERR_clear_error();
    const int r = SSL_do_handshake(s.ssl);
    if (r == 1) return io_status::ok;
    return status_of(s, r, ec);
}

io_status read(engine_session& s, std::byte* data, std::size_t size, std::size_t& got, std::error_code& ec) noexcept {
    ERR_clear_error();
    const int r = SSL_read_ex(s.ssl, data, size, &got);
    if (r == 1) return io_status::ok;
    return status_of(s, r, ec);
}

io_status write(engine_session& s, const std::byte* data, std::size_t size, std::size_t& put,
                std::error_code& ec) noexcept {
    ERR_clear_error();
    const int r = SSL_write_ex(s.ssl, data, size, &put);
    if (r == 1) return io_status::ok;
    return status_of(s, r, ec);
}

io_status shutdown(engine_session& s, bool wait_peer, std::error_code& ec) noexcept {
    ERR_clear_error();
    int r = SSL_shutdown(s.ssl);
    if (r == 0 && wait_peer) r = SSL_shutdown(s.ssl);  // ours went out: now the peer's
    if (r == 1 || (r == 0 && !wait_peer)) return io_status::ok;
    return status_of(s, r, ec);
}

std::size_t pending(const engine_session& s) noexcept {
    const int n = SSL_pending(s.ssl);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::optional<cipher_info> cipher(const engine_session& s) {
    const SSL_CIPHER* c = SSL_get_current_cipher(s.ssl);
    if (c == nullptr) return std::nullopt;
    return cipher_info{SSL_CIPHER_get_name(c), SSL_CIPHER_get_version(c), SSL_CIPHER_get_bits(c, nullptr)};
}

std::string version(const engine_session& s) { return SSL_get_version(s.ssl); }

std::string alpn(const engine_session& s) {
    const unsigned char* p = nullptr;
    unsigned int n = 0;
    SSL_get0_alpn_selected(s.ssl, &p, &n);
    return p != nullptr ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}

std::string peer_certificate(const engine_session& s) {
    X509* x = SSL_get1_peer_certificate(s.ssl);
    if (x == nullptr) return {};
    unsigned char* der = nullptr;
    const int n = i2d_X509(x, &der);
    X509_free(x);
    std::string out;
    if (n > 0) out.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
}

bool peer_verified(const engine_session& s) noexcept {
    return SSL_get_verify_mode(s.ssl) != SSL_VERIFY_NONE && SSL_get_verify_result(s.ssl) == X509_V_OK;
}

bool session_reused(const engine_session& s) noexcept { return SSL_session_reused(s.ssl) == 1; }

std::shared_ptr<session_impl> get_session(const engine_session& s) {
    SSL_SESSION* sess = SSL_get1_session(s.ssl);
    if (sess == nullptr) return nullptr;
    if (SSL_SESSION_is_resumable(sess) != 1) {
        SSL_SESSION_free(sess);
        return nullptr;
    }
    auto out = std::make_shared<session_impl>();
    out->sess = sess;
    return out;
}

std::string last_failure(const engine_session& s) { return s.failure; }

bool parse_certificate(std::string_view der, certificate_info& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    if (x == nullptr) {
        ERR_clear_error();
        return false;
    }
    out.subject = parse_name(X509_get_subject_name(x));
    out.issuer = parse_name(X509_get_issuer_name(x));
    out.version = static_cast<int>(X509_get_version(x)) + 1;
    out.serial_number = bio_text([&](BIO* b) { i2a_ASN1_INTEGER(b, X509_get0_serialNumber(x)); });
    out.not_before = bio_text([&](BIO* b) { ASN1_TIME_print(b, X509_get0_notBefore(x)); });
    out.not_after = bio_text([&](BIO* b) { ASN1_TIME_print(b, X509_get0_notAfter(x)); });
    out.not_before_time = time_of(X509_get0_notBefore(x));
    out.not_after_time = time_of(X509_get0_notAfter(x));
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
        auto text = [](const ASN1_STRING* s) {
            return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                               static_cast<std::size_t>(ASN1_STRING_length(s)));
        };
        switch (n->type) {
            case GEN_DNS: out.subject_alt_name.emplace_back("DNS", text(n->d.dNSName)); break;
            case GEN_IPADD: out.subject_alt_name.emplace_back("IP Address", ip_text(n->d.iPAddress)); break;
            case GEN_EMAIL: out.subject_alt_name.emplace_back("email", text(n->d.rfc822Name)); break;
            case GEN_URI: out.subject_alt_name.emplace_back("URI", text(n->d.uniformResourceIdentifier)); break;
            case GEN_RID: out.subject_alt_name.emplace_back("Registered ID", name_text(n->d.registeredID)); break;
            case GEN_DIRNAME: out.subject_alt_name.emplace_back("DirName", "<unsupported>"); break;
            default: out.subject_alt_name.emplace_back("othername", "<unsupported>"); break;
        }
    }
    GENERAL_NAMES_free(names);
    X509_free(x);
    ERR_clear_error();
    return true;
}

std::string engine_version() { return OpenSSL_version(OPENSSL_VERSION); }
bool has_tls1_3() noexcept { return true; }

}  // namespace usocket::tls::detail
