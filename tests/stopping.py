"""Stopping a training generator in a test as the command line and the window do: STOP sent in
reply to an event, and the model so far taken from what the generator returns."""
from __future__ import annotations

from models.core.events import STOP, Progress


def stopped(gen, most: int | None = None):
    """What ``gen`` returns once STOP is sent at every event it still yields; with ``most``, it
    must return within that many sends."""
    sent = 0
    while most is None or sent < most:
        try:
            gen.send(STOP)
        except StopIteration as end:
            return end.value
        sent += 1
    raise AssertionError(f"training still running after STOP was sent {most} time(s)")


def stopped_after(module, config, corpus, events: int, resume=None):
    """The model ``module.train`` returns when STOP is sent at its ``events``-th training event
    (not the corpus stages' events); it must return at once."""
    gen = module.train(config, corpus, resume)
    seen = 0
    while seen < events:
        seen += next(gen).epochs > 0
    return stopped(gen, most=1)


def stopped_at_step(gen, step: int):
    """The model ``gen`` returns when stopped once it reports training step ``step``."""
    ev = next(gen)
    while not (isinstance(ev, Progress) and ev.unit == "steps" and ev.step >= step):
        ev = next(gen)
    return stopped(gen)
