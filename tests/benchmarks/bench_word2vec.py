"""Skip-gram and CBOW against gensim, side by side in one run (not a test; not in CI).

    make bench            # or: .venv/bin/python tests/benchmarks/bench_word2vec.py [--epochs N]

Both train on the same tokenised sentences of the bundled corpus with the same settings (dim 100,
window 5, 5 negatives, min count 5, subsampling 1e-3, the same learning rate, all cores) and are
timed from sentences to finished vectors (vocabulary included). Quality is scored for both by
gensim's own evaluators on the files gensim ships (questions-words analogies, WordSim353), so the
scoring cannot favour one side. Prints a table and the ratios.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
from gensim.models import KeyedVectors, Word2Vec  # noqa: E402
from gensim.test.utils import datapath  # noqa: E402

from models.core.events import drain  # noqa: E402
from models.text import word2vec  # noqa: E402
from models.text.corpus import DEFAULT_CORPUS, read_corpus  # noqa: E402


def quality(words: list[str], matrix: np.ndarray) -> tuple[float, float]:
    kv = KeyedVectors(matrix.shape[1])
    kv.add_vectors(words, matrix)
    analogies, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30_000)
    pearson, spearman, _ = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    return analogies, spearman.statistic


def run_ours(corpus, cbow: bool, args) -> dict:
    cls = word2vec.CBOWConfig if cbow else word2vec.SGNSConfig
    cfg = cls(dim=100, window=5, negative=5, epochs=args.epochs, min_count=5, sample=1e-3, lr=args.lr,
              threads=args.threads, device="cpu", seed=1)
    t0 = time.perf_counter()
    model = drain(word2vec.train(cfg, corpus))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "vocab": len(model.vocab), "loss": model.stats["final_loss"],
            "quality": quality(model.vocab.words, model.tensors["input"])}


def run_gensim(corpus, cbow: bool, args) -> dict:
    t0 = time.perf_counter()
    model = Word2Vec(sentences=corpus.sentences, vector_size=100, window=5, negative=5, hs=0,
                     epochs=args.epochs, min_count=5, sample=1e-3, alpha=args.lr, min_alpha=args.lr * 1e-4,
                     sg=0 if cbow else 1, cbow_mean=1, workers=args.threads, seed=1)
    seconds = time.perf_counter() - t0
    kv = model.wv
    return {"seconds": seconds, "vocab": len(kv), "loss": float("nan"),
            "quality": quality(list(kv.index_to_key), kv.vectors)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--lr", type=float, default=0.025)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    corpus = read_corpus(DEFAULT_CORPUS)
    print(f"corpus: {corpus.n_tokens:,} tokens; {args.epochs} epochs; {args.threads} threads")
    # Compile the numba kernel first, so its one-off cost (cached on disk afterwards) is not timed.
    drain(word2vec.train(word2vec.SGNSConfig(dim=8, epochs=1, max_vocab=50), corpus))
    drain(word2vec.train(word2vec.CBOWConfig(dim=8, epochs=1, max_vocab=50), corpus))

    print(f"{'model':6} {'system':8} {'seconds':>8} {'Mwords/s':>9} {'analogy':>8} {'ws353':>6} {'vocab':>7}")
    for cbow in (False, True):
        name = "cbow" if cbow else "sgns"
        rows = {"ours": run_ours(corpus, cbow, args), "gensim": run_gensim(corpus, cbow, args)}
        for system, r in rows.items():
            rate = corpus.n_tokens * args.epochs / r["seconds"] / 1e6
            print(f"{name:6} {system:8} {r['seconds']:8.1f} {rate:9.2f} {r['quality'][0]:8.3f} "
                  f"{r['quality'][1]:6.3f} {r['vocab']:7,}")
        ours, theirs = rows["ours"], rows["gensim"]
        print(f"{name:6} ratio    speed x{theirs['seconds'] / ours['seconds']:.2f} (ours vs gensim), "
              f"analogy {ours['quality'][0] - theirs['quality'][0]:+.3f}, "
              f"ws353 {ours['quality'][1] - theirs['quality'][1]:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
