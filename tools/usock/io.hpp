#pragma once
// The local side of the relay: standard input and output, and the files of --send / --recv.
// Sockets go through the library; these are plain file descriptors.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

namespace usock {

/// A file descriptor usock reads from or writes to, with the name its messages use.
class local_file {
public:
    /// Standard input (fd 0) and standard output (fd 1); never closed.
    static local_file standard_input();
    static local_file standard_output();
    /// Opens FILE for reading; throws failure ("cannot open FILE: ...").
    static local_file open_for_reading(const std::string& path);
    /// Creates or truncates FILE for writing; throws failure.
    static local_file open_for_writing(const std::string& path);

    local_file(local_file&& other) noexcept;
    local_file& operator=(local_file&& other) noexcept;
    local_file(const local_file&) = delete;
    local_file& operator=(const local_file&) = delete;
    ~local_file();

    /// Reads at most `size` bytes: the count, 0 at the end of the file, -1 with `ec` set.
    /// EINTR is retried. A closed standard input (EBADF) counts as its end.
    std::ptrdiff_t read_some(void* data, std::size_t size, std::error_code& ec) noexcept;
    /// Writes all of it; false with `ec` set on failure.
    bool write_all(const void* data, std::size_t size, std::error_code& ec) noexcept;

    /// True when the descriptor is a terminal.
    bool is_terminal() const noexcept;
    /// The size of a regular file; std::nullopt for pipes, terminals and sockets.
    std::optional<std::uint64_t> regular_size() const noexcept;

    const std::string& name() const noexcept { return name_; }
    int fd() const noexcept { return fd_; }

private:
    local_file(int fd, std::string name, bool owned) noexcept : fd_(fd), name_(std::move(name)), owned_(owned) {}
    int fd_ = -1;
    std::string name_;
    bool owned_ = false;
};

/// True when standard error is a terminal (progress bars go there only then).
bool stderr_is_terminal() noexcept;

/// Removes a Unix socket file usock created, on a normal exit and on SIGINT/SIGTERM/SIGHUP.
/// One path at a time; an empty path cancels.
void remove_on_exit(const std::string& path);
/// Removes it now (normal end of the run).
void remove_now();

/// SIGPIPE ignored: a closed standard output becomes an EPIPE error usock handles.
void ignore_sigpipe();

}  // namespace usock
