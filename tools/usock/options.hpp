#pragma once
// What the command line asked for, once parsed and checked (cli.cpp), and the one way a run
// fails: a `failure` whose text becomes "usock: TEXT" on standard error and exit status 1.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace usock {

struct options {
    // What to do.
    bool listen = false;     ///< -l: wait for a peer instead of connecting
    bool echo = false;       ///< --echo: serve as an echo server (implies -l -k)
    bool resolve = false;    ///< the `resolve` subcommand
    bool zero_io = false;    ///< -z: only check that a connection can be made

    // Where.
    std::string host;        ///< empty: every local address (listen) or an error (connect)
    std::string port;        ///< a number or a service name, checked by parse_port()
    std::string unix_path;   ///< -U PATH: a Unix-domain socket instead of host and port
    bool udp = false;        ///< -u: datagrams
    bool ipv4 = false;       ///< -4
    bool ipv6 = false;       ///< -6

    // How long.
    std::optional<double> wait_s;  ///< -w: connect timeout and idle timeout, seconds
    double quit_s = -1;            ///< -q: quit this long after end of input; negative: never
    bool keep_open = false;        ///< -k: accept further peers after the first
    std::optional<int> backlog;    ///< --backlog: listen() backlog; default SOMAXCONN

    // Data.
    bool no_stdin = false;      ///< -d: never read standard input
    bool no_shutdown = false;   ///< --no-shutdown: no half-close at the end of input
    std::string send_file;      ///< --send FILE instead of standard input
    std::string recv_file;      ///< --recv FILE instead of standard output
    bool stats = false;         ///< --stats: bytes and time on standard error at the end
    bool verbose = false;       ///< -v: addresses and connections on standard error

    // TLS (--tls): a client verifies the server unless --insecure; a server needs --cert.
    bool tls = false;                 ///< --tls: TLS over the stream (TCP or Unix)
    std::string cafile;               ///< --cafile: CAs to trust (a server: require client certificates)
    std::string cert;                 ///< --cert: this side's certificate chain (PEM)
    std::string key;                  ///< --key: its private key (empty: in the --cert file)
    std::string servername;           ///< --servername: SNI and the name checked, instead of HOST
    std::vector<std::string> alpn;    ///< --alpn: protocols, in order of preference
    bool insecure = false;            ///< --insecure: a client that verifies nothing

    // resolve NAME [SERVICE]
    std::string name;
    std::optional<std::string> service;

    /// af_inet with -4, af_inet6 with -6, af_unix with -U, af_unspec otherwise.
    int family() const noexcept;
    /// sock_dgram with -u, sock_stream otherwise.
    int socktype() const noexcept;
};

/// A run that cannot go on; main() prints "usock: " + what() and exits with status 1.
class failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// `text` as a whole number from 0 to `max` (digits only), or std::nullopt.
std::optional<int> whole_number(std::string_view text, int max) noexcept;

/// The error's message as usock prints it: "connection refused", "name or service not known".
std::string describe(const std::error_code& ec);

/// "usock: TEXT\n" on standard error, in one write.
void say(const std::string& text);

/// Seconds of the command line (-w, -q) as a steady-clock duration, rounded up as the library's
/// timeouts are: the one conversion of them.
inline std::chrono::steady_clock::duration seconds_duration(double s) {
    return std::chrono::ceil<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace usock
