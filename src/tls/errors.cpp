// tls::category(): the TLS error codes, their messages, and the exception class of each.

#include <string>

#include "engine.hpp"
#include "or_throw.hpp"
#include "usocket/tls.hpp"

namespace usocket::tls {

namespace {

class category_impl final : public usocket::detail::throwing_category {
public:
    const char* name() const noexcept override { return "tls"; }

    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::want_read: return "the TLS operation must wait for the socket to be readable";
            case errc::want_write: return "the TLS operation must wait for the socket to be writable";
            case errc::unexpected_eof: return "EOF occurred in violation of protocol";
            case errc::truncated_record: return "the connection ended inside a TLS record";
            case errc::certificate_untrusted: return "certificate verify failed: unable to get local issuer certificate";
            case errc::certificate_expired: return "certificate verify failed: certificate has expired";
            case errc::certificate_not_yet_valid: return "certificate verify failed: certificate is not yet valid";
            case errc::hostname_mismatch: return "certificate verify failed: hostname mismatch";
            case errc::certificate_invalid: return "certificate verify failed";
            case errc::no_peer_certificate: return "peer did not return a certificate";
            case errc::handshake_failure: return "TLS handshake failure";
            case errc::protocol_error: return "TLS protocol error (is the peer speaking TLS?)";
            case errc::bad_certificate_data: return "cannot parse the certificate, key or CA data";
            case errc::key_mismatch: return "the private key does not match the certificate";
            case errc::no_cipher_match: return "no cipher can be selected";
            case errc::server_hostname_required: return "check_hostname requires server_hostname";
            case errc::handshake_not_done: return "handshake not done yet";
            case errc::not_tls: return "not a TLS socket";
            case errc::session_shut_down: return "the TLS session is shut down";
            case errc::bad_argument: return "invalid TLS argument";
            case errc::engine_failure: return "TLS engine failure";
        }
        return "unknown TLS error";
    }

    std::error_condition default_error_condition(int v) const noexcept override {
        const auto e = static_cast<errc>(v);
        if (e == errc::want_read || e == errc::want_write)
            return std::make_error_condition(std::errc::resource_unavailable_try_again);
        return {v, *this};
    }

    [[noreturn]] void raise(const std::error_code& ec, const char* what) const override {
        detail::raise(ec, what != nullptr ? what : "", {});
    }
};

}  // namespace

namespace detail {

void raise(const std::error_code& ec, const std::string& what, const std::string& verify_message) {
    if (ec.category() != category()) throw_error(ec, what.c_str());
#if USOCKET_HAS_EXCEPTIONS
    switch (static_cast<errc>(ec.value())) {
        case errc::want_read:
        case errc::want_write: throw blocking_io_error(ec, what);
        case errc::server_hostname_required:
        case errc::handshake_not_done:
        case errc::not_tls:
        case errc::bad_argument: throw value_error(ec, what);
        default: break;
    }
    if (is_certificate_error(ec)) throw certificate_error(ec, what, verify_message);
    throw ssl_error(ec, what, verify_message);
#else
    (void)verify_message;
    throw_error(ec, what.c_str());  // reports and ends the program
#endif
}

}  // namespace detail

const std::error_category& category() noexcept {
    static const category_impl c;
    return c;
}

bool is_certificate_error(const std::error_code& ec) noexcept {
    if (ec.category() != category()) return false;
    switch (static_cast<errc>(ec.value())) {
        case errc::certificate_untrusted:
        case errc::certificate_expired:
        case errc::certificate_not_yet_valid:
        case errc::hostname_mismatch:
        case errc::certificate_invalid: return true;
        default: return false;
    }
}

}  // namespace usocket::tls
