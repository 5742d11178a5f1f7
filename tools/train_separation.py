"""Train the bundled separation model (``assets/separation``) on the broad speech data.

    .venv/bin/python tools/separation_data.py                 # once: the data (see its docstring)
    .venv/bin/python tools/train_separation.py --minutes 75   # CPU; CUDA is used when present
    .venv/bin/python tools/train_separation.py --help         # every setting as a flag
    .venv/bin/python tests/benchmarks/bench_separation.py     # its figures, beside the ideal masks

Fixed seed; the settings are the ``SETTINGS`` below, saved with the weights in config.json. The
model lands in ``--out`` (default ``assets/separation``), replacing the previous one only when
training finished.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explorer.cli.main import add_config_flags, given_settings  # noqa: E402
from models.audio import deep_clustering as dc  # noqa: E402
from models.core.events import drain, relay  # noqa: E402
from models.core.params import ConfigError, validate  # noqa: E402

SETTINGS = dict(data="broad", augment=True, hidden=256, layers=3, embedding_dim=20, n_fft=256, hop=128,
                batch_size=8, chunk_seconds=0.8, long_chunk_seconds=2.0, lr=1e-3, seed=0,
                start="scratch", minutes=75.0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=dc.PRETRAINED)
    # every setting of DeepClusteringConfig as a flag (--lr, --chunk-seconds, --start pretrained,
    # --mask-head, ...), starting from SETTINGS rather than the window's defaults
    add_config_flags(ap, dc.DeepClusteringConfig, defaults=SETTINGS)
    args = ap.parse_args(argv)
    config = dc.DeepClusteringConfig(**dict(SETTINGS, **given_settings(args)))
    try:
        validate(config)
    except ConfigError as e:
        ap.error(str(e))
    last = [0.0]

    def show(event):
        if event.fraction - last[0] >= 0.01 or event.message != getattr(show, "message", None):
            last[0] = event.fraction
            show.message = event.message
            loss = f" loss {event.loss:.4f}" if event.loss == event.loss else ""
            print(f"{event.step}/{event.total_steps} {event.unit}{loss} {event.message}", flush=True)

    model = drain(relay(dc.train(config), show))
    # the weights alone: Adam's moments and the copies a resumed run needs would make it four times larger,
    # and going on from the bundled model is --start pretrained, which needs none of them
    model.training = None
    model.save(args.out)
    print(model.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
