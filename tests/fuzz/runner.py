"""Damaged files read in child processes with a hang limit, and the per-format tally.

A pebble ``ProcessPool`` runs :func:`tests.fuzz.targets.check` once per file. Each task has its
own timeout: a read that runs past it is a hang, and pebble kills that worker and starts another;
a worker that dies (a segfault, an abort, the kernel's OOM killer) fails only the task it held,
as a crash with its exit code. Workers read many files each, so a run does not pay an interpreter
start per file. Workers are spawned, not forked: the parent may hold Qt and Torch threads.

File ``i`` of a format is rebuilt from ``random.Random(f"{seed}/{fmt}/{i}")``, so a run, or any
single file of it, is reproduced by its seed (the corpus seeds are the bundled corpus's first
lines, so those follow that file).
"""
from __future__ import annotations

import multiprocessing
import random
import shutil
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

from tests.fuzz import targets
from tests.fuzz.hostile import materialize
from tests.fuzz.mutators import damage
from tests.fuzz.seeds import FORMATS, seeds

HANG_SECONDS = 10.0
KINDS = ("refused", "valid", "crash", "hang", "silent", "bad-error")
FAILURES = ("crash", "hang", "silent", "bad-error")


@dataclass(frozen=True)
class FileResult:
    fmt: str
    index: int
    kind: str                  # one of KINDS
    detail: str
    seconds: float
    edits: tuple[str, ...]     # the seed it came from, then each edit

    def __str__(self) -> str:
        return f"{self.fmt} #{self.index} {self.kind}: {self.detail} [{'; '.join(self.edits)}]"


def damaged_files(fmt: str, count: int, seed: int = 0):
    """``(index, files, main, edits)`` for ``count`` damaged files of ``fmt``, seeds taken in turn."""
    pool = seeds(fmt)
    for i in range(count):
        base = pool[i % len(pool)]
        files, edits = damage(fmt, base.files, base.main, random.Random(f"{seed}/{fmt}/{i}"))
        yield i, files, base.main, (base.label, *edits)


def fuzz(formats=FORMATS, per_format: int = 100, seed: int = 0, workers: int = 2,
         hang_seconds: float = HANG_SECONDS, keep: Path | None = None,
         check=targets.check, initializer=targets.prepare) -> list[FileResult]:
    """Damage ``per_format`` files of each format and read each in a child process.

    ``keep``: a folder where every file that crashed, hung, was accepted broken or gave a bad
    error is copied, under ``FORMAT/INDEX``, to be looked at. ``check`` and ``initializer`` run in
    the children (importable top-level functions); the defaults read through the app."""
    results: list[FileResult] = []
    pool = ProcessPool(max_workers=workers, context=multiprocessing.get_context("spawn"),
                       initializer=initializer)
    try:
        with tempfile.TemporaryDirectory(prefix="fuzz-files-") as tmp:
            for fmt in formats:
                pending = []
                for i, files, main, edits in damaged_files(fmt, per_format, seed):
                    folder = Path(tmp) / fmt / f"{i:05d}"
                    folder.mkdir(parents=True)
                    for name, data in files.items():
                        materialize(folder / name, data)
                    future = pool.schedule(check, args=(fmt, str(folder), main), timeout=hang_seconds)
                    pending.append((i, edits, folder, future))
                for i, edits, folder, future in pending:
                    result = _collect(fmt, i, edits, future, hang_seconds)
                    if keep is not None and result.kind in FAILURES:
                        # links are kept as links; a FIFO is not copied (reading it would wait)
                        shutil.copytree(folder, Path(keep) / fmt / f"{i:05d}", dirs_exist_ok=True, symlinks=True,
                                        ignore=lambda d, names: [n for n in names if (Path(d) / n).is_fifo()])
                    shutil.rmtree(folder)
                    results.append(result)
    finally:
        pool.close()
        pool.join()
    return results


def _collect(fmt: str, i: int, edits, future, hang_seconds: float) -> FileResult:
    try:
        out = future.result()
    except TimeoutError:
        return FileResult(fmt, i, "hang", f"still reading after {hang_seconds:g} s", hang_seconds, edits)
    except ProcessExpired as e:
        how = f"killed by {signal.Signals(-e.exitcode).name}" if e.exitcode < 0 else f"exit code {e.exitcode}"
        return FileResult(fmt, i, "crash", f"the reading process died ({how})", 0.0, edits)
    return FileResult(fmt, i, out.kind, out.detail, out.seconds, edits)


def table(results: list[FileResult]) -> str:
    """A Markdown table, a row per format: files, each ending, and the slowest read."""
    head = ("| format | files | refused | accepted, valid | crashes | hangs | silent accepts | bad errors "
            "| slowest read |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = [head]
    for fmt in dict.fromkeys(r.fmt for r in results):
        mine = [r for r in results if r.fmt == fmt]
        n = Counter(r.kind for r in mine)
        slowest = max(r.seconds for r in mine)
        rows.append(f"| {fmt} | {len(mine):,} | {n['refused']:,} | {n['valid']:,} | {n['crash']} | {n['hang']} "
                    f"| {n['silent']} | {n['bad-error']} | {slowest * 1000:,.0f} ms |")
    return "\n".join(rows)


def timed_fuzz(**kwargs) -> tuple[list[FileResult], float]:
    t0 = time.perf_counter()
    results = fuzz(**kwargs)
    return results, time.perf_counter() - t0
