"""Memory and time of one skip-gram epoch on a large corpus, ours beside gensim's (not a test; not in CI).

    nice .venv/bin/python tests/benchmarks/bench_corpus_memory.py --repeats 1 10

The corpus is the bundled one (5.2M tokens) repeated ``--repeats`` times, each copy's lines in a
new random order, written once as plain text into ``--work`` (10 repeats: 52M tokens, 314 MB).
Every system trains one epoch of skip-gram (dim 100, window 5, 5 negatives, min count 5,
subsampling 1e-3, ``--threads`` threads) from the text file to saved vectors, each in a process of
its own, one after the other, timed by the wall clock from start to exit, with its peak resident
memory as ``/usr/bin/time`` reports it (the kernel's ru_maxrss):

- ``ours``: ``python -m explorer train sgns --corpus FILE``, the corpus cache emptied first, so the
  text is read, counted and encoded as well as trained on;
- ``ours-cached``: the same again, the token files of the first run found in the cache;
- ``gensim``: gensim's Word2Vec in ``corpus_file`` mode (its C reader; the mode that streams);
- ``gensim-lines``: Word2Vec over ``LineSentence`` (``--systems`` adds it).

``--checkout DIR`` also runs ``ours`` from another checkout (an older commit), as ``DIR-name``.
Prints each run, then ours against gensim's corpus_file: time and peak memory ratios. Each run is
also appended to ``--work``/results.jsonl; ``--plot FILE.png`` draws how our time and peak memory
grow with the corpus from the runs kept there (log-scaled axes), and runs nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = ROOT / "assets" / "corpus" / "default.txt.gz"

GENSIM = """
import sys
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
path, threads, mode, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
source = {"corpus_file": path} if mode == "corpus_file" else {"sentences": LineSentence(path)}
model = Word2Vec(**source, vector_size=100, window=5, negative=5, hs=0, sg=1, min_count=5, sample=1e-3,
                 alpha=0.025, epochs=1, workers=threads, seed=1)
model.wv.save_word2vec_format(out, binary=True)
"""


MAKE = """
import gzip, os, sys
import numpy as np
from models.text.corpus import read_corpus
source, path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
if not os.path.exists(path):
    with gzip.open(source, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    rng = np.random.default_rng(repeats)
    with open(path + ".tmp", "wb") as out:
        for _ in range(repeats):
            for i in rng.permutation(len(lines)):
                out.write(lines[i])
    os.replace(path + ".tmp", path)
print(read_corpus(source).n_tokens * repeats)
"""


def make_corpus(work: Path, repeats: int) -> tuple[Path, int]:
    """The bundled corpus's lines repeated, each copy shuffled; (path, tokens), made once. Made in
    a process of its own: a child's peak memory counts the parent's peak (Linux keeps the high-water
    mark of the process image that exec replaces), so this one stays small."""
    path = work / f"corpus-x{repeats}.txt"
    out = subprocess.run([sys.executable, "-c", MAKE, str(DEFAULT_CORPUS), str(path), str(repeats)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return path, int(out.split()[-1])


def measure(cmd: list[str], env: dict, cwd: Path) -> dict:
    """Wall seconds and peak resident memory (bytes) of one child process, as /usr/bin/time reports it."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return {"seconds": seconds, "peak": int(proc.stderr.split()[-1]) * 1024}


def run(system: str, corpus: Path, args, work: Path) -> dict:
    # ``-m explorer`` puts the checkout it runs in first on the path; PYTHONPATH may name gensim's
    env = {**os.environ, "EMBEDDING_EXPLORER_CACHE": str(work / "cache")}
    out = work / f"out-{system}"
    if system.startswith("gensim"):
        mode = "corpus_file" if system == "gensim" else "lines"
        return measure([sys.executable, "-c", GENSIM, str(corpus), str(args.threads), mode, str(out)], env, ROOT)
    checkout = ROOT
    if system not in ("ours", "ours-cached"):
        checkout = Path(system.split("@", 1)[1])
    if system != "ours-cached":
        shutil.rmtree(work / "cache", ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    return measure([sys.executable, "-m", "explorer", "train", "sgns", "--corpus", str(corpus), "--epochs", "1",
                    "--window", "5", "--negative", "5", "--threads", str(args.threads), "--seed", "1",
                    "--out", str(out)], env, checkout)


def plot(results: Path, out: Path) -> None:
    """Seconds and peak memory of ``ours`` (empty cache) against tokens, from ``results``, as a PNG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg                       # deferred: only the plot needs Qt
    import pyqtgraph.exporters
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    latest = {r["tokens"]: r for r in rows if r["system"] == "ours"}        # the last run of each size
    tokens = sorted(latest)
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    layout = pg.GraphicsLayoutWidget(size=(900, 360))
    # Time on log-log axes (a straight line of slope 1 is linear growth); memory on a linear axis
    # from zero, so a flat line reads as flat.
    for col, (key, scale, label, log_y) in enumerate((("seconds", 1, "seconds (one epoch, from the text)", True),
                                                      ("peak", 1e-6, "peak resident memory (MB)", False))):
        values = [latest[n][key] * scale for n in tokens]
        chart = layout.addPlot(row=0, col=col)
        chart.setLogMode(x=True, y=log_y)
        if not log_y:
            chart.setYRange(0, 1.2 * max(values))
        chart.showGrid(x=True, y=True, alpha=0.3)
        chart.setLabel("bottom", "tokens")
        chart.setLabel("left", label)
        chart.plot(tokens, values, pen=pg.mkPen("#1f77b4", width=2), symbol="o", symbolBrush="#1f77b4")
    layout.show()
    app.processEvents()
    pg.exporters.ImageExporter(layout.scene()).export(str(out))
    print(f"wrote {out}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, nargs="+", default=[1, 10], help="copies of the bundled corpus")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--systems", nargs="+", default=["ours", "ours-cached", "gensim"],
                        choices=("ours", "ours-cached", "gensim", "gensim-lines"))
    parser.add_argument("--checkout", type=Path, action="append", default=[],
                        help="also run ours from this checkout (another commit)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-corpus-memory"))
    parser.add_argument("--plot", type=Path, help="draw the runs kept in the work folder into this PNG")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.plot:
        plot(args.work / "results.jsonl", args.plot)
        return 0
    systems = args.systems + [f"ours@{c.resolve()}" for c in args.checkout]
    print(f"{'tokens':>8} {'system':14} {'seconds':>8} {'Mwords/s':>9} {'peak MB':>8}")
    for repeats in args.repeats:
        corpus, tokens = make_corpus(args.work, repeats)
        rows = {}
        for system in systems:
            r = rows[system] = run(system, corpus, args, args.work)
            with open(args.work / "results.jsonl", "a") as kept:
                kept.write(json.dumps({"tokens": tokens, "system": system, **r}) + "\n")
            print(f"{tokens / 1e6:7.1f}M {system[:14]:14} {r['seconds']:8.1f} {tokens / r['seconds'] / 1e6:9.3f} "
                  f"{r['peak'] / 1e6:8.0f}", flush=True)
        if "gensim" in rows:
            theirs = rows["gensim"]
            for system, r in rows.items():
                if not system.startswith("gensim"):
                    print(f"{tokens / 1e6:7.1f}M {system[:14]:14} vs gensim corpus_file: speed x"
                          f"{theirs['seconds'] / r['seconds']:.2f}, peak memory x{r['peak'] / theirs['peak']:.2f}")
    shutil.rmtree(args.work / "cache", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
