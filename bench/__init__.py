"""Benchmarks of the bookshop deployment: each figure against its floor or reference, measured in one run.

Run `python -m bench` from the repository root (`make bench`); see bench/README.md. The stack is
driven through the test suites' own harness (tests/support/stack.py), so tests and benchmarks
start, query and stop the deployment with the same code.
"""

import sys
from pathlib import Path

TESTS = str(Path(__file__).resolve().parents[1] / "tests")
if TESTS not in sys.path:
    sys.path.append(TESTS)
