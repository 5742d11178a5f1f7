"""Skip-gram and CBOW against gensim, side by side in one run (not a test; not in CI).

    make bench            # or: .venv/bin/python tests/benchmarks/bench_word2vec.py [--epochs N]
    .venv/bin/python tests/benchmarks/bench_word2vec.py --models sgns --seeds 5   # quality over seeds

Both train on the same tokenised sentences of the bundled corpus with the same settings (dim 100,
window 5, 5 negatives, min count 5, subsampling 1e-3, the same learning rate, all cores) and are
timed from sentences to finished vectors (vocabulary included). Quality is scored for both by
gensim's own evaluators on the files gensim ships (questions-words analogies, WordSim353), so the
scoring cannot favour one side. Prints a table and the ratios; with ``--seeds K`` both train K times
(seeds 1..K) and the means and spreads are printed too, since one WS353 figure moves by about 0.01
from seed to seed.
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
from models.text.corpus import DEFAULT_CORPUS, Corpus, read_corpus  # noqa: E402


def quality(words: list[str], matrix: np.ndarray) -> tuple[float, float]:
    kv = KeyedVectors(matrix.shape[1])
    kv.add_vectors(words, matrix)
    analogies, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30_000)
    pearson, spearman, _ = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    return analogies, spearman.statistic


def run_ours(corpus, cbow: bool, args, seed: int) -> dict:
    cls = word2vec.CBOWConfig if cbow else word2vec.SGNSConfig
    cfg = cls(dim=100, window=5, negative=5, epochs=args.epochs, min_count=5, sample=1e-3, lr=args.lr,
              threads=args.threads, device="cpu", seed=seed)
    t0 = time.perf_counter()
    model = drain(word2vec.train(cfg, corpus))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "vocab": len(model.vocab), "loss": model.stats["final_loss"],
            "quality": quality(model.vocab.words, model.tensors["input"])}


def run_gensim(corpus, cbow: bool, args, seed: int) -> dict:
    t0 = time.perf_counter()
    model = Word2Vec(sentences=corpus.sentences, vector_size=100, window=5, negative=5, hs=0,
                     epochs=args.epochs, min_count=5, sample=1e-3, alpha=args.lr, min_alpha=args.lr * 1e-4,
                     sg=0 if cbow else 1, cbow_mean=1, workers=args.threads, seed=seed)
    seconds = time.perf_counter() - t0
    kv = model.wv
    return {"seconds": seconds, "vocab": len(kv), "loss": float("nan"),
            "quality": quality(list(kv.index_to_key), kv.vectors)}


RUN = {"ours": run_ours, "gensim": run_gensim}


def columns(runs: list[dict]) -> dict[str, np.ndarray]:
    """Seconds, analogy and WS353 of several runs, one array each."""
    return {"seconds": np.array([r["seconds"] for r in runs]),
            "analogy": np.array([r["quality"][0] for r in runs]),
            "ws353": np.array([r["quality"][1] for r in runs])}


def difference(ours: np.ndarray, theirs: np.ndarray) -> str:
    """Mean difference, with its standard error and Welch's two-sided p when there are seeds to
    tell a real gap from seed-to-seed spread."""
    gap = ours.mean() - theirs.mean()
    if min(len(ours), len(theirs)) < 2:
        return f"{gap:+.3f}"
    from scipy.stats import ttest_ind

    se = np.sqrt(ours.var(ddof=1) / len(ours) + theirs.var(ddof=1) / len(theirs))
    return f"{gap:+.3f} (se {se:.3f}, Welch p {ttest_ind(ours, theirs, equal_var=False).pvalue:.2f})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--lr", type=float, default=0.025)
    parser.add_argument("--seeds", type=int, default=1, help="train each system with seeds 1..K")
    parser.add_argument("--models", nargs="+", choices=("sgns", "cbow"), default=("sgns", "cbow"))
    parser.add_argument("--systems", nargs="+", choices=("ours", "gensim"), default=("ours", "gensim"))
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    # Sentences held as lists of words, as gensim takes them: both sides read the same lists.
    corpus = Corpus(DEFAULT_CORPUS, list(read_corpus(DEFAULT_CORPUS).sentences))
    print(f"corpus: {corpus.n_tokens:,} tokens; {args.epochs} epochs; {args.threads} threads")
    # Compile the numba kernel first, so its one-off cost (cached on disk afterwards) is not timed.
    drain(word2vec.train(word2vec.SGNSConfig(dim=8, epochs=1, max_vocab=50), corpus))
    drain(word2vec.train(word2vec.CBOWConfig(dim=8, epochs=1, max_vocab=50), corpus))

    print(f"{'model':6} {'system':8} {'seconds':>8} {'Mwords/s':>9} {'analogy':>8} {'ws353':>6} {'vocab':>7}")
    for name in args.models:
        cbow = name == "cbow"
        runs = {system: [] for system in args.systems}
        for seed in range(1, args.seeds + 1):
            rows = {system: RUN[system](corpus, cbow, args, seed) for system in args.systems}
            for system, r in rows.items():
                runs[system].append(r)
                rate = corpus.n_tokens * args.epochs / r["seconds"] / 1e6
                print(f"{name:6} {system:8} {r['seconds']:8.1f} {rate:9.2f} {r['quality'][0]:8.3f} "
                      f"{r['quality'][1]:6.3f} {r['vocab']:7,}  seed {seed}", flush=True)
        means = {system: columns(r) for system, r in runs.items()}
        if args.seeds > 1:
            for system, m in means.items():
                print(f"{name:6} {system:8} mean over {args.seeds} seeds: {m['seconds'].mean():.1f} s, "
                      f"analogy {m['analogy'].mean():.3f} (sd {m['analogy'].std(ddof=1):.3f}), "
                      f"ws353 {m['ws353'].mean():.3f} (sd {m['ws353'].std(ddof=1):.3f})")
        if len(means) < 2:
            continue
        ours, theirs = means["ours"], means["gensim"]
        print(f"{name:6} ratio    speed x{theirs['seconds'].mean() / ours['seconds'].mean():.2f} (ours vs gensim), "
              f"analogy {difference(ours['analogy'], theirs['analogy'])}, "
              f"ws353 {difference(ours['ws353'], theirs['ws353'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
