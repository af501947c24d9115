"""The command line: errors that say what was wrong (status 1, never a crash), --help as a
manual page that matches tools/usock.1, the resolve subcommand."""

import os
import re
import socket

import pytest

from conftest import SOURCE_DIR, assert_clean_failure, closed_port, run

# A name no resolver can put in a query (a label of 64 bytes): unknown without any DNS traffic.
UNKNOWN_HOST = "x" * 64 + ".invalid"


def test_refused_connect(usock):
    port = closed_port()
    r = run([usock, "127.0.0.1", str(port)])
    assert_clean_failure(r)
    assert r.stderr == f"usock: cannot connect to 127.0.0.1:{port}: connection refused\n".encode()


def test_unknown_host(usock):
    r = run([usock, UNKNOWN_HOST, "80"])
    assert_clean_failure(r, f"cannot resolve '{UNKNOWN_HOST}'")


@pytest.mark.parametrize("args, words", [
    (["127.0.0.1", "70000"], ["invalid port '70000'", "0 to 65535"]),
    (["-l", "70000"], ["invalid port '70000'"]),
    (["-u", "127.0.0.1", "99999999999999999999"], ["invalid port"]),
    (["127.0.0.1", "no-such-service"], ["invalid port 'no-such-service'", "service name"]),
    (["--bogus", "127.0.0.1", "80"], ["unknown option '--bogus'"]),
    (["-Y", "127.0.0.1", "80"], ["unknown option '-Y'"]),
    (["-e", "/bin/sh", "127.0.0.1", "80"], ["never runs programs"]),
    (["--exec=/bin/sh", "127.0.0.1", "80"], ["never runs programs"]),
    (["-c", "id", "127.0.0.1", "80"], ["never runs programs"]),
    ([], ["missing HOST and PORT"]),
    (["127.0.0.1"], ["missing PORT"]),
    (["-l"], ["missing PORT"]),
    (["a", "1", "extra"], ["unexpected argument 'extra'"]),
    (["-4", "-6", "127.0.0.1", "80"], ["-4 and -6"]),
    (["-k", "127.0.0.1", "80"], ["-k needs -l"]),
    (["-w", "abc", "127.0.0.1", "80"], ["invalid -w value 'abc'"]),
    (["-w", "-1", "127.0.0.1", "80"], ["invalid -w value '-1'"]),
    (["-w", "", "127.0.0.1", "80"], ["invalid -w value ''"]),
    (["-w", "9223372036", "127.0.0.1", "80"], ["invalid -w value '9223372036'", "too large"]),
    (["-q", "soon", "127.0.0.1", "80"], ["invalid -q value 'soon'"]),
    (["-l", "--backlog", "many", "0"], ["invalid --backlog value 'many'", "0 to 65535"]),
    (["-l", "--backlog", "-1", "0"], ["invalid --backlog value '-1'"]),
    (["-l", "--backlog", "65536", "0"], ["invalid --backlog value '65536'"]),
    (["--backlog", "5", "127.0.0.1", "80"], ["--backlog needs -l"]),
    (["-u", "-l", "--backlog", "5", "0"], ["--backlog does not apply to datagrams"]),
    (["-U", "/tmp/x", "127.0.0.1"], ["unexpected argument '127.0.0.1'"]),
    (["-U", "/" + "x" * 200], ["invalid Unix socket path"]),
    (["--send", "/no/such/file", "127.0.0.1", "80"], ["cannot open /no/such/file: no such file or directory"]),
    (["--send", "/", "127.0.0.1", "80"], ["cannot send /: it is a directory"]),
    (["--recv", "/no/such/dir/out", "127.0.0.1", "80"], ["cannot open /no/such/dir/out for writing"]),
    (["--send"], ["--send"]),
    (["resolve"], ["missing NAME"]),
    (["resolve", UNKNOWN_HOST], [f"cannot resolve '{UNKNOWN_HOST}'"]),
    (["resolve", "localhost", "70000"], ["invalid port '70000'"]),
])
def test_bad_input_is_a_clear_error(usock, args, words):
    assert_clean_failure(run([usock, *args]), *words)


def test_bad_file_fails_before_connecting(usock):
    """An unreadable --send file is reported even though the peer would refuse anyway: the
    file is checked first, so the message is about the file."""
    r = run([usock, "--send", "/no/such/file", "127.0.0.1", str(closed_port())])
    assert_clean_failure(r, "/no/such/file")
    assert b"refused" not in r.stderr


def test_listen_on_a_port_in_use(usock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = run([usock, "-l", "127.0.0.1", str(port)])
    assert_clean_failure(r)
    assert r.stderr == f"usock: cannot listen on 127.0.0.1:{port}: address already in use\n".encode()


def test_help_reads_like_a_manual_page(usock):
    r = run([usock, "--help"])
    assert r.returncode == 0
    text = r.stdout.decode()
    positions = [text.find(s) for s in ("NAME\n", "SYNOPSIS\n", "DESCRIPTION\n", "OPTIONS\n",
                                        "EXIT STATUS\n", "EXAMPLES\n")]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "no -e, -c or --exec option, by design" in text
    assert run([usock, "-h"]).stdout == r.stdout


def test_man_page_documents_every_option(usock):
    """tools/usock.1 and --help list the same options."""
    help_text = run([usock, "--help"]).stdout.decode()
    options_section = help_text[help_text.index("OPTIONS\n"):help_text.index("EXIT STATUS\n")]
    flags = set(re.findall(r"(?<![\w-])(--?[a-zA-Z0-9][a-z-]*)", options_section))
    assert {"-l", "--listen", "-u", "-U", "--echo", "--send", "--recv", "--stats", "-q", "-w"} <= flags
    man = open(os.path.join(SOURCE_DIR, "tools", "usock.1")).read().replace("\\-", "-")
    missing = sorted(f for f in flags if f not in man)
    assert not missing, missing
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES"):
        assert f'.SH "{section}"' in man or f".SH {section}" in man, section


def test_version(usock):
    r = run([usock, "--version"])
    assert r.returncode == 0
    assert re.match(rb"usock \d+\.\d+\.\d+", r.stdout)


def test_resolve_prints_the_getaddrinfo_table(usock):
    r = run([usock, "resolve", "-4", "localhost", "http"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0].split() == ["FAMILY", "TYPE", "PROTO", "CANONNAME", "ADDRESS"]
    rows = [line.split() for line in lines[1:]]
    assert ["AF_INET", "SOCK_STREAM", "IPPROTO_TCP"] in [row[:3] for row in rows]
    assert all(row[0] == "AF_INET" and row[-1] == "127.0.0.1:80" for row in rows)
    udp = run([usock, "resolve", "-u", "127.0.0.1", "53"])
    assert [line.split()[:3] for line in udp.stdout.decode().splitlines()[1:]] == \
        [["AF_INET", "SOCK_DGRAM", "IPPROTO_UDP"]]
