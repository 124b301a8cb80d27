"""The fault-injection soak: `python -m bench.fault_soak [--minutes 10] [--rate 6] [--broker tansu|apache]`.

The suite of tests/integration/faults/test_fault_suite.py (tests/support/fault_suite.py: a steady load
of email, SMS and inbox events, one transaction in seven rolled back, while relays' and consumers'
database connections are terminated, the broker connection is cut, relays and consumers are SIGKILLed
and restarted, consumers join and leave, and the providers fail or hang), run for minutes instead of
one, on the same real services as the tests. It prints the suite's counts: faults of each kind,
events, duplicates (and those a SIGKILL explains), losses, disagreements; the README has a run's.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load runs (default 10)")
    parser.add_argument("--rate", type=float, default=6.0, help="transactions per second (default 6)")
    parser.add_argument("--broker", choices=("tansu", "apache"), default="tansu")
    args = parser.parse_args()
    seconds = args.minutes * 60
    env = {**os.environ, "FAULT_SUITE_SECONDS": str(seconds), "FAULT_SUITE_RATE": str(args.rate),
           "CHESANTO_TEST_BROKER": args.broker}
    command = [sys.executable, "-m", "pytest", "tests/integration/faults/test_fault_suite.py", "-s", "-q",
               "-p", "no:cacheprovider", f"--timeout={int(seconds * 2 + 900)}"]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
