"""Every word-vector method on the same corpus, side by side in one run (not a test; not in CI).

    .venv/bin/python tests/benchmarks/bench_methods.py [--lines N | --whole] [--epochs N] [--glove-epochs N]
        [--threads N]

GloVe, PPMI + truncated SVD, PPMI + eigendecomposition, PPMI + NMF, skip-gram and CBOW train on
the same tokenised sentences (the first ``--lines`` lines of the bundled corpus, or all of it with
``--whole``) with the same vocabulary (min count 5, the 20,000 most frequent words) and 100
dimensions; every other setting, epochs included unless a flag sets them, is the method's default. Each is timed from sentences to vectors (vocabulary and counting included)
and scored by the same code (models.vectors.evaluation): questions-words analogies (semantic, syntactic,
all), WordSim353 and SimLex-999 Spearman. Prints a table of quality against training time, with
each method's time as a ratio to the fastest.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from models.vectors.comparison import score_steps  # noqa: E402
from models.core.events import drain  # noqa: E402
from models.text import cooc, glove, word2vec  # noqa: E402
from models.text.corpus import DEFAULT_CORPUS, Corpus, read_corpus  # noqa: E402

VOCAB = 20_000


def methods(args) -> dict:
    common = dict(dim=100, min_count=5, max_vocab=VOCAB)
    w2v = dict(common, threads=args.threads, device="cpu", seed=1, **_given(epochs=args.epochs))
    return {
        "GloVe": (glove.train, glove.GloVeConfig(**common, threads=args.threads, **_given(epochs=args.glove_epochs))),
        "PPMI-SVD": (cooc.train, cooc.CoocConfig(**common, method="svd")),
        "PPMI-eig": (cooc.train, cooc.CoocConfig(**common, method="eig")),
        "PPMI-NMF": (cooc.train, cooc.CoocConfig(**common, method="nmf")),
        "skip-gram": (word2vec.train, word2vec.SGNSConfig(**w2v)),
        "CBOW": (word2vec.train, word2vec.CBOWConfig(**w2v)),
    }


def _given(**settings) -> dict:
    """The settings a flag set; the others stay at the method's default."""
    return {k: v for k, v in settings.items() if v is not None}


def warm_up(corpus: Corpus, args) -> None:
    """Compile the numba kernels once (cached on disk afterwards), so no method is timed compiling."""
    small = Corpus(corpus.path, corpus.sentences[:2000])
    drain(glove.train(glove.GloVeConfig(dim=8, epochs=1, max_vocab=200), small))
    drain(word2vec.train(word2vec.SGNSConfig(dim=8, epochs=1, max_vocab=200, device="cpu"), small))
    drain(word2vec.train(word2vec.CBOWConfig(dim=8, epochs=1, max_vocab=200, device="cpu"), small))
    drain(cooc.train(cooc.CoocConfig(dim=8, max_vocab=200), small))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000, help="lines of the bundled corpus to train on")
    parser.add_argument("--whole", action="store_true", help="train on the whole bundled corpus")
    parser.add_argument("--epochs", type=int, help="skip-gram and CBOW passes (default: theirs)")
    parser.add_argument("--glove-epochs", type=int, help="GloVe passes (default: its own)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    full = read_corpus(DEFAULT_CORPUS)
    corpus = full if args.whole else Corpus(full.path, full.sentences[:args.lines])
    print(f"corpus: {corpus.n_tokens:,} tokens in {len(corpus.sentences):,} lines; vocabulary {VOCAB:,}; "
          f"dim 100; skip-gram/CBOW epochs {args.epochs or 'default'}; GloVe {args.glove_epochs or 'default'}; "
          f"{args.threads} threads")
    warm_up(corpus, args)
    rows = {}
    for name, (train, cfg) in methods(args).items():
        t0 = time.perf_counter()
        model = drain(train(cfg, corpus))
        seconds = time.perf_counter() - t0
        rows[name] = (seconds, drain(score_steps(model.vectors)))
        print(f"  {name}: {seconds:.1f} s", flush=True)
    fastest = min(s for s, _ in rows.values())
    print(f"{'method':10} {'seconds':>8} {'x fastest':>9} {'semantic':>9} {'syntactic':>9} {'analogy':>8} "
          f"{'ws353':>6} {'simlex':>7}")
    for name, (seconds, f) in rows.items():
        print(f"{name:10} {seconds:8.1f} {seconds / fastest:9.2f} {f['semantic']:9.3f} {f['syntactic']:9.3f} "
              f"{f['analogy']:8.3f} {f['WS353 ρ']:6.3f} {f['SimLex ρ']:7.3f}")
    cover = next(iter(rows.values()))[1]
    print(f"coverage (same vocabulary for all): analogies {cover['analogy coverage']:.3f}, "
          f"WS353 {cover['WS353 coverage']:.3f}, SimLex {cover['SimLex coverage']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
