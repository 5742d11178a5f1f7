"""Average the weights of separation models fine-tuned from one another into one model.

    .venv/bin/python tools/average_separation_models.py --out DIR [--float16] MODEL_DIR MODEL_DIR [...]

Models fine-tuned from the same starting point lie in one basin of the loss, so the mean of their
weights is a model too, and often better than each of them ("model soups", Wortsman et al. 2022):
the bundled model is the mean of two fine-tunings and the model they started from (see
``assets/separation/SOURCE.md``). The models must share the network's shape and STFT; the first
one's settings and training record are kept, with the folders averaged named in it, and the demo
test figures are measured again on the average. ``--float16`` stores the weights at half the size
(they are read back into float32; on the bundled model's sets no figure moved by more than 0.01 dB).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.audio import demo  # noqa: E402
from models.audio import deep_clustering as dc  # noqa: E402
from models.core.events import drain  # noqa: E402


def average(folders: list[Path]) -> dc.DeepClusteringModel:
    models = [dc.DeepClusteringModel.load(f) for f in folders]
    first = models[0]
    for folder, model in zip(folders[1:], models[1:]):
        if model.config.shape() != first.config.shape():
            sys.exit(f"error: {folder} has another network shape or STFT than {folders[0]}: {model.config.shape()}")
    states = [m.net.state_dict() for m in models]
    first.net.load_state_dict({k: torch.stack([s[k].float() for s in states]).mean(0).to(states[0][k].dtype)
                               for k in states[0]})
    first.training = None       # a mean of weights is nowhere in any run: nothing to resume
    # the first run's record, less the losses, which were its own weights'
    stats = {k: v for k, v in first.stats.items() if k not in ("valid_loss", "final_loss")}
    first.stats = {**stats, "averaged_from": [str(f) for f in folders]}
    return first


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--float16", action="store_true", help="store the weights as float16, half the file")
    ap.add_argument("models", type=Path, nargs="+", metavar="MODEL_DIR")
    args = ap.parse_args(argv)
    if len(args.models) < 2:
        ap.error("give two models or more")
    model = average(args.models)
    test = drain(demo.load_steps(model.config.demo_spec())).test
    if args.float16:
        model.net.half()
        model.net.float()   # scored as it will be read back: rounded to float16, computed in float32
    model.stats.update(drain(dc.score_test_split(model, test)))
    if args.float16:
        model.net.half()
    model.save(args.out)
    print(model.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
