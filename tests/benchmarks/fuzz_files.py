"""The long run of the file fuzzer (not a test; CI runs 75 files a format in tests/models/core/test_file_fuzz.py):

    .venv/bin/python tests/benchmarks/fuzz_files.py --per-format 1000

Damages ``--per-format`` files of every format the app reads (corpus text and gzip, word2vec text
and binary, GloVe, fastText .vec, projector TSV, .npy, WAV, FLAC, Ogg, model folders, session
files), reads each in a child process the ways the app reads it with a 10 s hang limit, and prints
a Markdown table per format (files refused, accepted and valid, crashes, hangs, silent accepts,
bad errors, slowest read), the same for the files that had each kind of hostile edit (a file of the
set made a FIFO, a device link, a folder or a link loop; repeated zip members; huge counts; wrong
JSON types), the wall time, and every failure with the edits that made its file.
Exit code 1 if there was any failure.
``--keep DIR`` copies the failing files there; ``--seed`` picks another set of damaged files.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.hostile import tally  # noqa: E402
from tests.fuzz.runner import FAILURES, HANG_SECONDS, table, timed_fuzz  # noqa: E402
from tests.fuzz.seeds import FORMATS  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-format", type=int, default=1000)
    ap.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--hang-seconds", type=float, default=HANG_SECONDS)
    ap.add_argument("--keep", type=Path, help="copy every failing file into this folder")
    args = ap.parse_args()
    results, wall = timed_fuzz(formats=args.formats, per_format=args.per_format, seed=args.seed,
                               workers=args.workers, hang_seconds=args.hang_seconds, keep=args.keep)
    print(table(results))
    print("\nFiles that had one of the hostile edits (tests/fuzz/hostile.py), by edit:\n")
    print(tally(results))
    print(f"\n{len(results):,} files in {wall:.0f} s wall time ({args.workers} worker processes, seed {args.seed})")
    failures = [r for r in results if r.kind in FAILURES]
    for r in failures:
        print(r)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
