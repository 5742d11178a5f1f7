"""Every hand-made hostile case (tests/hostile/cases.py) at full size, each in its own process:

    .venv/bin/python tests/benchmarks/hostile_files.py [--rules reading session] [--small]

The command runs as a user would run it (``python -m explorer ...``; sessions through
``python -m tests.hostile.session_opener``), with a wall-clock limit, and is judged as the tests judge
it (one ``error:`` line naming the file, exit code 2, no traceback, results escaped, nothing written
outside --out, nothing half-replaced), plus its peak memory, which must stay under 2 GiB. The
``big`` cases make their files at the real ceilings: a line past 16 MiB, ten hours of audio. Prints a table per rule: cases tried, failures, slowest, most memory;
then every failure. Exit code 1 if there was any.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.hostile.cases import CASES, RULES, Stage, judge  # noqa: E402

LIMIT_SECONDS = 60          # interpreter and Torch start-up included; a FIFO read would block for ever
MEMORY_LIMIT = 2 << 30      # peak resident memory of a refused file's process


def run_child(argv: list[str]) -> tuple[int, str, str, float, int]:
    """(exit code, stdout, stderr, seconds, peak resident bytes); exit code -9 if it ran past the limit."""
    module = ["-m", "tests.hostile.session_opener", argv[1]] if argv[0] == "session" else ["-m", "explorer", *argv]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen([sys.executable, *module], cwd=ROOT, env=env, stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL)
        timer = threading.Timer(LIMIT_SECONDS, child.kill)
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)      # this child's own peak memory, unlike Popen.wait
        timer.cancel()
        child.returncode = code = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return code, out.read().decode(errors="replace"), err.read().decode(errors="replace"), seconds, \
            usage.ru_maxrss * 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rules", nargs="+", choices=RULES, default=list(RULES))
    ap.add_argument("--small", action="store_true", help="skip the cases that make gigabyte files")
    args = ap.parse_args()
    tally = defaultdict(lambda: {"cases": 0, "failures": 0, "slowest": 0.0, "memory": 0})
    failures = []
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        stage = Stage(Path(tmp), big=True)
        for case in CASES:
            if case.rule not in args.rules or (args.small and case.big):
                continue
            run = case.build(stage)
            code, out, err, seconds, peak = run_child(run.argv)
            problems = judge(run, code, out, err)
            if code == -9:
                problems.append(f"still running after {LIMIT_SECONDS} s")
            if peak > MEMORY_LIMIT:
                problems.append(f"peak memory {peak / 2**30:.1f} GiB")
            row = tally[case.rule]
            row["cases"] += 1
            row["failures"] += bool(problems)
            row["slowest"] = max(row["slowest"], seconds)
            row["memory"] = max(row["memory"], peak)
            if problems:
                failures.append(f"{case.rule}: {case.name}: {'; '.join(problems)}")
            print(f"{'FAIL' if problems else 'ok  '} {case.rule}: {case.name} ({seconds:.1f} s, "
                  f"{peak / 2**20:,.0f} MiB)", file=sys.stderr, flush=True)
    print("| rule | cases tried | failures | slowest (with start-up) | most memory |\n| --- | ---: | ---: | ---: | ---: |")
    for rule in RULES:
        if rule in tally:
            t = tally[rule]
            print(f"| {rule} | {t['cases']} | {t['failures']} | {t['slowest']:.1f} s | {t['memory'] / 2**20:,.0f} MiB |")
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
