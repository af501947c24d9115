"""The PEP 517 build backend of pyproject.toml: setuptools.build_meta (with setup.py's CMake
build_ext), able to build a wheel offline in a venv that has no `wheel` package.

A venv made by Debian's python3-venv holds pip and setuptools only (the wheels Debian ships),
and setuptools before 70.1 needs the `wheel` package for bdist_wheel. With no build isolation
(PyPI cannot be reached), that package is taken from Debian's python3-wheel when the venv has
none: its directory is appended to sys.path, after the venv's own, so nothing else of the system
installation shadows the venv's packages.
"""

import sys

try:
    import wheel  # noqa: F401
except ImportError:
    import glob
    import os

    for candidate in glob.glob("/usr/lib/python3/dist-packages/wheel/__init__.py"):
        sys.path.append(os.path.dirname(os.path.dirname(candidate)))

from setuptools.build_meta import *  # noqa: F401,F403,E402
from setuptools.build_meta import __all__  # noqa: F401,E402
