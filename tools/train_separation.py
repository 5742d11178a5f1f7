"""Train the bundled separation model (``assets/separation``) on the broad speech data.

    .venv/bin/python tools/separation_data.py                 # once: the data (see its docstring)
    .venv/bin/python tools/train_separation.py --minutes 75   # CPU; CUDA is used when present
    .venv/bin/python tests/benchmarks/bench_separation.py     # its figures, beside the ideal masks

Fixed seed; the settings are the ``SETTINGS`` below, saved with the weights in config.json. The
model lands in ``--out`` (default ``assets/separation``), replacing the previous one only when
training finished.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.audio import deep_clustering as dc  # noqa: E402

SETTINGS = dict(data="broad", augment=True, hidden=256, layers=3, embedding_dim=20, n_fft=256, hop=128,
                batch_size=8, chunk_seconds=0.8, long_chunk_seconds=2.0, lr=1e-3, seed=0,
                start="scratch")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=75.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=dc.PRETRAINED)
    ap.add_argument("--start", choices=("scratch", "pretrained"), default=SETTINGS["start"],
                    help="pretrained: go on from the bundled model (its shape and STFT) for more minutes")
    ap.add_argument("--lr", type=float, default=SETTINGS["lr"],
                    help="Adam's rate for the first half of the run (then decayed tenfold)")
    ap.add_argument("--chunk-seconds", type=float, default=SETTINGS["chunk_seconds"],
                    help="length of the training mixtures")
    ap.add_argument("--long-chunk-seconds", type=float, default=SETTINGS["long_chunk_seconds"],
                    help="their length in the last third of the run (half as many a batch)")
    ap.add_argument("--batch-size", type=int, default=SETTINGS["batch_size"])
    ap.add_argument("--mask-head", action="store_true",
                    help="train a Chimera++ mask-inference head beside the embeddings (added to a pretrained model)")
    args = ap.parse_args(argv)
    settings = dict(SETTINGS, start=args.start, lr=args.lr, mask_head=args.mask_head, chunk_seconds=args.chunk_seconds,
                    long_chunk_seconds=args.long_chunk_seconds, batch_size=args.batch_size)
    config = replace(dc.DeepClusteringConfig(), **settings, minutes=args.minutes, threads=args.threads)
    gen = dc.train(config)
    last = [0.0]

    def show(event):
        if event.fraction - last[0] >= 0.01 or event.message != getattr(show, "message", None):
            last[0] = event.fraction
            show.message = event.message
            loss = f" loss {event.loss:.4f}" if event.loss == event.loss else ""
            print(f"{event.step}/{event.total_steps} {event.unit}{loss} {event.message}", flush=True)

    model = _run(gen, show)
    # the weights alone: Adam's moments and the copies a resumed run needs would make it four times larger,
    # and going on from the bundled model is --start pretrained, which needs none of them
    model.training = None
    model.save(args.out)
    print(model.summary())
    return 0


def _run(gen, show):
    while True:
        try:
            show(next(gen))
        except StopIteration as stop:
            return stop.value


if __name__ == "__main__":
    sys.exit(main())
