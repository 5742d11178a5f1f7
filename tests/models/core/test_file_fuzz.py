"""A short run of the file fuzzer (tests/fuzz) over every format the app reads; the long run is
tests/benchmarks/fuzz_files.py. Each damaged file is read in a child process the ways the app
reads it, and must be refused with the app's own error and a readable message, or loaded whole."""
import os
import resource
import threading
import time
from collections import Counter

from tests.fuzz.runner import FAILURES, fuzz, table
from tests.fuzz.seeds import FORMATS, seeds
from tests.fuzz.targets import Outcome, check

PER_FORMAT = 75     # 900 files: about 22 s on two busy cores


def test_every_undamaged_seed_is_loaded_whole(tmp_path):
    """A reader that refuses good files passes every check on damaged ones: FLAC files were all
    refused as damaged headers (they hold fewer bytes than their samples would uncompressed)."""
    for fmt in FORMATS:
        for i, seed in enumerate(seeds(fmt)):
            folder = tmp_path / fmt / str(i)
            folder.mkdir(parents=True)
            for name, data in seed.files.items():
                (folder / name).write_bytes(data)
            out = check(fmt, str(folder), seed.main)
            assert out.kind == "valid", (fmt, seed.label, out.detail)


def test_damaged_files_of_every_format_are_refused_clearly_or_loaded_whole():
    results = fuzz(FORMATS, PER_FORMAT, seed=int(os.environ.get("FUZZ_SEED", "0")))
    failures = [str(r) for r in results if r.kind in FAILURES]
    assert len(results) == PER_FORMAT * len(FORMATS)
    assert not failures, table(results) + "\n" + "\n".join(failures[:20])
    # Both endings occur for every format: a fuzzer whose damage always makes junk, or a harness
    # that never gets a file loaded, would pass the line above without testing anything.
    for fmt in FORMATS:
        kinds = Counter(r.kind for r in results if r.fmt == fmt)
        assert kinds["refused"] >= 5 and kinds["valid"] >= 5, (fmt, kinds)


# --- the harness itself: a crash or a hang is caught, pinned on its file, and the pool goes on ------
def misbehaving_check(fmt: str, folder: str, main: str) -> Outcome:
    """Stands in for the app's readers: file 0 kills its process, file 1 hangs, file 2 is accepted
    broken, file 3 reads fine (in a worker started after the two above died)."""
    index = int(os.path.basename(folder))
    if index == 0:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))     # a crash on purpose leaves no core file
        os.abort()
    if index == 1:
        threading.Event().wait()        # a reader that never returns: the pool must kill it
    if index == 2:
        return Outcome("silent", "NaN values", 0.001)
    return Outcome("valid", "", 0.001)


def test_the_harness_pins_a_crash_and_a_hang_on_their_files_and_recovers():
    t0 = time.perf_counter()
    results = fuzz(["glove"], 4, workers=1, hang_seconds=2.0, check=misbehaving_check, initializer=None)
    assert [r.kind for r in results] == ["crash", "hang", "silent", "valid"]
    assert "SIGABRT" in results[0].detail and results[1].seconds == 2.0
    assert time.perf_counter() - t0 < 30           # the hung worker was killed, not waited for
    assert "| glove | 4 | 0 | 1 | 1 | 1 | 1 | 0 |" in table(results)
