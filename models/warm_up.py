"""The compiled kernels a first Train and a first UMAP or t-SNE map need, made ready ahead.

Each is a numba function kept in numba's on-disk cache. Compiling them from nothing takes about
half a minute on two cores, nearly all of it holding the GIL; loading them from the cache takes
about two seconds. The install step compiles them once (``python -m explorer warm-up``), and the
window loads them in the background at start-up, so neither a first Train nor a first map waits.
"""
from __future__ import annotations

import itertools

from models.vectors import projection
from models.text import word2vec


def ready_kernels():
    """A generator of the trainers' and projections' progress events while the kernels are
    compiled or loaded; each event is a point where the caller may pause or cancel."""
    yield from itertools.chain(word2vec.warm_up(), projection.warm_up())
