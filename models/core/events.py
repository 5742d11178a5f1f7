"""Progress events: small immutable snapshots a trainer yields to whoever runs it.

A trainer is a generator. It yields :class:`Progress` (never live tensors: any array is a NumPy
copy) and returns the trained model. Sending :data:`STOP` into it makes it finish early and return
the model trained so far; closing it abandons the work.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

STOP = "stop"
"""Value to ``send()`` into a trainer generator to end training early and keep the model."""


@dataclass(frozen=True)
class Progress:
    step: int
    total_steps: int
    epoch: int = 0
    epochs: int = 0
    loss: float = float("nan")
    items_per_second: float = 0.0
    eta_seconds: float = float("nan")
    unit: str = "words"
    snapshot: np.ndarray | None = None  # (n, dim) float32 copy of the top-n embedding rows
    labels: tuple[str, ...] | None = None  # the n words of the snapshot's rows
    message: str = ""

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0


class Rate:
    """Items per second and time left, smoothed so the ETA does not jump from batch to batch."""

    def __init__(self, total: int, smoothing: float = 0.3, done: int = 0):
        self.total = total
        self.start = time.perf_counter()
        self._last_t = self.start
        self._last_done = done          # a resumed run starts part-way
        self._rate = 0.0
        self._smoothing = smoothing

    def update(self, done: int) -> tuple[float, float]:
        now = time.perf_counter()
        dt = now - self._last_t
        if dt > 0 and done > self._last_done:
            inst = (done - self._last_done) / dt
            self._rate = inst if self._rate == 0 else (1 - self._smoothing) * self._rate + self._smoothing * inst
            self._last_t, self._last_done = now, done
        eta = (self.total - done) / self._rate if self._rate > 0 else float("nan")
        return self._rate, max(0.0, eta)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


class Every:
    """True at most once per ``seconds``: throttles snapshots and events at the source."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._next = 0.0

    def __call__(self) -> bool:
        now = time.perf_counter()
        if now >= self._next:
            self._next = now + self.seconds
            return True
        return False


def paced(chunk: int, took: float, target: float, low: int, high: int) -> int:
    """The size of a trainer's next call (sentences, entries...), ``chunk`` having taken ``took``
    seconds, so that a call takes about ``target``: Stop and progress take effect that often. It
    grows or shrinks at most fourfold a step, within [low, high]."""
    return max(low, min(high, int(chunk * min(4.0, max(0.25, target / max(took, 1e-4))))))


def drain(gen):
    """Run a progress generator to the end, ignoring its events; returns its result."""
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def relay(gen, change):
    """``gen``'s events passed on as ``change(event)`` returns them, and the replies sent in (STOP)
    passed back to ``gen``; returns ``gen``'s result. For a layer that watches or adds to events."""
    reply = None
    while True:
        try:
            ev = gen.send(reply)
        except StopIteration as end:
            return end.value
        reply = yield change(ev)


def stage(gen):
    """``yield from gen`` for one stage of a longer job, remembering whether STOP was sent meanwhile
    (a plain ``yield from`` hands STOP to a stage that has no use for it). Returns (result, stopped)."""
    stopped = False
    try:
        ev = next(gen)
        while True:
            stopped |= (yield ev) == STOP
            ev = next(gen)
    except StopIteration as end:
        return end.value, stopped
