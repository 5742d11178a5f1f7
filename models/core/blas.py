"""BLAS threads, kept apart from device.py so that setting them does not import Torch."""
from __future__ import annotations

import os

from threadpoolctl import threadpool_limits


def one_blas_thread():
    """Run BLAS (the OpenBLAS under NumPy and SciPy) on one thread: from now on, or only inside a
    ``with`` block. OpenBLAS's threads spin while they wait for each other, so when the cores are
    busy (training threads, the window, other programs) a factorisation slows down many-fold.
    Measured on a busy 2-core machine: SVD of 1,000 x 100, 97 ms on two threads, 24 ms on one;
    of 20,000 x 100, 1,339 ms against 216 ms. Libraries loaded later read OPENBLAS_NUM_THREADS."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    return threadpool_limits(limits=1, user_api="blas")
