// The command line, parsed by CLI11 and checked here. CLI11 handles the option syntax
// (-lv, --send=FILE, --send FILE, "--" before a negative number); the rules between options
// are checked by hand so that each error names what was wrong.

#include "cli.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>
#include <usocket/usocket.hpp>

#include "net.hpp"
#include "tls_layer.hpp"

namespace usock {

namespace {

constexpr std::string_view help = R"help(NAME
    usock - connect, listen and move bytes over TCP, UDP, Unix sockets and TLS

SYNOPSIS
    usock [OPTIONS] HOST PORT
    usock -l [OPTIONS] [HOST] PORT
    usock [-l] [OPTIONS] -U PATH
    usock --echo [OPTIONS] [HOST] PORT
    usock --tls [--cafile FILE | --insecure] [OPTIONS] HOST PORT
    usock -l --tls --cert FILE [--key FILE] [OPTIONS] [HOST] PORT
    usock resolve [-4|-6] [-u] NAME [SERVICE]

DESCRIPTION
    usock is a netcat in the tradition of nc, ncat and socat, built on the usocket
    library. It connects to HOST PORT (or, with -l, waits for a peer on PORT) and then
    copies standard input to the socket and the socket to standard output, both ways at
    once, byte for byte.

    At the end of standard input usock shuts down its sending side (a TCP half-close) and
    goes on receiving. It exits once the peer has closed its side too, or -q seconds
    after the end of input, or after -w seconds with no data either way. When standard
    input is a terminal, it exits as soon as the peer closes.

    TCP is the default. With -u each read of standard input is sent as one datagram and
    each datagram received is written out; with -U PATH the socket is a Unix-domain
    socket. PORT is a number from 0 to 65535 or a service name such as http. Listening
    on port 0 lets the system choose a free port; -v prints the one chosen.

    With --tls the stream carries TLS (as ncat --ssl and socat OPENSSL:). A client
    verifies the server's certificate against the system's trust store and checks that
    it is for HOST; a server (-l, --echo) presents --cert. TLS has no half-close: at
    the end of standard input usock sends the TLS close notification, which ends its
    sending side for good, and goes on receiving as over TCP. TLS 1.3 lets the peer go
    on sending after it; many peers answer with their own close notification at once
    instead (openssl s_server does, and TLS 1.2 asks for it), and the session ends.

    usock never runs programs. It has no -e, -c or --exec option, by design: what
    arrives on a socket is only ever written to standard output or to a file. Use a
    shell pipeline when a program must take part.

OPTIONS
    -l, --listen        Wait for a peer on [HOST] PORT instead of connecting. Without
                        HOST: every local IPv4 address (IPv6 with -6). With -u, the
                        first datagram's sender becomes the peer.
    -k, --keep-open     With -l: after a peer leaves, wait for the next one. With -u -l:
                        take datagrams from anyone and reply to the latest sender.
    -u, --udp           Use UDP (datagrams) instead of TCP.
    -U, --unix PATH     Use the Unix-domain socket PATH instead of HOST and PORT. A
                        socket file created by -l is removed when usock exits. A
                        PATH starting with @ is a Linux abstract name (no file).
    -4                  IPv4 addresses only.
    -6                  IPv6 addresses only.
    -w, --wait SECONDS  Give up a connect after SECONDS (the name lookup and every
                        address of the host together), and close a connection that
                        has had no data either way for SECONDS. Fractions are allowed.
                        With -l it does not limit the wait for a peer (as nc).
    -q, --quit SECONDS  Quit SECONDS after the end of standard input; -q 0 quits at
                        once. Negative (the default): wait for the peer to close.
        --backlog N     With -l or --echo: the length of the queue of connections
                        not yet accepted (listen() backlog), from 0 to 65535. The
                        default is SOMAXCONN, which the system caps at its own limit
                        (on Linux net.core.somaxconn).
    -d, --no-stdin      Do not read standard input (and never half-close).
        --no-shutdown   Do not shut down the sending side at the end of input.
    -z, --zero          Only check that a connection can be made, then close it.
        --echo          Serve as an echo server (implies -l -k): send back whatever
                        each client sends, to many clients at once. Works with -u
                        and -U too. Out of file descriptors, it stops accepting
                        for a moment: new clients wait in the backlog until a
                        client leaves, and the error is said at most once a second.
        --send FILE     Send FILE instead of standard input (to each peer with -k).
        --recv FILE     Write what is received to FILE instead of standard output.
                        With --send or --recv, a progress bar and the throughput are
                        shown on standard error when it is a terminal.
        --stats         At the end, print the bytes sent and received and the time
                        taken on standard error.
        --tls, --ssl    Speak TLS over the connection (TCP or -U). The handshake is
                        part of the connect: -w bounds the name lookup, the connect
                        and the handshake together. A server (-l, --echo) gives
                        each client's handshake -w SECONDS, or 10 seconds.
        --cafile FILE   A client: trust the CA certificates of FILE (PEM) instead of
                        the system's. A server: ask every client for a certificate
                        issued by one of them, and refuse those without one.
        --cert FILE     The certificate chain (PEM) to present: required for a TLS
                        server, a client certificate for a client.
        --key FILE      The private key of --cert (PEM); default: in the --cert FILE.
        --servername NAME
                        A client: the name sent as SNI and checked against the
                        server's certificate, instead of HOST.
        --alpn LIST     Protocols to offer (a client) or accept (a server) by ALPN,
                        in order of preference, separated by commas: h2,http/1.1.
        --insecure      A client: do not verify the server's certificate nor its
                        name (for tests; -v says so). Anyone can then listen in.
    -v, --verbose       Say on standard error where usock listens ("listening on
                        127.0.0.1:40123 (tcp)"), whom it connected to, why each
                        address that failed did, and who came; with --tls, the
                        protocol version, the cipher and the peer's certificate.
    -h, --help          Print this help and exit.
    -V, --version       Print the version and exit.

    resolve NAME [SERVICE]
                        Print the getaddrinfo() table for NAME (and SERVICE): family,
                        socket type, protocol, canonical name and address. -4, -6
                        and -u narrow it.

EXIT STATUS
    0   Success: the connection was made and ended normally (the peer closed, -q or
        -w expired, or the reader of standard output went away).
    1   Failure: a bad argument, a name that does not resolve, a refused or timed-out
        connect, a TLS handshake that failed (a certificate that does not verify, a
        peer that does not speak TLS) or timed out, an unreadable or unwritable file,
        or an error on the connection.
        The message on standard error says which, for example
        "usock: cannot connect to 127.0.0.1:9: connection refused".

EXAMPLES
    Talk to a server:                  usock example.org 80
    Serve one client on a free port:   usock -l -v 127.0.0.1 0
    Send a file, then stop:            usock --send big.iso HOST 9000
    Receive it:                        usock -l --recv big.iso 9000
    An echo server for many clients:   usock --echo -v 127.0.0.1 7007
    A UDP exchange:                    echo ping | usock -u -q 1 127.0.0.1 7007
    A Unix socket:                     usock -l -U /tmp/app.sock
    Is the port open?                  usock -z -w 2 127.0.0.1 22 && echo open
    Resolve a name:                    usock resolve localhost http
    HTTPS by hand:                     usock --tls example.org 443
    A test server's own CA:            usock --tls --cafile ca.pem localhost 8443
    A TLS server:                      usock -l --tls --cert srv.pem --key srv.key 8443
    A TLS echo server:                 usock --echo --tls --cert srv.pem 127.0.0.1 7443

SEE ALSO
    nc(1), ncat(1), socat(1), openssl-s_client(1), getaddrinfo(3); docs/tool.md in the usocket sources.
)help";

// "-w 2.5": a finite number of seconds; negative allowed only where it means "never".
double parse_seconds(const std::string& flag, const std::string& text, bool allow_negative) {
    double value = 0;
    const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
    const bool ok = !text.empty() && err == std::errc() && end == text.data() + text.size() && std::isfinite(value);
    if (!ok || (!allow_negative && value <= 0))
        throw failure("invalid " + flag + " value '" + text + "': expected a number of seconds" +
                      (allow_negative ? "" : " greater than 0"));
    if (value > 1e9) throw failure("invalid " + flag + " value '" + text + "': too large (at most 1000000000 seconds)");
    return value;
}

// "--backlog 512": a whole number from 0 to 65535.
int parse_backlog(const std::string& text) {
    const auto value = whole_number(text, 65535);
    if (!value) throw failure("invalid --backlog value '" + text + "': expected a whole number from 0 to 65535");
    return *value;
}

// The options usock refuses on purpose.
void refuse_exec(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--") break;
        if (a == "-e" || a == "-c" || a.starts_with("--exec") || a.starts_with("--sh-exec") ||
            a.starts_with("--lua-exec"))
            throw failure("option '" + std::string(a) +
                          "' does not exist: usock never runs programs or shells, by design (see usock --help)");
    }
}

// What CLI11 collected, before it is checked: values as text, positional arguments.
struct raw_command_line {
    bool show_help = false;
    bool show_version = false;
    std::string wait, quit, backlog, alpn;
    CLI::Option* wait_given = nullptr;
    CLI::Option* quit_given = nullptr;
    CLI::Option* backlog_given = nullptr;
    CLI::Option* alpn_given = nullptr;
    std::vector<std::string> args;
    std::vector<std::string> resolve_args;
    CLI::App* resolve = nullptr;
};

// The options and the `resolve` subcommand. Flags land in `opt` directly; values that need
// checking land in `raw`.
void declare_options(CLI::App& app, options& opt, raw_command_line& raw) {
    app.set_help_flag();
    app.allow_extras();
    app.add_flag("-h,--help", raw.show_help);
    app.add_flag("-V,--version", raw.show_version);
    app.add_flag("-l,--listen", opt.listen);
    app.add_flag("-k,--keep-open", opt.keep_open);
    app.add_flag("-u,--udp", opt.udp);
    app.add_option("-U,--unix", opt.unix_path);
    app.add_flag("-4", opt.ipv4);
    app.add_flag("-6", opt.ipv6);
    raw.wait_given = app.add_option("-w,--wait", raw.wait);
    raw.quit_given = app.add_option("-q,--quit", raw.quit);
    raw.backlog_given = app.add_option("--backlog", raw.backlog);
    app.add_flag("-d,--no-stdin", opt.no_stdin);
    app.add_flag("--no-shutdown", opt.no_shutdown);
    app.add_flag("-z,--zero", opt.zero_io);
    app.add_flag("--echo", opt.echo);
    app.add_option("--send", opt.send_file);
    app.add_option("--recv", opt.recv_file);
    app.add_flag("--stats", opt.stats);
    app.add_flag("-v,--verbose", opt.verbose);
    app.add_flag("--tls,--ssl", opt.tls);
    app.add_option("--cafile", opt.cafile);
    app.add_option("--cert", opt.cert);
    app.add_option("--key", opt.key);
    app.add_option("--servername", opt.servername);
    raw.alpn_given = app.add_option("--alpn", raw.alpn);
    app.add_flag("--insecure", opt.insecure);
    app.add_option("args", raw.args);

    raw.resolve = app.add_subcommand("resolve");
    raw.resolve->set_help_flag();
    raw.resolve->fallthrough();
    raw.resolve->allow_extras();
    raw.resolve->add_flag("-4", opt.ipv4);  // registered here too: CLI11 would take "-4" for a number
    raw.resolve->add_flag("-6", opt.ipv6);
    raw.resolve->add_flag("-u,--udp", opt.udp);
    raw.resolve->add_option("args", raw.resolve_args);
}

// CLI11's own errors ("The following argument was not expected") as a failure.
void run_cli11(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        std::string text = e.what();
        if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
        throw failure(text);
    }
}

// Whatever CLI11 did not take is an unknown option or one argument too many.
void refuse_leftovers(const CLI::App& app, const CLI::App& resolve) {
    std::vector<std::string> extras = app.remaining();
    for (const auto& extra : resolve.remaining()) extras.push_back(extra);
    for (const auto& extra : extras) {
        if (extra.size() > 1 && extra[0] == '-') throw failure("unknown option '" + extra + "'");
        throw failure("unexpected argument '" + extra + "'");
    }
}

// -w, -q and --backlog from text to numbers; -4 against -6.
void read_values(const raw_command_line& raw, options& opt) {
    if (raw.wait_given->count() > 0) opt.wait_s = parse_seconds("-w", raw.wait, false);
    if (raw.quit_given->count() > 0) opt.quit_s = parse_seconds("-q", raw.quit, true);
    if (raw.backlog_given->count() > 0) opt.backlog = parse_backlog(raw.backlog);
    if (opt.ipv4 && opt.ipv6) throw failure("-4 and -6 exclude each other");
}

// usock resolve NAME [SERVICE]: nothing else but -4, -6 and -u.
void read_resolve(const raw_command_line& raw, options& opt) {
    if (opt.listen || opt.echo || opt.keep_open || !opt.unix_path.empty() || opt.zero_io || opt.backlog ||
        !opt.send_file.empty() || !opt.recv_file.empty() || opt.tls || !raw.args.empty())
        throw failure("resolve takes only -4, -6 and -u besides NAME [SERVICE]");
    if (raw.resolve_args.empty()) throw failure("resolve: missing NAME (usage: usock resolve NAME [SERVICE])");
    if (raw.resolve_args.size() > 2) throw failure("resolve: unexpected argument '" + raw.resolve_args[2] + "'");
    opt.resolve = true;
    opt.name = raw.resolve_args[0];
    if (raw.resolve_args.size() == 2) opt.service = raw.resolve_args[1];
}

// The rules between the modes: --echo implies -l -k; what -k, -z, -d and --backlog need.
void check_modes(options& opt) {
    if (opt.echo) {
        opt.listen = true;
        opt.keep_open = true;
        if (!opt.send_file.empty() || !opt.recv_file.empty() || opt.zero_io)
            throw failure("--echo cannot be combined with --send, --recv or -z");
    }
    if (opt.keep_open && !opt.listen) throw failure("-k needs -l (it keeps a listening usock open)");
    if (opt.zero_io && opt.listen) throw failure("-z cannot be combined with -l");
    if (opt.backlog && !opt.listen) throw failure("--backlog needs -l or --echo (it sizes a listener's queue)");
    if (opt.backlog && opt.udp) throw failure("--backlog does not apply to datagrams (-u): nothing is accepted");
    if (opt.no_stdin && !opt.send_file.empty()) throw failure("-d and --send exclude each other");
}

// "h2,http/1.1": ALPN protocol names, each 1 to 255 bytes.
std::vector<std::string> parse_alpn(const std::string& text) {
    std::vector<std::string> names;
    std::size_t from = 0;
    for (;;) {
        const std::size_t comma = text.find(',', from);
        const std::string name = text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
        if (name.empty() || name.size() > 255)
            throw failure("invalid --alpn value '" + text + "': expected protocol names separated by commas (h2,http/1.1)");
        names.push_back(name);
        if (comma == std::string::npos) return names;
        from = comma + 1;
    }
}

// --tls and the options that go with it: which side may use which.
void check_tls(const raw_command_line& raw, options& opt) {
    const bool any = !opt.cafile.empty() || !opt.cert.empty() || !opt.key.empty() || !opt.servername.empty() ||
                     raw.alpn_given->count() > 0 || opt.insecure;
    if (!opt.tls) {
        if (any) throw failure("--cafile, --cert, --key, --servername, --alpn and --insecure need --tls");
        return;
    }
    if (!tls_available()) throw failure("--tls: this usock was built without TLS (the usocket library has no TLS engine)");
    if (opt.udp) throw failure("--tls needs a stream: it does not apply to datagrams (-u)");
    if (raw.alpn_given->count() > 0) opt.alpn = parse_alpn(raw.alpn);
    if (!opt.key.empty() && opt.cert.empty()) throw failure("--key needs --cert (the certificate it belongs to)");
    if (opt.listen) {
        if (opt.cert.empty())
            throw failure("a TLS server needs --cert FILE (its certificate chain, and --key FILE unless the key is in it)");
        if (opt.insecure || !opt.servername.empty())
            throw failure("--insecure and --servername apply to a TLS client (a server checks client certificates with --cafile)");
        return;
    }
    if (opt.insecure && !opt.cafile.empty()) throw failure("--insecure and --cafile exclude each other");
    if (!opt.unix_path.empty() && opt.servername.empty() && !opt.insecure)
        throw failure("--tls over a Unix socket needs --servername NAME (the name the server's certificate must have) or --insecure");
}

// HOST and PORT (or -U PATH instead); a bad port fails here, before anything is opened.
void read_places(const std::vector<std::string>& args, options& opt) {
    if (!opt.unix_path.empty()) {
        if (opt.ipv4 || opt.ipv6) throw failure("-4 and -6 do not apply to a Unix socket (-U)");
        if (!args.empty())
            throw failure("unexpected argument '" + args[0] + "': with -U the PATH replaces HOST and PORT");
        return;
    }
    if (opt.listen) {
        if (args.empty()) throw failure("missing PORT (usage: usock -l [HOST] PORT)");
        if (args.size() > 2) throw failure("unexpected argument '" + args[2] + "' (usage: usock -l [HOST] PORT)");
        if (args.size() == 2) opt.host = args[0];
        opt.port = args.back();
    } else {
        if (args.empty()) throw failure("missing HOST and PORT (usage: usock HOST PORT, or usock --help)");
        if (args.size() == 1) throw failure("missing PORT after '" + args[0] + "' (usage: usock HOST PORT)");
        if (args.size() > 2) throw failure("unexpected argument '" + args[2] + "' (usage: usock HOST PORT)");
        opt.host = args[0];
        opt.port = args[1];
    }
    parse_port(opt.port, opt.socktype());
}

}  // namespace

std::string_view help_text() noexcept { return help; }

int options::family() const noexcept {
    if (!unix_path.empty()) return usocket::af_unix;
    if (ipv4) return usocket::af_inet;
    if (ipv6) return usocket::af_inet6;
    return usocket::af_unspec;
}

int options::socktype() const noexcept { return udp ? usocket::sock_dgram : usocket::sock_stream; }

std::optional<int> whole_number(std::string_view text, int max) noexcept {
    int value = -1;
    const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || err != std::errc() || end != text.data() + text.size() || value < 0 || value > max)
        return std::nullopt;
    return value;
}

cli_action parse_command_line(int argc, char** argv, options& opt) {
    refuse_exec(argc, argv);
    CLI::App app{"", "usock"};
    raw_command_line raw;
    declare_options(app, opt, raw);
    run_cli11(app, argc, argv);
    if (raw.show_help) return cli_action::help;
    if (raw.show_version) return cli_action::version;
    refuse_leftovers(app, *raw.resolve);
    read_values(raw, opt);
    if (raw.resolve->parsed()) {
        read_resolve(raw, opt);
        return cli_action::run;
    }
    check_modes(opt);
    check_tls(raw, opt);
    read_places(raw.args, opt);
    return cli_action::run;
}

}  // namespace usock
