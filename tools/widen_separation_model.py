"""Widen a separation model's BLSTM without changing what it computes, to fine-tune it with more room.

    .venv/bin/python tools/widen_separation_model.py --hidden 320 --out DIR [MODEL_DIR]

MODEL_DIR defaults to the bundled model. The wider model separates exactly as the narrower one did
(see ``models/audio/widening.py``); ``tools/train_separation.py --start pretrained`` then trains it,
once it stands in ``assets/separation``. The new units' random weights come from ``--seed``, so two
fine-tunings of one widened model start from the same point and can be averaged.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.audio import deep_clustering as dc  # noqa: E402
from models.audio.widening import widen  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path, nargs="?", default=dc.PRETRAINED, metavar="MODEL_DIR")
    ap.add_argument("--hidden", type=int, required=True, help="units per direction and layer")
    ap.add_argument("--seed", type=int, default=0, help="seed of the new units' weights")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    model = dc.DeepClusteringModel.load(args.model)
    old = model.config.hidden
    if args.hidden <= old:
        ap.error(f"--hidden must exceed the model's {old} units")
    widen(model.net, args.hidden, args.seed)
    model.config = replace(model.config, hidden=args.hidden)
    model.training = None       # Adam's moments were the narrower network's
    model.stats = {**model.stats, "parameters": sum(p.numel() for p in model.net.parameters()),
                   "widened_from": {"model": str(args.model), "hidden": old, "seed": args.seed}}
    model.save(args.out)
    print(f"{args.model}: {old} -> {args.hidden} units per direction, {model.stats['parameters']:,} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
