"""Our FastText against gensim's, side by side in one run (not a test; not in CI).

    .venv/bin/python tests/benchmarks/bench_fasttext.py [--lines N] [--epochs N] [--threads N] [--reps N]

Both train on the same tokenised sentences (the first ``--lines`` lines of the bundled corpus) with
the same settings: dim 100, window 5, 5 negatives, n-grams of 3 to 6 characters, 200,000 buckets,
min count 5, subsampling 1e-4, learning rate 0.05, the same epochs and threads. Both are scored by
the same code (models.vectors.evaluation): questions-words analogies and WordSim353 Spearman.

Held-out words: a set of inflected words (a stem plus -s, -ed or -ing, both common in the corpus)
is chosen and every sentence containing one of them is removed before training, so neither system
ever sees them. Each system then builds their vectors from character n-grams, and we measure how
close each held-out word lands to its stem (cosine, and whether the stem is among its 10 nearest
vocabulary words), against the cosine to random vocabulary words as the floor.

On a shared machine the seconds drift with the load of other processes. ``--reps N`` trains both
systems N times, alternating, and reports the median of the per-repetition speed ratios (wall
clock, and CPU time, which the load disturbs less) with the quality figures averaged over the
repetitions (with several threads neither system is deterministic).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
from gensim.models import FastText  # noqa: E402

from models.core.events import drain  # noqa: E402
from models.vectors.evaluation import DEFAULT_PAIRS, evaluate_analogies, evaluate_word_pairs  # noqa: E402
from models.text import fasttext  # noqa: E402
from models.text.corpus import DEFAULT_CORPUS, Corpus, read_corpus  # noqa: E402
from models.vectors.store import WordVectors  # noqa: E402

SUFFIXES = ("s", "ed", "ing")


def held_out_words(sentences, n: int, low: int = 20, high: int = 300, seed: int = 0) -> list[tuple[str, str]]:
    """(inflected word, stem) pairs: both seen at least ``low`` times, the inflected one at most
    ``high`` (so removing its sentences costs little of the corpus)."""
    counts = Counter(w for s in sentences for w in s)
    pairs = [(w, w[:-len(suf)]) for w, c in counts.items() if low <= c <= high and w.isalpha()
             for suf in SUFFIXES if w.endswith(suf) and len(w) - len(suf) >= 4 and counts[w[:-len(suf)]] >= low]
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(pairs), size=min(n, len(pairs)), replace=False)
    return [pairs[i] for i in sorted(pick)]


def quality(vectors: WordVectors) -> tuple[float, float]:
    analogies = evaluate_analogies(vectors)
    return analogies.accuracy, evaluate_word_pairs(vectors, DEFAULT_PAIRS[0]).spearman


def held_out_scores(vector_of, vectors: WordVectors, pairs, seed: int = 0) -> tuple[float, float, float]:
    """Mean cosine(held-out word, its stem), share with the stem among its 10 nearest, and the mean
    cosine to random vocabulary words (the floor)."""
    rng = np.random.default_rng(seed)
    cos, hits, floor = [], [], []
    for word, stem in pairs:
        v = np.asarray(vector_of(word), dtype=np.float32)
        v = v / (np.linalg.norm(v) or 1.0)
        cos.append(float(vectors.unit[vectors.index[stem]] @ v))
        hits.append(stem in {w for w, _ in vectors.nearest(v, 10)})
        floor.append(float(np.mean(vectors.unit[rng.integers(len(vectors), size=50)] @ v)))
    return float(np.mean(cos)), float(np.mean(hits)), float(np.mean(floor))


def run_ours(corpus: Corpus, args, pairs) -> dict:
    cfg = fasttext.FastTextConfig(dim=100, min_n=3, max_n=6, buckets=args.buckets, window=5, negative=5,
                                  epochs=args.epochs, min_count=5, sample=1e-4, lr=0.05, threads=args.threads, seed=1)
    t0, c0 = time.perf_counter(), time.process_time()
    model = drain(fasttext.train(cfg, corpus))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    vectors = model.vectors
    return {"seconds": seconds, "cpu": cpu, "vocab": len(vectors),
            "quality": quality(WordVectors(vectors.words, vectors.matrix)),
            "held_out": held_out_scores(vectors.vector, vectors, pairs)}


def run_gensim(corpus: Corpus, args, pairs) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    model = FastText(sentences=corpus.sentences, vector_size=100, window=5, negative=5, hs=0, sg=1,
                     min_n=3, max_n=6, bucket=args.buckets, epochs=args.epochs, min_count=5, sample=1e-4,
                     alpha=0.05, workers=args.threads, seed=1)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    kv = model.wv
    vectors = WordVectors(list(kv.index_to_key), kv.vectors)
    return {"seconds": seconds, "cpu": cpu, "vocab": len(vectors), "quality": quality(vectors),
            "held_out": held_out_scores(lambda w: kv[w], vectors, pairs)}


def summary(runs: list[dict]) -> dict:
    """Median seconds, mean quality and held-out figures of one system's repetitions."""
    return {"seconds": float(np.median([r["seconds"] for r in runs])), "cpu": float(np.median([r["cpu"] for r in runs])),
            "vocab": runs[0]["vocab"], "quality": tuple(np.mean([r["quality"] for r in runs], axis=0)),
            "held_out": tuple(np.mean([r["held_out"] for r in runs], axis=0))}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=80_000, help="lines of the bundled corpus to train on")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--buckets", type=int, default=200_000)
    parser.add_argument("--held-out", type=int, default=150)
    parser.add_argument("--reps", type=int, default=1, help="alternating repetitions of both systems")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    full = read_corpus(DEFAULT_CORPUS)
    sentences = full.sentences[:args.lines]
    pairs = held_out_words(sentences, args.held_out)
    hidden = {w for w, _ in pairs}
    kept = [s for s in sentences if not hidden.intersection(s)]
    corpus = Corpus(full.path, kept)
    print(f"corpus: {corpus.n_tokens:,} tokens in {len(kept):,} lines ({len(sentences) - len(kept):,} lines "
          f"with one of {len(pairs)} held-out words removed); {args.epochs} epochs; {args.threads} threads")
    print("held out, e.g.:", ", ".join(f"{w} ({s})" for w, s in pairs[:8]))
    # Compile the numba kernels first, so their one-off cost (cached on disk afterwards) is not timed.
    drain(fasttext.train(fasttext.FastTextConfig(dim=8, epochs=1, max_vocab=50, buckets=100), corpus))

    runs = {"ours": [], "gensim": []}
    for rep in range(args.reps):
        runs["ours"].append(run_ours(corpus, args, pairs))
        runs["gensim"].append(run_gensim(corpus, args, pairs))
        ours, theirs = runs["ours"][-1], runs["gensim"][-1]
        print(f"rep {rep + 1}: ours {ours['seconds']:.1f} s ({ours['cpu']:.1f} s CPU), gensim {theirs['seconds']:.1f} s "
              f"({theirs['cpu']:.1f} s CPU), speed x{theirs['seconds'] / ours['seconds']:.2f}", flush=True)
    wall = np.median([g["seconds"] / o["seconds"] for o, g in zip(runs["ours"], runs["gensim"])])
    cpu = np.median([g["cpu"] / o["cpu"] for o, g in zip(runs["ours"], runs["gensim"])])
    rows = {system: summary(r) for system, r in runs.items()}
    print(f"{'system':8} {'seconds':>8} {'CPU s':>7} {'kwords/s':>9} {'analogy':>8} {'ws353':>6} {'vocab':>7} "
          f"{'held-out cos(stem)':>19} {'stem in top10':>14} {'floor cos':>10}")
    for system, r in rows.items():
        rate = corpus.n_tokens * args.epochs / r["seconds"] / 1e3
        cos, hits, floor = r["held_out"]
        print(f"{system:8} {r['seconds']:8.1f} {r['cpu']:7.1f} {rate:9.1f} {r['quality'][0]:8.3f} {r['quality'][1]:6.3f} "
              f"{r['vocab']:7,} {cos:19.3f} {hits:14.3f} {floor:10.3f}")
    ours, theirs = rows["ours"], rows["gensim"]
    print(f"ratio    speed x{wall:.2f} wall, x{cpu:.2f} CPU (ours vs gensim words/s, median of {args.reps}), "
          f"analogy {ours['quality'][0] - theirs['quality'][0]:+.3f}, ws353 {ours['quality'][1] - theirs['quality'][1]:+.3f}, "
          f"held-out cos {ours['held_out'][0] - theirs['held_out'][0]:+.3f}, "
          f"stem in top10 {ours['held_out'][1] - theirs['held_out'][1]:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
