#pragma once
// Processes, files and the hub for the lwIP tests. No OS header here: the tests include lwIP's
// socket headers, which must not meet the C library's (<sys/socket.h>, <poll.h>).

#include <chrono>
#include <string>
#include <vector>

namespace lwip_test {

using namespace std::chrono_literals;

/// A child process: standard input and output are pipes; standard error goes to a file.
struct child {
    int pid = -1;
    int in_fd = -1;   // the child's standard input (write end)
    int out_fd = -1;  // the child's standard output (read end)
    std::string pending;
};

/// Starts `argv` with `env` added to this process's environment.
child spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& err_file);
/// The child's next output line that starts with `prefix` (others are skipped), or "" when the
/// child closes its output or `timeout` passes.
std::string read_line(child& c, const std::string& prefix, std::chrono::milliseconds timeout);
/// Writes a line to the child's standard input.
void write_line(child& c, const std::string& line);
/// Closes the child's standard input.
void close_input(child& c);
/// Waits for the child to exit: its exit status, or -1 (after SIGKILL) when `timeout` passes.
int wait_exit(child& c, std::chrono::milliseconds timeout);
/// SIGTERM, then waits as wait_exit().
int terminate(child& c, std::chrono::milliseconds timeout = 10s);

/// A new private directory under TMPDIR, removed by remove_tree().
std::string make_temp_dir();
void remove_tree(const std::string& dir);
std::string read_file(const std::string& path);
/// True once `path` exists (a hub's socket), false after `timeout`.
bool wait_for_path(const std::string& path, std::chrono::milliseconds timeout);
/// Sets a variable of this process's environment.
void set_env(const std::string& name, const std::string& value);

/// The value of "key=N" in `text` (the last occurrence), or -1.
long long field(const std::string& text, const std::string& key);

/// usocket-netsim at `dir`/hub with `args`; its log in `dir`/hub.log.
struct hub {
    std::string dir, path, log;
    child proc;
    hub(const std::string& dir, const std::vector<std::string>& args);
    /// The hub's counters now ("frames=N delivered=N dropped=N ..."), or "" after 5 s.
    std::string counters();
    /// Stops the hub; returns its log (the counters are on its last line).
    std::string stop();
};

}  // namespace lwip_test
