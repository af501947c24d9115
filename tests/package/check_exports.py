#!/usr/bin/env python3
"""Checks that a shared libusocket exports every function its public headers declare.

    check_exports.py LIBUSOCKET_SO INCLUDE_DIR [INCLUDE_DIR...]

Every installed header is read by clang (its JSON syntax tree: every declaration with the name the
linker sees), the library by nm -D. A function declared in include/usocket/ that is not inline,
not constexpr, not a template, not deleted and not defined in its class must be defined and
exported by the library; else a program that calls it fails to link against the shared
library (as address's operator== once did). Exits 1 listing what is missing.
"""

import json
import os
import subprocess
import sys

KINDS = {"FunctionDecl", "CXXMethodDecl", "CXXConstructorDecl", "CXXDestructorDecl", "CXXConversionDecl"}


def declarations(include_dirs):
    """(mangled name, readable name, file:line) of every out-of-line function of the headers."""
    args = ["clang++", "-std=c++20", "-fsyntax-only", "-x", "c++", "-", "-Xclang", "-ast-dump=json",
            "-Xclang", "-ast-dump-filter=usocket"]
    for d in include_dirs:
        args += ["-I", d]
    headers = sorted({h for d in include_dirs if os.path.isdir(os.path.join(d, "usocket"))
                      for h in os.listdir(os.path.join(d, "usocket")) if h.endswith(".hpp")})
    source = "".join("#include <usocket/%s>\n" % h for h in headers)
    text = subprocess.run(args, input=source, capture_output=True, text=True, check=True).stdout
    decoder = json.JSONDecoder()
    found = {}
    pos = 0
    current_file = [""]

    def walk(node, in_template):
        loc = node.get("loc", {})
        if "file" in loc:
            current_file[0] = loc["file"]
        kind = node.get("kind")
        if kind in ("FunctionTemplateDecl", "ClassTemplateDecl", "ClassTemplatePartialSpecializationDecl"):
            in_template = True
        if (kind in KINDS and not in_template and "/usocket/" in current_file[0]
                and not node.get("inline") and not node.get("constexpr")
                and not node.get("explicitlyDeleted") and not node.get("explicitlyDefaulted")
                and not node.get("isImplicit")
                and not any(c.get("kind") == "CompoundStmt" for c in node.get("inner", []))
                and "mangledName" in node):
            where = "%s:%s" % (os.path.basename(current_file[0]), loc.get("line", "?"))
            found[node["mangledName"]] = (node.get("name", "?"), where)
        for child in node.get("inner", []):
            if isinstance(child, dict):
                walk(child, in_template)

    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            break
        node, pos = decoder.raw_decode(text, pos)
        walk(node, False)
    return found


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    library, include_dirs = sys.argv[1], sys.argv[2:]
    declared = declarations(include_dirs)
    symbols = exported(library)
    missing = {m: v for m, v in declared.items() if m not in symbols}
    # A definition in the library may carry an ABI tag the declaration lacks (std::string
    # results: [abi:cxx11]); accept the tagged spelling of the same function.
    missing = {m: v for m, v in missing.items()
               if not any(s.startswith(m[:len(m) // 2]) and "B5cxx11" in s and s.replace("B5cxx11", "") == m
                          for s in symbols)}
    print("check_exports: %d functions declared in the public headers, %d exported by %s"
          % (len(declared), len(declared) - len(missing), os.path.basename(library)))
    if declared == {}:
        print("check_exports: found no declaration at all: the check itself is broken")
        return 1
    for mangled, (name, where) in sorted(missing.items(), key=lambda kv: kv[1][1]):
        print("  NOT EXPORTED: %s (%s) %s" % (name, where, mangled))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
