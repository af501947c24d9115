// The relay. Three threads meet in a `link` (one connection or one datagram peer):
//  - the input pump reads standard input (or the --send file) and sends each chunk;
//  - the receiver receives from the socket and writes to standard output (or --recv file);
//  - the main thread supervises: it ends the session when both directions are done, after -q
//    seconds past the end of input, after -w seconds idle, or on the first error.
// Everything on the socket goes through the library's blocking calls; stopping a session is a
// shutdown() of the socket, which wakes the receiver.
//
// Over TLS the same calls go through the library's TLS socket: shutdown(shut_wr) at the end of
// the input sends the close notification, then TCP's end of this direction, and the receiver
// goes on reading; shutdown(shut_rdwr) stops a session, with the close notification if it has
// not gone and the kernel has room for it.

#include "relay.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <utility>
#include <vector>
#include <usocket/usocket.hpp>

#include "accept_guard.hpp"
#include "io.hpp"
#include "meter.hpp"
#include "net.hpp"
#include "tls_layer.hpp"

namespace usock {

namespace {

using clock = std::chrono::steady_clock;

constexpr std::size_t stream_chunk = 128 * 1024;
constexpr std::size_t datagram_chunk = 16 * 1024;  // one read of the input is one datagram (as nc)
constexpr std::size_t datagram_max = 64 * 1024;    // any datagram fits

enum class session_end { finished, idle, quit, failed };

class link {
public:
    link(connection c, bool connected, std::string peer, std::shared_ptr<meter> m, local_file& out, bool verbose)
        : conn_(std::move(c)),
          sock_(conn_.socket()),
          datagram_(sock_.type() == usocket::sock_dgram),
          connected_(connected),
          verbose_(verbose),
          tls_(conn_.is_tls()),
          peer_(std::move(peer)),
          meter_(std::move(m)),
          out_(out) {
        touch();
    }
    link(const link&) = delete;
    link& operator=(const link&) = delete;
    ~link() { stop(); }

    bool datagram() const noexcept { return datagram_; }
    meter& counts() noexcept { return *meter_; }

    // --- the input pump's side --------------------------------------------------------------

    /// Sends one chunk (one datagram); a failure is recorded for the supervisor.
    void send(usocket::const_buffer data) {
        std::error_code ec;
        if (!datagram_) {
            sock_.sendall(data, 0, ec);
        } else if (connected_) {
            (void)sock_.send(data, 0, ec);  // a datagram goes whole or not at all
        } else {
            usocket::address to;
            {
                std::unique_lock lock(m_);
                cv_.wait(lock, [&] { return reply_to_.has_value() || stopping_; });
                if (stopping_) return;
                to = *reply_to_;
            }
            (void)sock_.sendto(data, to, 0, ec);
        }
        if (ec) {
            std::lock_guard lock(m_);
            if (!stopping_) send_error_ = ec;
            broken_.store(true);
            cv_.notify_all();
            return;
        }
        touch();
        meter_->add_sent(data.size());
    }

    /// The input ended (`ec` set: it failed). A stream is half-closed unless told not to; over
    /// TLS, the close notification is sent.
    void input_ended(bool half_close, std::error_code ec) {
        if (!ec && half_close && !datagram_) {
            // Over TLS this waits for room for the close notification: stop() ends that wait.
            std::error_code sent;
            conn_.shutdown(usocket::shut_wr, sent);
            if (tls_ && verbose_ && !sent) say("end of input: TLS close notification sent to " + peer_);
        }
        std::lock_guard lock(m_);
        input_error_ = ec;
        input_eof_ = true;
        input_eof_at_ = clock::now();
        cv_.notify_all();
    }

    /// True after a send failed: the pump keeps its input for the next peer (-k).
    bool broken() const noexcept { return broken_.load(); }

    // --- the receiver -----------------------------------------------------------------------

    /// Writes `data` (the first datagram of a UDP listener) as if it had been received.
    bool deliver(usocket::const_buffer data) {
        std::error_code ec;
        if (!out_.write_all(data.data(), data.size(), ec)) {
            std::lock_guard lock(m_);
            output_error_ = ec;
            return false;
        }
        meter_->add_received(data.size());
        return true;
    }

    void start_receiving() { receiver_ = std::thread([this] { receive_loop(); }); }

    // --- the main thread --------------------------------------------------------------------

    /// Waits until the session is over and says why; `why` gets the message of a failure.
    /// `quit_on_net_eof`: nothing more will come from the input side worth waiting for.
    session_end supervise(const options& opt, const std::string& input_name, bool quit_on_net_eof,
                          std::string& why) {
        std::unique_lock lock(m_);
        for (;;) {
            if (net_error_) {
                why = "receive from " + peer_ + ": " + conn_.explain(net_error_);
                return session_end::failed;
            }
            if (input_error_) {
                why = "read from " + input_name + ": " + describe(input_error_);
                return session_end::failed;
            }
            if (output_error_) {
                // The reader of our output went away (`usock ... | head`): not our failure.
                if (output_error_ == std::errc::broken_pipe) return session_end::finished;
                why = "write to " + out_.name() + ": " + describe(output_error_);
                return session_end::failed;
            }
            // After the peer's end of stream, a send fails with EPIPE: the peer closed, which
            // ends the session normally. ECONNRESET is the peer aborting (a reset while the
            // connection was open): a failure even though the receiver, finding the error
            // already taken by the send, saw only an end of stream.
            if (send_error_ && (!net_eof_ || send_error_ == std::errc::connection_reset)) {
                why = "send to " + peer_ + ": " + conn_.explain(send_error_);
                return session_end::failed;
            }
            if (net_eof_ && (input_eof_ || send_error_ || quit_on_net_eof)) return session_end::finished;

            const auto now = clock::now();
            auto deadline = clock::time_point::max();
            if (input_eof_ && opt.quit_s >= 0) {
                const auto t = input_eof_at_ + seconds_duration(opt.quit_s);
                if (now >= t) return session_end::quit;
                deadline = std::min(deadline, t);
            }
            if (opt.wait_s) {
                const auto t = clock::time_point(clock::duration(last_activity_.load())) + seconds_duration(*opt.wait_s);
                if (now >= t) {
                    if (verbose_) say("no data for " + std::to_string(*opt.wait_s) + " s: closing " + peer_);
                    return session_end::idle;
                }
                deadline = std::min(deadline, t);
            }
            if (deadline == clock::time_point::max())
                cv_.wait(lock);
            else
                cv_.wait_until(lock, deadline);
        }
    }

    /// Ends the session: wakes the receiver with a shutdown of the socket and joins it. Over
    /// TLS the close notification goes first (if the input's end has not sent it).
    void stop() {
        {
            std::lock_guard lock(m_);
            if (stopping_ && !receiver_.joinable()) return;
            stopping_ = true;
            cv_.notify_all();
        }
        // shutdown() wakes a blocked recv on every kind of socket on Linux (on an unconnected
        // UDP socket it reports ENOTCONN, and still wakes the receiver).
        std::error_code ignored;
        conn_.shutdown(usocket::shut_rdwr, ignored);
        if (receiver_.joinable() && receiver_.get_id() != std::this_thread::get_id()) receiver_.join();
    }

private:
    void touch() noexcept { last_activity_.store(clock::now().time_since_epoch().count()); }

    std::size_t receive(std::span<std::byte> buf, usocket::address& from, std::error_code& ec) {
        if (tls_) {
            const std::size_t n = sock_.recv_into(buf, 0, 0, ec);
            if (is_ragged_eof(ec)) {
                ec.clear();
                if (verbose_) say(peer_ + " ended the connection without a TLS close notification");
            }
            return n;
        }
        return datagram_ && !connected_ ? sock_.recvfrom_into(buf, 0, 0, from, ec) : sock_.recv_into(buf, 0, 0, ec);
    }

    void receive_loop() {
        std::vector<std::byte> buf(datagram_ ? datagram_max : stream_chunk);
        for (;;) {
            std::error_code ec;
            usocket::address from;
            const std::size_t n = receive(buf, from, ec);
            {
                std::lock_guard lock(m_);
                if (stopping_) break;
                if (ec) {
                    net_error_ = ec;
                    break;
                }
                if (n == 0 && !datagram_) {
                    net_eof_ = true;
                    break;
                }
                if (datagram_ && !connected_ && !from.empty() && reply_to_ != from) {
                    if (verbose_) say("datagram from " + peer_name(from));
                    reply_to_ = from;
                    cv_.notify_all();
                }
            }
            touch();
            if (!out_.write_all(buf.data(), n, ec)) {
                std::lock_guard lock(m_);
                output_error_ = ec;
                break;
            }
            meter_->add_received(n);
        }
        std::lock_guard lock(m_);
        cv_.notify_all();
    }

    connection conn_;
    usocket::socket& sock_;  // conn_'s socket
    const bool datagram_;
    const bool connected_;
    const bool verbose_;
    const bool tls_;
    const std::string peer_;
    const std::shared_ptr<meter> meter_;
    local_file& out_;
    std::thread receiver_;
    std::atomic<bool> broken_{false};
    std::atomic<clock::rep> last_activity_{0};

    std::mutex m_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool net_eof_ = false;
    bool input_eof_ = false;
    clock::time_point input_eof_at_{};
    std::error_code net_error_, send_error_, input_error_, output_error_;
    std::optional<usocket::address> reply_to_;  // unconnected datagrams: the last sender
};

// Reads the input on its own thread and hands each chunk to the link attached at the time.
// Standard input has one pump for the whole run (with -k its data goes to whichever peer is
// connected); a --send file gets a pump per peer, so each peer receives the whole file.
class input_pump : public std::enable_shared_from_this<input_pump> {
public:
    input_pump(local_file in, std::size_t chunk, bool half_close)
        : in_(std::move(in)), chunk_(chunk), half_close_(half_close) {}

    const std::string& name() const noexcept { return in_.name(); }

    /// Starts the thread; a pump that may block forever on a terminal is detached.
    void start(bool detached) {
        running_.store(true);
        thread_ = std::thread([self = shared_from_this()] { self->run(); });
        if (detached) thread_.detach();
    }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    bool running() const noexcept { return running_.load(); }

    /// Makes `l` the link the input goes to; if the input already ended, says so at once.
    void attach(const std::shared_ptr<link>& l) {
        bool ended;
        std::error_code ec;
        {
            std::lock_guard lock(m_);
            current_ = l;
            ended = eof_;
            ec = error_;
            cv_.notify_all();
        }
        if (ended) l->input_ended(half_close_, ec);
    }
    void detach() {
        std::lock_guard lock(m_);
        current_.reset();
    }
    /// Makes a pump waiting for a link give up (a --send pump whose session ended early).
    void close() {
        std::lock_guard lock(m_);
        closed_ = true;
        cv_.notify_all();
    }

private:
    void run() {
        std::vector<std::byte> buf(chunk_);
        for (;;) {
            std::error_code ec;
            const std::ptrdiff_t n = in_.read_some(buf.data(), buf.size(), ec);
            std::shared_ptr<link> l;
            {
                std::unique_lock lock(m_);
                if (n <= 0) {
                    eof_ = true;
                    error_ = ec;
                    l = current_;
                } else {
                    cv_.wait(lock, [&] { return closed_ || (current_ && !current_->broken()); });
                    if (closed_) break;
                    l = current_;
                }
            }
            if (n <= 0) {
                if (l) l->input_ended(half_close_, ec);
                break;
            }
            l->send(usocket::const_buffer(buf.data(), static_cast<std::size_t>(n)));
        }
        running_.store(false);
    }

    local_file in_;
    const std::size_t chunk_;
    const bool half_close_;
    std::thread thread_;
    std::atomic<bool> running_{false};
    std::mutex m_;
    std::condition_variable cv_;
    std::shared_ptr<link> current_;
    bool eof_ = false;
    bool closed_ = false;
    std::error_code error_;
};

std::shared_ptr<input_pump> the_stdin_pump;

// The input and output of a run, opened before any network activity so that an unreadable
// --send file or an unwritable --recv file fails at once.
class endpoints {
public:
    explicit endpoints(const options& opt)
        : opt_(opt),
          out_(opt.recv_file.empty() ? local_file::standard_output() : local_file::open_for_writing(opt.recv_file)) {
        if (!opt.send_file.empty()) first_file_ = local_file::open_for_reading(opt.send_file);
        progress_ = (!opt.send_file.empty() || !opt.recv_file.empty()) && stderr_is_terminal();
    }

    local_file& output() noexcept { return out_; }

    /// The pump for the next session, or null with -d.
    std::shared_ptr<input_pump> pump_for_session(bool datagram) {
        const std::size_t chunk = datagram ? datagram_chunk : stream_chunk;
        const bool half_close = !opt_.no_shutdown;
        if (opt_.no_stdin) return nullptr;
        if (!opt_.send_file.empty()) {
            local_file f = first_file_ ? std::move(*first_file_) : local_file::open_for_reading(opt_.send_file);
            first_file_.reset();
            send_total_ = f.regular_size();
            auto p = std::make_shared<input_pump>(std::move(f), chunk, half_close);
            return p;
        }
        if (!the_stdin_pump) {
            auto in = local_file::standard_input();
            stdin_is_terminal_ = in.is_terminal();
            the_stdin_pump = std::make_shared<input_pump>(std::move(in), chunk, half_close);
            the_stdin_pump->start(true);
        }
        return the_stdin_pump;
    }

    /// Nothing more from the input is worth waiting for once the peer has closed: no input,
    /// or a person at a terminal (as ncat; nc would wait for the next line typed).
    bool quit_on_net_eof() const noexcept { return opt_.no_stdin || stdin_is_terminal_; }

    std::shared_ptr<meter> new_meter() const { return std::make_shared<meter>(progress_, send_total_); }

private:
    const options& opt_;
    local_file out_;
    std::optional<local_file> first_file_;
    std::optional<std::uint64_t> send_total_;
    bool progress_ = false;
    bool stdin_is_terminal_ = false;
};

// One session over `l`: attach the input, receive, supervise, stop. Returns how it ended.
session_end run_session(const std::shared_ptr<link>& l, endpoints& ends, const options& opt,
                        const std::shared_ptr<input_pump>& pump) {
    l->start_receiving();
    const bool own_pump = pump && pump != the_stdin_pump;
    if (pump) {
        pump->attach(l);
        if (own_pump) pump->start(false);
    }
    std::string why;
    const session_end end =
        l->supervise(opt, pump ? pump->name() : std::string("standard input"), ends.quit_on_net_eof(), why);
    if (pump) pump->detach();
    l->stop();
    if (own_pump) {
        pump->close();
        pump->join();
    }
    l->counts().finish(opt.stats);
    if (end == session_end::failed) say(why);
    return end;
}

int status_of(session_end end) noexcept { return end == session_end::failed ? 1 : 0; }

// The next peer. A connection that died in the queue is skipped; out of descriptors or
// memory, usock waits (with a message at most once a second) and tries again, since a
// blocking accept() would fail again at once.
usocket::socket accept_peer(usocket::socket& listener, usocket::address& peer, bool verbose) {
    accept_backoff backoff;
    rate_limited_message errors;
    for (;;) {
        std::error_code ec;
        usocket::socket conn = listener.accept(&peer, ec);
        if (!ec) return conn;
        switch (after_accept_error(ec)) {
            case accept_next::retry:
                if (verbose) say("accept: " + describe(ec));
                break;
            case accept_next::pause:
                errors.say("accept: " + describe(ec) + "; waiting");
                std::this_thread::sleep_for(backoff.next());
                break;
            case accept_next::fail:
                throw failure("accept on " + peer_name(listener.getsockname()) + ": " + describe(ec));
        }
    }
}

}  // namespace

bool input_thread_running() noexcept { return the_stdin_pump && the_stdin_pump->running(); }

int run_connect(const options& opt) {
    endpoints ends(opt);
    const tls_layer tls(opt);
    connection c = connect_to(opt, tls);
    if (opt.zero_io) return 0;
    std::error_code ec;
    const std::string peer = peer_name(c.socket().getpeername(ec));
    auto pump = ends.pump_for_session(c.socket().type() == usocket::sock_dgram);
    auto l = std::make_shared<link>(std::move(c), true, peer, ends.new_meter(), ends.output(), opt.verbose);
    return status_of(run_session(l, ends, opt, pump));
}

int run_listen(const options& opt) {
    endpoints ends(opt);
    const tls_layer tls(opt);
    usocket::socket listener = open_listener(opt);

    if (listener.type() == usocket::sock_dgram) {
        auto pump = ends.pump_for_session(true);
        auto counts = ends.new_meter();
        if (opt.keep_open) {
            // Datagrams from anyone; the input goes to the last sender.
            auto l = std::make_shared<link>(connection(std::move(listener)), false, "the last sender", counts,
                                            ends.output(), opt.verbose);
            return status_of(run_session(l, ends, opt, pump));
        }
        // As nc: the first datagram's sender becomes the peer (the socket is connected to it).
        std::vector<std::byte> first(datagram_max);
        usocket::address from;
        std::error_code ec;
        const std::size_t n = listener.recvfrom_into(first, 0, 0, from, ec);
        if (ec) throw failure("receive on " + peer_name(listener.getsockname()) + ": " + describe(ec));
        if (opt.verbose) say("datagram from " + peer_name(from));
        const bool named = !from.empty() && !(from.family() == usocket::af_unix && from.path().empty());
        if (named) listener.connect(from, ec);
        if (ec) throw failure("cannot connect to " + peer_name(from) + ": " + describe(ec));
        auto l = std::make_shared<link>(connection(std::move(listener)), named, peer_name(from), counts,
                                        ends.output(), opt.verbose);
        if (!l->deliver(usocket::const_buffer(first.data(), n))) return 0;
        return status_of(run_session(l, ends, opt, pump));
    }

    int status = 0;
    do {
        usocket::address peer;
        std::error_code ec;
        usocket::socket conn = accept_peer(listener, peer, opt.verbose);
        if (opt.verbose) say("connection from " + peer_name(peer));
        if (!opt.keep_open) listener.close(ec);
        connection c;
        if (opt.tls) {
            std::string why;
            auto secured = tls.accept(std::move(conn), peer_name(peer), why);
            if (!secured) {
                say(why);
                status = 1;
                continue;  // with -k, the next peer; otherwise the end
            }
            c = connection(std::move(*secured));
        } else {
            c = connection(std::move(conn));
        }
        auto pump = ends.pump_for_session(false);
        auto l = std::make_shared<link>(std::move(c), true, peer_name(peer), ends.new_meter(), ends.output(),
                                        opt.verbose);
        const session_end end = run_session(l, ends, opt, pump);
        status = status_of(end);
        if (end == session_end::quit) break;
    } while (opt.keep_open);
    return status;
}

}  // namespace usock
