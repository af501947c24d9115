#pragma once
// The command line: CLI11 parses it, then every combination is checked here, so that the rest
// of usock can trust `options`.

#include <string_view>

#include "options.hpp"

namespace usock {

/// What main() should do after parsing.
enum class cli_action { run, help, version };

/// Parses argv into `opt`. Throws failure with a message that names what was wrong
/// ("unknown option '--bogus'", "invalid port '70000': must be from 0 to 65535").
cli_action parse_command_line(int argc, char** argv, options& opt);

/// The --help text: a manual page (NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS,
/// EXAMPLES).
std::string_view help_text() noexcept;

}  // namespace usock
