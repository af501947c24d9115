// usock: a netcat on the usocket library. See `usock --help`, tools/usock.1 and docs/tool.md.

#include <fcntl.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <usocket/usocket.hpp>

#include "cli.hpp"
#include "echo.hpp"
#include "io.hpp"
#include "options.hpp"
#include "relay.hpp"
#include "resolve.hpp"
#include "tls_layer.hpp"

#ifndef USOCK_VERSION
#define USOCK_VERSION "0.1.0"
#endif

namespace usock {

std::string describe(const std::error_code& ec) {
    std::string text = ec.message();
    // "Connection refused" -> "connection refused"; keep acronyms ("EOF") as they are.
    if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) &&
        !std::isupper(static_cast<unsigned char>(text[1])))
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

void say(const std::string& text) {
    const std::string line = "usock: " + text + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
}

namespace {

int run(int argc, char** argv) {
    options opt;
    switch (parse_command_line(argc, argv, opt)) {
        case cli_action::help:
            std::fwrite(help_text().data(), 1, help_text().size(), stdout);
            return 0;
        case cli_action::version:
            if (tls_available())
                std::printf("usock %s (usocket library, TLS: %s)\n", USOCK_VERSION, tls_engine().c_str());
            else
                std::printf("usock %s (usocket library, no TLS)\n", USOCK_VERSION);
            return 0;
        case cli_action::run:
            break;
    }
    if (opt.resolve) return run_resolve(opt);
    ignore_sigpipe();
    if (opt.echo) return run_echo(opt);
    return opt.listen ? run_listen(opt) : run_connect(opt);
}

}  // namespace

}  // namespace usock

int main(int argc, char** argv) {
    // Started with standard input, output or error closed, the first socket would take its
    // number and usock would read or echo its own connection: hold them open on /dev/null.
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        const int null = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);  // takes the lowest free number: fd
        if (null != fd) return 1;
    }
    int status = 1;
    try {
        status = usock::run(argc, argv);
    } catch (const usock::failure& f) {
        usock::say(f.what());
        if (std::string_view(f.what()).find("usage") == std::string_view::npos &&
            std::string_view(f.what()).starts_with("unknown option"))
            usock::say("try 'usock --help' for the options");
    } catch (const std::exception& e) {
        usock::say(e.what());
    }
    usock::remove_now();
    std::fflush(stdout);
    // A thread blocked reading standard input cannot be woken: end the process without
    // running static destructors under its feet.
    if (usock::input_thread_running()) std::_Exit(status);
    return status;
}
