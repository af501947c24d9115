"""The grid: every function and method of api.py called with its valid arguments on every
socket state, then with each argument in turn replaced by each value of its pool, once on each
module; prints every call whose outcomes differ.

    PYTHONPATH=<build>/python /usr/bin/python3 tests/pyfuzz/grid.py [--only NAME] [--verbose]
"""

import argparse
import faulthandler
import socket as cpython_socket
import sys

import usocket

import api
import differ
from differ import GENERIC, World, describe, run

ALLOWED = {}


def reference(world, name):
    if name == "select":
        return world.select.select
    return getattr(world.mod, name)


def variants(base, pools, generic=True):
    """The base call, then each position replaced by each value of its pool and the generic
    pool, then one argument fewer and one more."""
    yield list(base)
    for i, pool in enumerate(pools):
        seen = set()
        for v in list(pool) + (GENERIC if generic else []):
            key = (type(v).__name__, describe(v))
            if key in seen:
                continue
            seen.add(key)
            args = list(base[:i + 1])  # a position past the base's end is an optional argument
            if i < len(base):
                args = list(base)
            args[i:i + 1] = [v]
            yield args
    if base:
        yield list(base[:-1])
    yield list(base) + [0]


def compare(label, name, args, calls, found, verbose):
    """calls(world) -> outcome, in each world; records a divergence."""
    outcomes = []
    for mod in (cpython_socket, usocket):
        # One world after the other: a fixed port one holds must not be busy for the other.
        world = World(mod, mod.__name__)
        try:
            outcomes.append(calls(world))
        finally:
            world.close()
            mod.setdefaulttimeout(None)
    reason = differ.allowed(name, args, *outcomes) if outcomes[0] != outcomes[1] else None
    if reason:
        if verbose:
            print("allowed %s (%s)" % (label, reason))
    elif outcomes[0] != outcomes[1]:
        found.append((label, outcomes[0], outcomes[1]))
        print("DIFF %s\n     cpython: %s\n     usocket: %s" % (label, outcomes[0], outcomes[1]), flush=True)
    elif verbose:
        print("same %s -> %s" % (label, outcomes[0]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only")
    parser.add_argument("--verbose", action="store_true")
    opts = parser.parse_args()
    differ.install_watchdog()
    faulthandler.dump_traceback_later(30, repeat=True, exit=True)
    found = []
    count = 0
    for name, base, pools, exact in api.FUNCTIONS:
        if opts.only and name != opts.only:
            continue
        for args in variants(base, pools, generic=name not in api.NO_GENERIC):
            label = "%s(%s)" % (name, ", ".join(describe(a) for a in args))
            compare(label, name, args, lambda w, a=args: run(w, reference(w, name), w.resolve(a), exact=exact),
                    found, opts.verbose)
            count += 1
            faulthandler.dump_traceback_later(30, repeat=True, exit=True)
    for name, kinds, base, pools, exact in api.METHODS:
        if opts.only and name != opts.only:
            continue
        for kind in api.SOCKET_KINDS + kinds:
            label = "%s.%s(%s)" % (kind, name, ", ".join(describe(a) for a in base))
            compare(label, name, base,
                    lambda w, k=kind: run(w, getattr(w.socket(k), name), w.resolve(base), exact=exact), found,
                    opts.verbose)
            count += 1
        for kind in kinds:
            for args in variants(base, pools):
                label = "%s.%s(%s)" % (kind, name, ", ".join(describe(a) for a in args))
                compare(label, name, args,
                        lambda w, a=args, k=kind: run(w, getattr(w.socket(k), name), w.resolve(a), exact=exact),
                        found, opts.verbose)
                count += 1
                faulthandler.dump_traceback_later(30, repeat=True, exit=True)
    print("%d calls compared, %d differ" % (count, len(found)))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
