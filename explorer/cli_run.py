"""What every command of the command line shares: a progress generator driven with a bar on
stderr, Ctrl+C that stops a training and keeps what it has, and the counts a user gives."""
from __future__ import annotations

import contextlib
import signal
import sys
import threading

from tqdm import tqdm

from models.core.events import STOP, Progress
from models.errors import UserError
from models.printable import printable


@contextlib.contextmanager
def ctrl_c_stops():
    """While in the block, a first Ctrl+C sets the yielded event instead of raising, so the trainer
    can be told to stop and return the model trained so far; a second Ctrl+C quits at once."""
    asked = threading.Event()

    def first(signum, frame):
        asked.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    old = signal.signal(signal.SIGINT, first)
    try:
        yield asked
    finally:
        signal.signal(signal.SIGINT, old)


def run_with_bar(gen, desc: str, stop: threading.Event | None = None):
    """Drive a progress generator with a tqdm bar on stderr; returns the generator's result.
    Once ``stop`` is set, STOP is sent at each event, and the generator returns what it has."""
    tqdm.monitor_interval = 0     # no monitor thread: the bar is refreshed by our own updates
    bar, kind = None, None
    try:
        while True:
            try:
                ev = gen.send(STOP if stop is not None and stop.is_set() else None)
            except StopIteration as end:
                return end.value
            if not isinstance(ev, Progress):
                continue
            if bar is not None and kind[1] == ev.unit and kind[0] != ev.total_steps and ev.step > 0:
                kind = (ev.total_steps, ev.unit)      # the same stage, re-planned (a time budget)
                bar.total = ev.total_steps
            if kind != (ev.total_steps, ev.unit):     # a new stage: reading, then training
                kind = (ev.total_steps, ev.unit)
                if bar is not None:
                    bar.close()
                bar = tqdm(total=ev.total_steps, unit=ev.unit, unit_scale=True, desc=printable(ev.message or desc),
                           file=sys.stderr, dynamic_ncols=True, mininterval=0.5,
                           disable=None)  # a bar on a terminal; nothing in logs and pipes
            bar.n = ev.step
            post = {}
            if ev.epochs:
                post["epoch"] = f"{ev.epoch}/{ev.epochs}"
            if ev.loss == ev.loss:
                post["loss"] = f"{ev.loss:.3f}"
            bar.set_postfix(post, refresh=False)
            bar.update(0)
    finally:
        if bar is not None:
            bar.close()


def at_least_one(flag: str, n: int) -> int:
    """A count the user gave (-k): 0 or less would print nothing and look like success."""
    if n < 1:
        raise UserError(f"{flag} must be at least 1, not {n}.", f"Give a positive number, e.g. {flag} 10.")
    return n
