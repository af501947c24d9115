"""Tests of the docs harness itself (doctest.py): a block that fails, throws or leaks a
descriptor must fail its test, fences are classified as the convention says, and the C++
program of a page carries #line directives back to the page."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DOCTEST = os.path.join(HERE, "doctest.py")

PAGE = '''# A page

```cpp
int x = 1;
assert(x == 1);
```

```cpp compile
#include <vector>
for (;;) {}
```

```cpp no-exceptions
int main() { return 0; }
```

```python
assert 1 + 1 == 2
```

```python
import socket
leaked = socket.socket()
```

```python
raise ValueError("boom")
```

```sh
not tested
```

  ```text
  not tested either
  ```
'''


def run(*args):
    return subprocess.run([sys.executable, DOCTEST, *args], capture_output=True, text=True)


@pytest.fixture
def page(tmp_path):
    p = tmp_path / "page.md"
    p.write_text(PAGE)
    return p


def test_extract_classifies_blocks(page, tmp_path):
    out = tmp_path / "out"
    r = run("extract", "--source-dir", str(tmp_path), "--out", str(out), str(page))
    assert r.returncode == 0, r.stderr
    cmake = (out / "blocks.cmake").read_text()
    assert 'usocket_doc_page("page.md"' in cmake and "3:run 8:compile" in cmake
    assert 'usocket_doc_program("page.md" 13 "no-exceptions"' in cmake
    assert cmake.count("usocket_doc_python(") == 3
    assert "set(usocket_doc_counts 2 1 3 0)" in cmake      # cpp run, cpp compile, py run, py compile
    program = (out / "page.cpp").read_text()
    assert f'#line 4 "{page}"' in program and "#include <vector>" in program
    assert "static void doc_block_L3()" in program and "{3, true, &doc_block_L3}" in program
    assert "{8, false, &doc_block_L8}" in program


def test_python_block_passes(page):
    r = run("run-python", str(page), "17")
    assert r.returncode == 0 and "ok" in r.stdout


def test_python_block_leaking_a_descriptor_fails(page):
    r = run("run-python", str(page), "21")
    assert r.returncode != 0 and "descriptor" in r.stderr


def test_python_block_raising_fails_naming_the_page_line(page):
    r = run("run-python", str(page), "26")
    assert r.returncode != 0 and f'File "{page}", line 27' in r.stderr and "boom" in r.stderr


def test_moved_block_is_reported(page):
    r = run("run-python", str(page), "18")
    assert r.returncode != 0 and "no ```python block starts here" in r.stderr


def test_unknown_mode_is_refused(tmp_path):
    p = tmp_path / "bad.md"
    p.write_text("```cpp sometimes\nint x;\n```\n")
    r = run("extract", "--source-dir", str(tmp_path), "--out", str(tmp_path / "o"), str(p))
    assert r.returncode != 0 and "unknown mode 'sometimes'" in r.stderr
