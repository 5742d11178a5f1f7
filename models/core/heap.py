"""Keeping Python's cyclic garbage collector off the GIL while the window paints.

A full collection walks every container object alive while holding the GIL, and the window's
thread needs the GIL for each paint: with a corpus loaded that walk took up to 0.8 s. So the
collector is paused while a corpus is read (millions of new lists and strings, none of them in a
cycle), and what is alive afterwards is frozen out of its reach (still freed by reference count).
"""
from __future__ import annotations

import contextlib
import gc
import threading

_lock = threading.Lock()
_pauses = 0
_was_enabled = True


@contextlib.contextmanager
def collector_paused():
    """No cyclic collection while the body runs (reading the bundled corpus triggered two full
    collections of 90 and 200 ms), and what it made is then settled (:func:`settle`): left in the
    young generation, the first collection after it walked them all (220 ms). Uses may nest or
    overlap across threads: the collector runs again, if it ran before, when the last one ends."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0:
                settle()
                if _was_enabled:
                    gc.enable()


def settle() -> None:
    """Put every object alive now beyond the collector's reach (they are still freed when their
    last reference goes). The imported libraries and a loaded corpus are some 750,000 container
    objects; later collections then walk only what is new. :func:`unsettle` undoes it."""
    gc.freeze()


def unsettle() -> None:
    """Give everything :func:`settle` froze back to the collector: what it froze may since have
    become garbage in cycles (a closing window's own objects)."""
    gc.unfreeze()
