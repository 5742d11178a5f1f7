"""Process-wide settings the program runs best with, made in one place and only when asked: the
window makes them at start-up (:func:`tune_window`), the command line before a command runs
(:func:`tune_commands`). Importing ``explorer`` or ``models`` changes nothing, so a script or a
notebook that uses the models keeps Python's and the libraries' defaults.

Settings that belong to one piece of work stay with that work, scoped to it: a trainer's thread
count (its config's ``threads``), deep clustering's one Torch thread and flushed subnormals while
it separates (``models.audio.deep_clustering.one_torch_thread``; the flag is per thread, so it is
set on the thread doing the work), one BLAS thread around a separation metric.
"""
from __future__ import annotations

import sys

from models.core.blas import one_blas_thread

# A worker thread running Python (counting a corpus, building events) holds the GIL for up to the
# switch interval each time the window's thread asks for it, and painting a plot asks many times:
# with the default 5 ms, the event loop stalled up to 250 ms while a corpus was prepared; with
# 1 ms, under 90 ms (a 10 ms timer probe while training skip-gram on the bundled corpus).
WINDOW_SWITCH_INTERVAL = 0.001


def tune_commands() -> None:
    """BLAS on one thread for good: a command trains or projects on other threads beside its BLAS
    calls, which is where threaded OpenBLAS is slowest (see :func:`one_blas_thread`)."""
    one_blas_thread()


def tune_window() -> None:
    """What the commands get, and a GIL switch interval short enough to keep the window responsive
    while workers run Python."""
    tune_commands()
    sys.setswitchinterval(WINDOW_SWITCH_INTERVAL)
