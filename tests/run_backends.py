"""Run the test suite once per Keras backend, each in its own process.

    python tests/run_backends.py                 # tensorflow, jax, torch, then a numpy leg
    python tests/run_backends.py --backends jax  # one backend
    python tests/run_backends.py -- -k writes    # extra arguments go to pytest

A backend whose framework is missing fails (its guard test cannot import it),
and a leg that skips any test fails too: nothing is skipped silently. The
numpy leg deselects tests marked `trains`, since Keras's NumPy backend is
inference-only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEGS = {
    "tensorflow": [],
    "jax": [],
    "torch": [],
    "numpy": ["-m", "not trains"],
}


def counts(output: str) -> dict[str, int]:
    """Numbers from pytest's closing line, e.g. '12 passed, 1 failed in 3.2s'."""
    pattern = r"(\d+) (passed|failed|skipped|errors?)"
    closing = [line for line in output.splitlines() if re.search(pattern, line)]
    found = dict.fromkeys(("passed", "failed", "skipped", "errors"), 0)
    if closing:
        for number, word in re.findall(pattern, closing[-1]):
            found["errors" if word.startswith("error") else word] += int(number)
    return found


def run_leg(backend: str, extra: list[str]) -> tuple[int, dict[str, int], float]:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    command = [sys.executable, "-m", "pytest", "tests", "-q", "-rs", "-p", "no:warnings",
               "-W", "error::pytest.PytestUnknownMarkWarning", *LEGS[backend], *extra]
    print(f"\n=== KERAS_BACKEND={backend}: {' '.join(command[1:])}", flush=True)
    start = time.monotonic()
    process = subprocess.run(command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    print(process.stdout, end="", flush=True)
    return process.returncode, counts(process.stdout), time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(LEGS),
                        help=f"comma-separated, from {', '.join(LEGS)} (default: all)")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = sorted(set(backends) - set(LEGS))
    if unknown:
        parser.error(f"unknown backend(s) {unknown}; choose from {list(LEGS)}")

    results = {backend: run_leg(backend, args.pytest_args) for backend in backends}
    print("\n=== summary")
    total = dict.fromkeys(("passed", "failed", "skipped", "errors"), 0)
    ok = True
    for backend, (code, found, seconds) in results.items():
        for key in total:
            total[key] += found[key]
        leg_ok = code == 0 and found["passed"] > 0 and found["skipped"] == 0
        ok &= leg_ok
        print(f"{backend:>10}: {found['passed']} passed, {found['failed']} failed, "
              f"{found['skipped']} skipped, {found['errors']} errors, exit {code}, {seconds:.0f}s"
              f"{'' if leg_ok else '  <-- FAILED'}")
    failed = total["failed"] + total["errors"]
    if not ok and failed == 0:
        failed = 1  # a leg crashed, skipped a test or ran none: a failure too
    print(f"total: {total['passed']} passed, {failed} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
