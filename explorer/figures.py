"""How a run's figures read, in the window's panel and on the command line alike (no Qt here)."""
from __future__ import annotations

import math

from models.core.events import Progress


def format_seconds(s: float) -> str:
    if not math.isfinite(s):
        return "--:--"
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def format_rate(x: float) -> str:
    return f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.0f}k" if x >= 1e3 else f"{x:.0f}"


def describe_progress(ev: Progress) -> str:
    parts = [ev.message] if ev.message else []
    if ev.epochs:
        parts.append(f"Epoch {ev.epoch}/{ev.epochs}")
    if ev.items_per_second:
        parts.append(f"{format_rate(ev.items_per_second)} {ev.unit}/s")
    if math.isfinite(ev.eta_seconds):
        parts.append(f"{format_seconds(ev.eta_seconds)} left")
    return " · ".join(parts)


def describe_result(stats: dict) -> str:
    """The figures of a finished word model's run worth reading off: time, throughput in the unit
    it trained on (pairs for GloVe and the full softmax, as while it ran; corpus words for the
    rest), the final loss, and for a full softmax the cost of one step, to set beside negative
    sampling's."""
    parts = [format_seconds(stats.get("seconds", float("nan")))]
    if "ms_per_step" in stats:
        parts.append(f"{stats['ms_per_step']:.1f} ms/step")
    if "pairs_per_second" in stats:
        parts.append(f"{format_rate(stats['pairs_per_second'])} pairs/s")
    else:
        parts.append(f"{format_rate(stats.get('words_per_second', 0))} words/s")
    loss = stats.get("final_loss", float("nan"))
    parts.append(f"final loss {loss:.3f}" if math.isfinite(loss) else "no loss (nothing is learned)")
    return " · ".join(parts)
