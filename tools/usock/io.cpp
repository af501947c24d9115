// The local side: file descriptors for standard input/output and --send/--recv files.

#include "io.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include "options.hpp"

namespace usock {

namespace {

std::error_code last_error() noexcept { return {errno, std::system_category()}; }

// A descriptor inherited in non-blocking mode (a shared terminal, some supervisors) answers
// EAGAIN: wait in poll() until it is ready, rather than fail, or retry on a timer (which
// would wake usock hundreds of times a second for as long as the input is silent).
void wait_for_descriptor(int fd, short events) noexcept {
    pollfd p{fd, events, 0};
    int r;
    do {
        r = ::poll(&p, 1, -1);
    } while (r < 0 && errno == EINTR);
    if (r < 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // ENOMEM: try again later
}

}  // namespace

local_file local_file::standard_input() { return local_file(0, "standard input", false); }
local_file local_file::standard_output() { return local_file(1, "standard output", false); }

local_file local_file::open_for_reading(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw failure("cannot open " + path + ": " + describe(last_error()));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        throw failure("cannot send " + path + ": it is a directory");
    }
    return local_file(fd, path, true);
}

local_file local_file::open_for_writing(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) throw failure("cannot open " + path + " for writing: " + describe(last_error()));
    return local_file(fd, path, true);
}

local_file::local_file(local_file&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), name_(std::move(other.name_)), owned_(std::exchange(other.owned_, false)) {}

local_file& local_file::operator=(local_file&& other) noexcept {
    if (this != &other) {
        if (owned_) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        name_ = std::move(other.name_);
        owned_ = std::exchange(other.owned_, false);
    }
    return *this;
}

local_file::~local_file() {
    if (owned_) ::close(fd_);
}

std::ptrdiff_t local_file::read_some(void* data, std::size_t size, std::error_code& ec) noexcept {
    for (;;) {
        const ssize_t n = ::read(fd_, data, size);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wait_for_descriptor(fd_, POLLIN);
            continue;
        }
        if (errno == EBADF && !owned_) return 0;
        ec = last_error();
        return -1;
    }
}

bool local_file::write_all(const void* data, std::size_t size, std::error_code& ec) noexcept {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd_, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                wait_for_descriptor(fd_, POLLOUT);
                continue;
            }
            ec = last_error();
            return false;
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

bool local_file::is_terminal() const noexcept { return ::isatty(fd_) == 1; }

std::optional<std::uint64_t> local_file::regular_size() const noexcept {
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return static_cast<std::uint64_t>(st.st_size);
}

bool stderr_is_terminal() noexcept { return ::isatty(2) == 1; }

// --- the Unix socket file usock created --------------------------------------------------------

namespace {

// Written before the handlers are installed and read only by them: a plain array, because a
// signal handler may call nothing but async-signal-safe functions (unlink, signal, raise).
char created_path[4096];

extern "C" void remove_and_reraise(int sig) {
    if (created_path[0] != '\0') ::unlink(created_path);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

}  // namespace

void remove_on_exit(const std::string& path) {
    if (path.empty() || path[0] == '\0' || path.size() >= sizeof created_path) {
        created_path[0] = '\0';
        return;
    }
    std::memcpy(created_path, path.c_str(), path.size() + 1);
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, remove_and_reraise);
}

void remove_now() {
    if (created_path[0] == '\0') return;
    std::error_code ignored;
    std::filesystem::remove(created_path, ignored);
    created_path[0] = '\0';
}

void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

}  // namespace usock
