#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

extern char** environ;

namespace lwip_test {

namespace {

std::int64_t left_ms(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? left.count() : 0;
}

}  // namespace

child spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& err_file) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (!err_file.empty())
        posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<std::string> envs;
    for (char** e = environ; *e != nullptr; ++e) envs.emplace_back(*e);
    for (const std::string& e : env) {
        const std::string key = e.substr(0, e.find('=') + 1);
        std::erase_if(envs, [&](const std::string& x) { return x.rfind(key, 0) == 0; });
        envs.push_back(e);
    }
    std::vector<char*> cargv, cenv;
    for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (std::string& e : envs) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    child c;
    const int rc = ::posix_spawn(&c.pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) {
        ::close(in[1]);
        ::close(out[0]);
        throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
    }
    c.in_fd = in[1];
    c.out_fd = out[0];
    return c;
}

std::string read_line(child& c, const std::string& prefix, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (std::size_t nl; (nl = c.pending.find('\n')) != std::string::npos;) {
            std::string line = c.pending.substr(0, nl);
            c.pending.erase(0, nl + 1);
            if (line.rfind(prefix, 0) == 0) return line;
        }
        if (c.out_fd < 0) return "";
        pollfd p{c.out_fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left_ms(deadline)));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return "";
        char buf[4096];
        const ssize_t n = ::read(c.out_fd, buf, sizeof buf);
        if (n <= 0) {
            ::close(c.out_fd);
            c.out_fd = -1;
            continue;
        }
        c.pending.append(buf, static_cast<std::size_t>(n));
    }
}

void write_line(child& c, const std::string& line) {
    const std::string l = line + "\n";
    if (c.in_fd >= 0) (void)!::write(c.in_fd, l.data(), l.size());
}

void close_input(child& c) {
    if (c.in_fd >= 0) ::close(c.in_fd);
    c.in_fd = -1;
}

int wait_exit(child& c, std::chrono::milliseconds timeout) {
    if (c.pid < 0) return -1;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
        if (r == c.pid) break;
        if (left_ms(deadline) == 0) {
            ::kill(c.pid, SIGKILL);
            ::waitpid(c.pid, &status, 0);
            c.pid = -1;
            close_input(c);
            return -1;
        }
        std::this_thread::sleep_for(5ms);
    }
    c.pid = -1;
    close_input(c);
    if (c.out_fd >= 0) {
        ::close(c.out_fd);
        c.out_fd = -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int terminate(child& c, std::chrono::milliseconds timeout) {
    if (c.pid > 0) ::kill(c.pid, SIGTERM);
    return wait_exit(c, timeout);
}

std::string make_temp_dir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/usocket-lwip-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    return pattern;
}

void remove_tree(const std::string& dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool wait_for_path(const std::string& path, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    struct stat st {};
    while (::stat(path.c_str(), &st) != 0) {
        if (left_ms(deadline) == 0) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

void set_env(const std::string& name, const std::string& value) { ::setenv(name.c_str(), value.c_str(), 1); }

long long field(const std::string& text, const std::string& key) {
    const std::size_t at = text.rfind(key + "=");
    if (at == std::string::npos) return -1;
    return std::strtoll(text.c_str() + at + key.size() + 1, nullptr, 10);
}

hub::hub(const std::string& d, const std::vector<std::string>& args) : dir(d), path(d + "/hub"), log(d + "/hub.log") {
    std::vector<std::string> argv{USOCKET_NETSIM, path};
    argv.insert(argv.end(), args.begin(), args.end());
    proc = spawn(argv, {}, log);
    if (!wait_for_path(path, 10s)) throw std::runtime_error("usocket-netsim did not start: " + read_file(log));
}

std::string hub::counters() {
    const auto lines = [&] {
        const std::string log_text = read_file(log);
        std::size_t n = 0;
        for (std::size_t at = 0; (at = log_text.find(" frames=", at)) != std::string::npos; ++at) ++n;
        return std::make_pair(n, log_text);
    };
    const std::size_t before = lines().first;
    ::kill(proc.pid, SIGUSR1);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto [n, text] = lines();
        if (n > before) return text.substr(text.rfind("frames="));
        std::this_thread::sleep_for(5ms);
    }
    return "";
}

std::string hub::stop() {
    terminate(proc);
    return read_file(log);
}

}  // namespace lwip_test
