"""The Python module usocket as a wheel: setuptools with a build_ext that runs CMake.

CMake builds the extension usocket._usocket and the C++ library under it (static) in the
build_ext's own build directory, with the interpreter that runs this build. The Python part is
every .py and .pyi under python/usocket/ (subpackages with an __init__.py included) and every
top-level module python/*.py with its python/*.pyi (ussl); the package's stubs
python/usocket.pyi become usocket/__init__.pyi, with a py.typed marker.
Environment: CMAKE_BUILD_PARALLEL_LEVEL (default 2), USOCKET_CMAKE_ARGS (more -D options).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(usocket\s+VERSION\s+([0-9.]+)", text).group(1)


class CMakeExtension(Extension):
    """An extension whose sources CMake knows: `target` built, its one output copied."""

    def __init__(self, name, target):
        super().__init__(name, sources=[])
        self.target = target


class cmake_build_ext(build_ext):
    def build_extension(self, ext):
        build_dir = Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=" + ("Debug" if self.debug else "Release"),
            "-DPython3_EXECUTABLE=" + sys.executable,
            "-DUSOCKET_BUILD_PYTHON=ON", "-DUSOCKET_BUILD_TESTS=OFF", "-DUSOCKET_BUILD_EXAMPLES=OFF",
            "-DUSOCKET_BUILD_TOOLS=OFF", "-DUSOCKET_BUILD_BENCH=OFF", "-DUSOCKET_INSTALL=OFF",
        ] + shlex.split(os.environ.get("USOCKET_CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.run(["cmake", "--build", str(build_dir), "--target", ext.target, "-j", jobs], check=True)
        built = sorted((build_dir / "python" / "usocket").glob("_usocket*" + Path(self.get_ext_filename("x")).suffix))
        if len(built) != 1:
            raise RuntimeError("CMake built %d extension files, expected one: %s" % (len(built), built))
        dest = Path(self.get_ext_fullpath(ext.name))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], dest)


class build_py_with_stubs(build_py):
    """The Python files, then the package's stubs as usocket/__init__.pyi, py.typed, and the
    top-level modules' stubs beside them."""

    def run(self):
        super().run()
        package = Path(self.build_lib) / "usocket"
        package.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "python" / "usocket.pyi", package / "__init__.pyi")
        (package / "py.typed").write_text("")
        for stub in (ROOT / "python").glob("*.pyi"):
            if stub.name != "usocket.pyi":
                shutil.copyfile(stub, Path(self.build_lib) / stub.name)


setup(
    version=project_version(),
    package_dir={"": "python"},
    packages=find_packages("python", include=["usocket", "usocket.*"]),
    py_modules=sorted(p.stem for p in (ROOT / "python").glob("*.py")),
    package_data={"": ["*.pyi"]},
    include_package_data=False,
    ext_modules=[CMakeExtension("usocket._usocket", target="usocket_python")],
    cmdclass={"build_ext": cmake_build_ext, "build_py": build_py_with_stubs},
    # setuptools' own build directory beside CMake's usual ones (build*/ is ignored by git),
    # not inside build/, which scripts/test.sh uses.
    options={"build": {"build_base": "build-python-wheel"}},
    zip_safe=False,
)
