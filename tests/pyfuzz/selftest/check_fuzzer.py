"""The fuzzer's self-test: run against usocket with a defect put back (usocket_with_defect.py),
fuzz.py must exit 1, name the call that differs and print the shrunk sequence that shows it.
A fuzzer that cannot fail is not a test."""

import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
env = dict(os.environ)
env["PYTHONPATH"] = os.pathsep.join([here, env.get("PYTHONPATH", "")])
run = subprocess.run([sys.executable, os.path.join(here, "..", "fuzz.py"), "--module", "usocket_with_defect",
                      "--seconds", "60", "--seed", "1"], env=env, capture_output=True, text=True, timeout=600)
out = run.stdout + run.stderr
print(out[-3000:])
assert run.returncode == 1, run.returncode
assert "FAILED" in out and ".recv[0]" in out, "the defect was not reported"
assert "Falsifying example:" in out and "state.receive(name='recv', s=v1, size=0)" in out, "no shrunk sequence"
print("self-test: the fuzzer found the defect put in")
