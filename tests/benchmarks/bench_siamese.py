"""Siamese matching against the no-learning baseline (not a test; not in CI).

    .venv/bin/python tests/benchmarks/bench_siamese.py [--steps N] [--loss pair|contrastive|triplet] ...

Trains the twin network with the default config (any SiameseConfig field can be overridden as
a flag), then scores the same held-out noisy, re-performed queries (items never trained on)
with the learned embedding and with the baseline: the best-aligned correlation of raw log-mel
excerpts. Prints top-1, top-5 and ROC AUC of both, the top-1 ratio, and the time taken.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from models.core.events import Progress  # noqa: E402
from models.siamese.model import SiameseConfig, train  # noqa: E402


def parse() -> SiameseConfig:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(SiameseConfig):
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=type(f.default), default=f.default)
    return SiameseConfig(**vars(parser.parse_args()))


def main() -> int:
    config = parse()
    t0 = time.perf_counter()
    gen, stage = train(config), None
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            model = stop.value
            break
        if isinstance(ev, Progress) and ev.message and ev.message != stage:
            stage = ev.message
            print(f"{time.perf_counter() - t0:7.1f} s  {stage}", file=sys.stderr)
    s = model.stats
    print(f"database: {s['items']} items ({s['source']}), trained on {s['train_items']}, "
          f"{s['test_queries']} queries of the {s['test_items']} held-out items")
    print(f"{'':10}{'top-1':>8}{'top-5':>8}{'AUC':>8}")
    print(f"{'siamese':10}{s['top1']:8.3f}{s['top5']:8.3f}{s['auc']:8.3f}")
    print(f"{'baseline':10}{s['baseline_top1']:8.3f}{s['baseline_top5']:8.3f}{s['baseline_auc']:8.3f}")
    ratio = s["top1"] / s["baseline_top1"] if s["baseline_top1"] else float("inf")
    print(f"top-1 ratio siamese / baseline: {ratio:.2f}")
    print(f"time: {s['seconds']:.0f} s in all ({s['data_seconds']:.0f} s data, {s['train_seconds']:.0f} s "
          f"training, {s['steps_done']} steps, {s['threads']} thread(s) on {s['device']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
