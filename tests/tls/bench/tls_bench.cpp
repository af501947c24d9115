// TLS figures for docs/tls.md (not a test; performance is never asserted):
//   handshakes  usocket::tls (this build's engine) and CPython's ssl as clients of the same
//               `openssl s_server`: time per handshake, peak heap during it, heap at rest after
//               it (medians; heap counted by interposing malloc in both processes);
//   bulk        MiB/s sent over TLS to `openssl s_server` (output to /dev/null) by usocket::tls
//               and by `openssl s_client` reading a pipe, same server, same loopback.
// Each is run in rounds, A and B alternating.
//
//   cmake --build build --target tls_bench tls_heapcount
//   build/tests/tls/tls_bench [handshakes=200] [MiB=256] [rounds=3]

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <usocket/tls.hpp>
#include <vector>

extern "C" long long heapcount_current();
extern "C" long long heapcount_peak();
extern "C" void heapcount_reset_peak();
extern char** environ;

namespace {

namespace tls = usocket::tls;
using clock_type = std::chrono::steady_clock;

// `in_fd` >= 0: the child's standard input (else /dev/null).
pid_t spawn(const std::vector<std::string>& argv, const char* out_path, const char* in_path = nullptr,
            const std::vector<std::string>& env_extra = {}, int in_fd = -1) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out_path != nullptr) {  // openssl: its chatter goes too
        posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    }
    if (in_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, in_path != nullptr ? in_path : "/dev/null", O_RDONLY, 0);
    std::vector<std::string> a = argv;
    std::vector<char*> args;
    for (auto& s : a) args.push_back(s.data());
    args.push_back(nullptr);
    std::vector<std::string> env(env_extra);
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

int free_port() {
    usocket::socket s(usocket::af_inet);
    s.bind(usocket::address("127.0.0.1", 0));
    return s.getsockname().port();
}

// An openssl s_server on a free port, ready when this returns. Its standard input is a pipe
// that stays open and empty (at the end of its input it would spin on it).
struct server {
    server(const std::string& dir, const char* out) {
        port = free_port();
        if (::pipe2(input, O_CLOEXEC) != 0) std::exit(1);
        pid = spawn({"openssl", "s_server", "-quiet", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
                     dir + "/server.pem", "-key", dir + "/server.key", "-naccept", "100000"},
                    out, nullptr, {}, input[0]);
        ::close(input[0]);
        for (int i = 0; i < 200; ++i) {
            usocket::socket s(usocket::af_inet);
            if (s.connect_ex(usocket::address("127.0.0.1", port)) == 0) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        std::fprintf(stderr, "tls_bench: openssl s_server did not start\n");
        std::exit(1);
    }
    ~server() {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, nullptr, 0);
        ::close(input[1]);
    }
    int input[2] = {-1, -1};
    int port = 0;
    pid_t pid = -1;
};

template <class T>
T median(std::vector<T> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void usocket_handshakes(int port, const tls::context& ctx, int n) {
    std::vector<double> times;
    std::vector<long long> peaks, rests;
    tls::wrap_options o;
    o.server_hostname = "localhost";
    for (int i = 0; i <= n; ++i) {  // the first one warms up
        usocket::socket raw(usocket::af_inet);
        raw.connect(usocket::address("127.0.0.1", port));
        const long long base = heapcount_current();
        heapcount_reset_peak();
        const auto t0 = clock_type::now();
        tls::socket s = ctx.wrap_socket(std::move(raw), o);
        const auto t1 = clock_type::now();
        const long long peak = heapcount_peak() - base, rest = heapcount_current() - base;
        s.close();
        if (i == 0) continue;
        times.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        peaks.push_back(peak);
        rests.push_back(rest);
    }
    std::printf("usocket-%s handshakes=%d median_us=%.0f peak_bytes=%lld rest_bytes=%lld\n",
                tls::has_tls1_3() ? "openssl" : "mbedtls", n, median(times), median(peaks), median(rests));
    std::fflush(stdout);
}

double usocket_bulk(int port, const tls::context& ctx, std::size_t mib) {
    tls::wrap_options o;
    o.server_hostname = "localhost";
    usocket::socket raw(usocket::af_inet);
    raw.connect(usocket::address("127.0.0.1", port));
    tls::socket s = ctx.wrap_socket(std::move(raw), o);
    const std::string chunk(64 * 1024, 'x');
    const auto t0 = clock_type::now();
    for (std::size_t i = 0; i < mib * 16; ++i) s.sendall(chunk);
    s.close();
    return static_cast<double>(mib) / std::chrono::duration<double>(clock_type::now() - t0).count();
}

double s_client_bulk(int port, const std::string& dir, const std::string& data) {
    const auto t0 = clock_type::now();
    const pid_t pid = spawn({"openssl", "s_client", "-quiet", "-no_ign_eof", "-connect",
                             "127.0.0.1:" + std::to_string(port), "-CAfile", dir + "/ca.pem", "-servername",
                             "localhost"},
                            "/dev/null", data.c_str());
    int status = 0;
    ::waitpid(pid, &status, 0);
    return static_cast<double>(std::filesystem::file_size(data)) / (1 << 20) /
           std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 200;
    const std::size_t mib = argc > 2 ? static_cast<std::size_t>(std::atoi(argv[2])) : 256;
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
    char tmpl[] = "/tmp/usocket-tls-bench-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    if (std::system(("sh " USOCKET_TLS_TEST_DIR "/make_certs.sh " + dir).c_str()) != 0) return 1;
    std::printf("engine: %s; CPython: /usr/bin/python3\n", tls::engine_version().c_str());

    auto ctx = tls::context::client();
    ctx.load_verify_file(dir + "/ca.pem");
    {
        server srv(dir, "/dev/null");
        for (int r = 0; r < rounds; ++r) {
            usocket_handshakes(srv.port, ctx, n);
            const pid_t py = spawn({"/usr/bin/python3", USOCKET_TLS_TEST_DIR "/bench/tls_bench.py",
                                    std::to_string(srv.port), dir + "/ca.pem", std::to_string(n)},
                                   nullptr, nullptr, {"LD_PRELOAD=" USOCKET_TLS_HEAPCOUNT});
            ::waitpid(py, nullptr, 0);
        }
    }
    const std::string data = dir + "/bulk.bin";
    if (std::system(("head -c " + std::to_string(mib << 20) + " /dev/zero > " + data).c_str()) != 0) return 1;
    for (int r = 0; r < rounds; ++r) {
        double a, b;
        {
            server srv(dir, "/dev/null");
            a = usocket_bulk(srv.port, ctx, mib);
        }
        {
            server srv(dir, "/dev/null");
            b = s_client_bulk(srv.port, dir, data);
        }
        std::printf("bulk %zu MiB to openssl s_server: usocket-%s %.0f MiB/s, openssl s_client %.0f MiB/s\n", mib,
                    tls::has_tls1_3() ? "openssl" : "mbedtls", a, b);
        std::fflush(stdout);
    }
    std::filesystem::remove_all(dir);
    return 0;
}
