"""Loading word vectors: this project's readers against gensim's, side by side (not a test; not in CI).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python tests/benchmarks/bench_vectors_load.py [--rows 400000] [--dim 300] [--dir DIR]

Builds a random ROWS x DIM file in word2vec text and binary (generated, reused from DIR on a later
run), then loads each with ``models.vectors.formats.read_vectors`` and with gensim's
``KeyedVectors.load_word2vec_format``, each in a fresh child process so that peak memory
(VmHWM after, less the resident size just before loading) belongs to that load alone. Prints seconds,
peak memory next to the size of the float32 matrix, and the ratios gensim / ours.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc (Linux). VmHWM, the peak resident size, starts
    afresh at exec; ru_maxrss would carry over the parent's peak into the child."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _peak_mb() -> float:
    return _status_mb("VmHWM")


def _current_mb() -> float:
    return _status_mb("VmRSS")


def child(loader: str, kind: str, path: str) -> None:
    """Load once and print one JSON line: seconds, peak memory above the pre-load size, a checksum."""
    if loader == "ours":
        from models.vectors.formats import read_vectors

        def load():
            v = read_vectors(path, "word2vec" if kind == "text" else "word2vec-binary")
            return v.words, v.matrix
    else:
        from gensim.models import KeyedVectors

        def load():
            kv = KeyedVectors.load_word2vec_format(path, binary=kind == "binary")
            return kv.index_to_key, kv.vectors
    before = _current_mb()
    t = time.perf_counter()
    words, matrix = load()
    seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb() - before, "rows": len(words),
                      "checksum": float(matrix[:: max(1, len(words) // 1000)].astype("float64").sum()),
                      "first": words[0], "last": words[-1]}))


def build(folder: Path, rows: int, dim: int) -> dict[str, Path]:
    import numpy as np

    from models.vectors.formats import write_vectors
    from models.vectors.store import WordVectors

    paths = {"text": folder / f"bench_{rows}x{dim}.txt", "binary": folder / f"bench_{rows}x{dim}.bin"}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(0)
    # Values with the spread of trained vectors; words of varied length, as in a real vocabulary.
    vectors = WordVectors([f"w{i}_{'x' * (i % 7)}" for i in range(rows)],
                          rng.normal(0, 0.3, size=(rows, dim)).astype(np.float32))
    for kind, path in paths.items():
        t = time.perf_counter()
        write_vectors(vectors, path, "word2vec" if kind == "text" else "word2vec-binary")
        print(f"wrote {path} ({path.stat().st_size / 2**20:,.0f} MB) in {time.perf_counter() - t:.1f} s", flush=True)
    return paths


def run(loader: str, kind: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", loader, kind, str(path)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{loader} {kind} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--child", nargs=3, metavar=("LOADER", "KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)
    paths = build(args.dir, args.rows, args.dim)
    matrix_mb = args.rows * args.dim * 4 / 2**20
    print(f"\n{args.rows:,} x {args.dim} float32 matrix = {matrix_mb:,.0f} MB")
    print(f"{'format':8} {'loader':7} {'seconds':>8} {'peak MB':>8} {'peak/matrix':>11}")
    for kind, path in paths.items():
        res = {loader: run(loader, kind, path) for loader in ("ours", "gensim")}
        assert res["ours"]["rows"] == res["gensim"]["rows"] == args.rows
        assert res["ours"]["first"] == res["gensim"]["first"] and res["ours"]["last"] == res["gensim"]["last"]
        assert abs(res["ours"]["checksum"] - res["gensim"]["checksum"]) < 1e-3 * max(1.0, abs(res["ours"]["checksum"]))
        for loader, r in res.items():
            print(f"{kind:8} {loader:7} {r['seconds']:8.2f} {r['peak_mb']:8.0f} {r['peak_mb'] / matrix_mb:11.2f}")
        print(f"{kind:8} gensim/ours: time x{res['gensim']['seconds'] / res['ours']['seconds']:.2f}, "
              f"peak memory x{res['gensim']['peak_mb'] / max(res['ours']['peak_mb'], 1):.2f}", flush=True)


if __name__ == "__main__":
    main()
