#!/usr/bin/env python3
"""The documentation's code blocks as tests (docs/README.md, "How the examples are tested").

    doctest.py extract --source-dir DIR --out DIR PAGE.md...
        Writes the C++ blocks of every page as sources under --out and a CMake file
        (blocks.cmake) that tests/docs/CMakeLists.txt includes to build and register them.
    doctest.py run-python PAGE.md LINE
        Runs the Python block whose opening fence is on LINE of PAGE.md (read now, so the text
        tested is the text on disk), with the helpers of doc_helpers.py as `doc`.

Fences: ```cpp (also c++, cxx) and ```python (also py, python3) are tested; any other language
(sh, text, cmake...) is not. Words after the language choose how:
    ```cpp            run: a body (wrapped in a function of the page's program, after the
                      prelude tests/docs/prelude.hpp), or a whole program when it has `int main`
    ```cpp compile    compiled and linked, not run (a program that needs a server the reader
                      runs, or an endless event loop)
    ```cpp no-exceptions  a whole program, compiled with -fno-exceptions and run
    ```cpp fmt        a whole program using {fmt}: linked with it and run where it is installed
                      (libfmt-dev; CI installs it)
    ```cpp std-format a whole program using std::format: built and run where the standard
                      library has <format> (not GCC 12's; .ci/extra/libcxx.sh builds these
                      with clang and libc++, taking them from `doctest.py programs`)
    ```python         run in a fresh interpreter
    ```python compile byte-compiled only

    doctest.py programs --mode MODE --out DIR PAGE.md...
        Writes the whole programs of one mode (std-format) as sources under --out and prints
        their paths, for a build with another compiler.
"""

import os
import re
import sys

CPP_LANGS = {"cpp", "c++", "cxx"}
PY_LANGS = {"python", "py", "python3"}
MODES = {"", "compile", "no-exceptions", "fmt", "std-format"}
PROGRAM_MODES = {"no-exceptions", "fmt", "std-format"}  # whole programs only

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*([^`]*?)\s*$")


class Block:
    def __init__(self, page, line, lang, mode, code):
        self.page = page      # path as given (absolute)
        self.line = line      # line of the opening fence, 1-based
        self.lang = lang      # "cpp" or "python"
        self.mode = mode      # "" (run) or "compile"
        self.code = code      # the lines inside the fence, indentation of the fence removed

    @property
    def first_code_line(self):
        return self.line + 1


def parse(page):
    """Every fenced block of a Markdown file: (line, language word, extra words, code lines)."""
    with open(page, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group(1))
        fence = m.group(2)
        lang = m.group(3).lower()
        extra = m.group(4).strip()
        start = i
        code = []
        i += 1
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(fence[0] * len(fence)) and stripped.strip(fence[0]) == "":
                break
            text = lines[i]
            # Drop the fence's indentation (a block inside a list item).
            code.append(text[indent:] if text[:indent].strip() == "" else text.lstrip())
            i += 1
        blocks.append((start + 1, lang, extra, code))
        i += 1
    return blocks


def tested_blocks(page):
    out = []
    for line, lang, extra, code in parse(page):
        if lang in CPP_LANGS:
            kind = "cpp"
        elif lang in PY_LANGS:
            kind = "python"
        else:
            continue
        mode = extra.split()[0] if extra else ""
        if mode not in MODES:
            raise SystemExit(f"{page}:{line}: unknown mode '{mode}' after ```{lang} "
                             f"(known: run by default, or 'compile')")
        block = Block(page, line, kind, mode, code)
        if mode in PROGRAM_MODES and (kind != "cpp" or not is_program(block)):
            raise SystemExit(f"{page}:{line}: '{mode}' is for a whole C++ program (with int main)")
        out.append(block)
    return out


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def is_program(block):
    return any(re.search(r"\bint\s+main\s*\(", l) for l in block.code)


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def ident(rel):
    return re.sub(r"[^A-Za-z0-9]", "_", rel[:-3] if rel.endswith(".md") else rel)


def cmake_quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def extract(source_dir, out_dir, pages):
    os.makedirs(out_dir, exist_ok=True)
    cmake = ["# Generated by tests/docs/doctest.py from the documentation pages; do not edit."]
    counts = {"cpp_run": 0, "cpp_compile": 0, "py_run": 0, "py_compile": 0}
    for page in pages:
        page = os.path.abspath(page)
        rel = os.path.relpath(page, source_dir)
        blocks = tested_blocks(page)
        bodies = []
        for b in blocks:
            if b.lang == "python":
                counts["py_compile" if b.mode else "py_run"] += 1
                cmake.append(f"usocket_doc_python({cmake_quote(rel)} {b.line} {cmake_quote(b.mode or 'run')})")
                continue
            counts["cpp_compile" if b.mode == "compile" else "cpp_run"] += 1
            if is_program(b):
                # A whole program is compiled as the reader would copy it: nothing added.
                src = os.path.join(out_dir, f"{ident(rel)}_L{b.line}.cpp")
                text = f"#line {b.first_code_line} {c_string(page)}\n" + "\n".join(b.code) + "\n"
                write_if_changed(src, text)
                cmake.append(f"usocket_doc_program({cmake_quote(rel)} {b.line} {cmake_quote(b.mode or 'run')} "
                             f"{cmake_quote(src)})")
            else:
                bodies.append(b)
        if not bodies:
            continue
        # One program per page: each body becomes a function, main() runs the one asked for.
        parts = ["// Generated by tests/docs/doctest.py from " + rel + "; do not edit.",
                 '#include "prelude.hpp"']
        for b in bodies:
            # Includes a body shows go to the top of the file, where they belong.
            for l in b.code:
                if l.lstrip().startswith("#include"):
                    parts.append(f"#line {b.first_code_line + b.code.index(l)} {c_string(page)}")
                    parts.append(l.strip())
        for b in bodies:
            parts.append(f"static void doc_block_L{b.line}() {{")
            parts.append(f"#line {b.first_code_line} {c_string(page)}")
            parts.extend("" if l.lstrip().startswith("#include") else l for l in b.code)
            parts.append("}")
        parts.append("int main(int argc, char** argv) {")
        parts.append("    static const doc::block blocks[] = {")
        for b in bodies:
            parts.append(f"        {{{b.line}, {str(b.mode == '').lower()}, &doc_block_L{b.line}}},")
        parts.append("    };")
        parts.append(f"    return doc::run_blocks(argc, argv, {c_string(rel)}, blocks);")
        parts.append("}")
        src = os.path.join(out_dir, f"{ident(rel)}.cpp")
        write_if_changed(src, "\n".join(parts) + "\n")
        lines = " ".join(f"{b.line}:{b.mode or 'run'}" for b in bodies)
        cmake.append(f"usocket_doc_page({cmake_quote(rel)} {cmake_quote(src)} {lines})")
    cmake.append(f"set(usocket_doc_counts {counts['cpp_run']} {counts['cpp_compile']} "
                 f"{counts['py_run']} {counts['py_compile']})")
    write_if_changed(os.path.join(out_dir, "blocks.cmake"), "\n".join(cmake) + "\n")


def programs(source_dir, out_dir, mode, pages):
    os.makedirs(out_dir, exist_ok=True)
    for page in pages:
        page = os.path.abspath(page)
        rel = os.path.relpath(page, source_dir)
        for b in tested_blocks(page):
            if b.lang == "cpp" and b.mode == mode:
                src = os.path.join(out_dir, f"{ident(rel)}_L{b.line}.cpp")
                write_if_changed(src, f"#line {b.first_code_line} {c_string(page)}\n" + "\n".join(b.code) + "\n")
                print(src)


def run_python(page, line, mode):
    for b in tested_blocks(page):
        if b.line == line and b.lang == "python":
            break
    else:
        raise SystemExit(f"{page}:{line}: no ```python block starts here any more "
                         f"(the page changed: re-run cmake)")
    # Blank lines first, so that a traceback names the page and the line in it.
    source = "\n" * (b.first_code_line - 1) + "\n".join(b.code) + "\n"
    code = compile(source, page, "exec")
    if mode == "compile":
        print(f"{page}:{line}: compiled (not run)")
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import doc_helpers
    import gc
    before = doc_helpers.open_descriptors()
    scope = {"__name__": "__main__", "doc": doc_helpers}
    exec(code, scope)
    # Measured while the block's names still exist: a socket left to the garbage collector
    # counts as left open (collecting it would close it quietly).
    gc.collect()
    leaked = doc_helpers.open_descriptors() - before
    del scope
    if leaked:
        raise SystemExit(f"{page}:{line}: the example left {len(leaked)} descriptor(s) open: "
                         f"close its sockets (or use `with`)")
    print(f"{page}:{line}: ok")


def main(argv):
    if len(argv) >= 2 and argv[1] in ("extract", "programs"):
        args = argv[2:]
        source_dir, out_dir, mode = os.getcwd(), None, None
        pages = []
        while args:
            a = args.pop(0)
            if a == "--source-dir":
                source_dir = args.pop(0)
            elif a == "--out":
                out_dir = args.pop(0)
            elif a == "--mode":
                mode = args.pop(0)
            else:
                pages.append(a)
        if out_dir is None or (argv[1] == "programs" and mode not in PROGRAM_MODES):
            print(__doc__, file=sys.stderr)
            return 2
        if argv[1] == "extract":
            extract(source_dir, out_dir, pages)
        else:
            programs(source_dir, out_dir, mode, pages)
        return 0
    if len(argv) in (4, 5) and argv[1] == "run-python":
        run_python(os.path.abspath(argv[2]), int(argv[3]), argv[4] if len(argv) == 5 else "run")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
