"""The one training loop: every trainer's steps run in :func:`train_loop`.

A trainer supplies its steps (a :class:`Steps`: train a chunk, say when the run is over, show a
snapshot of its embedding) and the event that opens the run; the loop does the rest the same way
for every model:

- pacing: with :attr:`Pace.chunk_seconds`, each call's size follows the machine's speed so a call
  takes about that long, and Stop and progress take effect that often;
- Stop: a :data:`~models.core.events.STOP` sent in at any event ends the run, and the loop returns
  what it reached; closing the generator abandons the run at the event it waits at;
- progress events at most every :attr:`Pace.event_seconds` (or after every call), with speed and
  time left, and a snapshot at most every :attr:`Pace.snapshot_seconds`;
- the reported loss: a call's loss, checked finite (a diverged run stops with a message a person
  can act on);
- the run's figures (:class:`Run`), which a trainer turns into its statistics and resume state.

What repeats inside trainers lives here too: :class:`Sweep`, epochs over a data set walked in
chunks with a loss curve that is the same however the run was cut; :class:`Smoothed`, the
exponential mean a step-based trainer reports; :func:`curve_point_due`, the spacing of a step-based
trainer's saved curve; :func:`continued`, the figures of a resumed run counted from its very start.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from models.core.events import STOP, Every, Progress, Rate, paced
from models.errors import UserError

POINTS_PER_EPOCH = 100    # points of a Sweep's loss curve per epoch
CURVE_POINTS = 200        # points of a step-based trainer's saved loss curve per run


@dataclass(frozen=True)
class Pace:
    """How often a trainer is called, reports and shows its embedding."""
    chunk_seconds: float = 0.0    # > 0: ``step(size)`` sized so that a call takes about this long
    first: int = 1                # the first call's size, before a call has been timed
    low: int = 1                  # the call's size stays within [low, high]
    high: int = 1
    event_seconds: float = 0.0    # > 0: at most one event this often (and one after the last call)
    snapshot_seconds: float = 1.0


@dataclass(frozen=True)
class Chunk:
    """What one call of a trainer's step did."""
    done: int                     # where the run stands after it, in the run's units
    loss: float | None = None     # the loss to report; None: none measured, the last one stays
    epoch: int = 0                # the (1-based) epoch it trained in, for the event
    total: int | None = None      # a new planned length of the run (a trainer that plans from its pace)
    message: str = ""
    show: bool = False            # an event and a snapshot now, however recent the last ones
    eta_cap: float = math.inf     # no time left beyond this (a time budget)
    halt: bool = False            # the run ends here, with no event (a trainer that handles divergence)


class Steps(Protocol):
    """What a trainer gives the loop."""

    def step(self, size: int) -> Chunk:
        """Train ``size`` units (always 1 without pacing)."""

    def finished(self) -> bool:
        """Whether the run has done all it planned (the loop then returns)."""

    def snapshot(self) -> tuple[np.ndarray, tuple[str, ...]] | None:
        """A NumPy copy of embedding rows and their labels for the live view; None: nothing to show."""


@dataclass
class Run:
    """Where a run ended, in its units, and what it took."""
    start: int                    # where this call of the trainer began (a resumed run starts part-way)
    done: int
    total: int
    loss: float                   # the last loss reported
    stopped: bool = False         # ended by STOP (or a trainer's halt) before it was finished
    seconds: float = 0.0          # seconds spent in the loop

    @property
    def per_second(self) -> float:
        return (self.done - self.start) / self.seconds if self.seconds > 0 else 0.0


def train_loop(steps: Steps, first: Progress, pace: Pace = Pace(), stopped: bool = False,
               loss: float | None = None):
    """Run ``steps`` from the opening event ``first`` (its step, total and epochs are where the
    run starts) until they are finished or STOP is sent in; a generator of Progress returning a
    :class:`Run`. ``stopped``: a STOP already sent while the trainer prepared its data, after
    which the run only opens and returns. ``loss``: the last loss of the run so far (a resumed
    run's), if ``first`` does not show it."""
    run = Run(first.step, first.step, first.total_steps, first.loss if loss is None else loss)
    rate = Rate(run.total, done=run.done)
    event_due, snap_due = Every(pace.event_seconds), Every(pace.snapshot_seconds)
    size = max(pace.low, min(pace.high, pace.first))
    stopped |= (yield first) == STOP
    while not stopped and not steps.finished():
        t0 = time.perf_counter()
        chunk = steps.step(size)
        if pace.chunk_seconds:
            size = paced(size, time.perf_counter() - t0, pace.chunk_seconds, pace.low, pace.high)
        if chunk.halt:
            stopped = True
            break
        if chunk.loss is not None:
            _check_finite(chunk.loss)
            run.loss = chunk.loss
        run.done = chunk.done
        if chunk.total is not None:
            run.total = rate.total = chunk.total
        if not run.total or not (chunk.show or not pace.event_seconds or event_due() or steps.finished()):
            continue            # nothing to show before the run's length is known, or not yet
        reply = yield _event(run, chunk, first.epochs, first.unit, rate, steps, snap_due() or chunk.show)
        stopped = reply == STOP
    run.stopped, run.seconds = stopped, rate.elapsed
    return run


def _event(run: Run, chunk: Chunk, epochs: int, unit: str, rate: Rate, steps: Steps, show: bool) -> Progress:
    speed, eta = rate.update(run.done)
    if chunk.eta_cap < math.inf:
        eta = min(chunk.eta_cap, eta) if eta == eta else chunk.eta_cap
    snap = steps.snapshot() if show else None
    matrix, labels = snap if snap is not None else (None, None)
    return Progress(run.done, run.total, chunk.epoch, epochs, run.loss, speed, eta, unit=unit,
                    snapshot=matrix, labels=labels, message=chunk.message)


def _check_finite(loss: float) -> None:
    if not math.isfinite(loss):
        raise UserError(f"Training diverged (the loss became {loss}).", "Lower the learning rate and train again.")


# --- what step-based trainers share ------------------------------------------------------------

class Smoothed:
    """The exponential mean of a run's losses, ``weight`` for each new one: the figure a
    step-based trainer reports, steadier than one batch's loss."""

    def __init__(self, weight: float, value: float | None = None):
        self.weight = weight
        self.value = float("nan") if value is None else float(value)

    def add(self, x: float) -> float:
        self.value = x if self.value != self.value else (1 - self.weight) * self.value + self.weight * x
        return self.value


def curve_point_due(step: int, total: int, points: int = CURVE_POINTS) -> bool:
    """Whether ``step`` of ``total`` gets a point on the saved curve: about ``points`` a run, so a
    resumed run's curve is the one the straight run would have had."""
    return step % max(1, total // points) == 0 or step == total


def continued(stats: dict, resume, at_key: str, at: int, keys: tuple[str, ...] = ("seconds",)) -> dict:
    """``stats`` of a run that went on from ``resume`` (None: a new run): its ``keys`` (times)
    counted from the very start, and ``at_key`` saying where this part began."""
    if resume is not None:
        for key in keys:
            stats[key] += resume.stats.get(key, 0.0)
        stats[at_key] = at
    return stats


# --- epochs over a data set, in chunks ---------------------------------------------------------

class LossCurve:
    """Mean loss per fixed block of an epoch's ``n`` units, as (x at the block's end, loss).

    A trainer called in chunks whose size follows the machine's speed would get a curve that
    differs from run to run with one point per chunk; blocks of :data:`POINTS_PER_EPOCH` an epoch
    give the same curve however the run was cut. x counts items (words) when ``starts`` (the
    units' offsets in items) is given, units otherwise."""

    def __init__(self, n: int, points=(), bin_loss: float = 0.0, bin_pairs: int = 0, starts: np.ndarray | None = None):
        self.n, self.starts = n, starts
        self.block = max(1, -(-n // POINTS_PER_EPOCH))
        self.points: list[tuple[int, float]] = list(points)
        self.bin_loss, self.bin_pairs = float(bin_loss), int(bin_pairs)

    def _x(self, end: int) -> int:
        return int(self.starts[end]) if self.starts is not None else end

    def add(self, x_before: int, s0: int, loss: np.ndarray, pairs: np.ndarray | None = None) -> None:
        """Book units s0, s0+1, ... of an epoch that began at ``x_before``: ``loss`` per unit, and
        the pairs it is a sum over (None: one each)."""
        n = self.n
        s1 = s0 + len(loss)
        ends = list(range((s0 // self.block + 1) * self.block - 1, s1, self.block))
        if s1 == n and (not ends or ends[-1] != n - 1):
            ends.append(n - 1)                   # the epoch's last, shorter block
        i0 = 0
        for e in ends:
            i1 = e - s0 + 1
            self.bin_loss += float(loss[i0:i1].sum())
            self.bin_pairs += int(pairs[i0:i1].sum()) if pairs is not None else i1 - i0
            if self.bin_pairs:
                self.points.append((x_before + self._x(e + 1), self.bin_loss / self.bin_pairs))
            self.bin_loss, self.bin_pairs, i0 = 0.0, 0, i1
        self.bin_loss += float(loss[i0:].sum())
        self.bin_pairs += int(pairs[i0:].sum()) if pairs is not None else len(loss) - i0


class Sweep:
    """:class:`Steps` for ``epochs`` passes over ``n`` units (sentences, co-occurrence entries),
    a chunk of consecutive units a call: the run's position (epoch, next unit), its loss curve,
    and the end of every epoch.

    ``train(epoch, a, b)`` trains units [a, b) of ``epoch`` (0-based) and returns the loss summed
    per unit and the pairs each sum is over (None: one each). ``starts``: the units' offsets in
    the items the run counts (a corpus's sentence offsets in words); without it, units are items.
    A loss that is not finite raises the loop's error, unless ``diverged(done)`` (``done`` where
    the chunk would have ended) says how to end: it returns True to end the run there."""

    def __init__(self, epochs: int, n: int, train: Callable, snapshot: Callable, curve: LossCurve,
                 epoch: int = 0, at: int = 0, starts: np.ndarray | None = None, message: str = "",
                 diverged: Callable[[int], bool] | None = None):
        self.epochs, self.n, self.epoch, self.at = epochs, n, epoch, at
        self.per_epoch = int(starts[n]) if starts is not None else n
        self.starts, self.curve, self.message = starts, curve, message
        self._train, self._snapshot, self._diverged = train, snapshot, diverged

    @property
    def total(self) -> int:
        return self.epochs * self.per_epoch

    @property
    def done(self) -> int:
        return self.epoch * self.per_epoch + self._offset(self.at)

    def _offset(self, unit: int) -> int:
        return int(self.starts[unit]) if self.starts is not None else unit

    def first(self, message: str, unit: str, snapshot: bool = True) -> Progress:
        """The event that opens the run, where it stands, with the last loss of the curve so far."""
        loss = self.curve.points[-1][1] if self.curve.points else float("nan")
        matrix, labels = self._snapshot() if snapshot else (None, None)
        return Progress(self.done, self.total, self.epoch + 1, self.epochs, loss, unit=unit, message=message,
                        snapshot=matrix, labels=labels)

    def finished(self) -> bool:
        return self.epoch >= self.epochs

    def snapshot(self):
        return self._snapshot()

    def step(self, size: int) -> Chunk:
        epoch, a = self.epoch, self.at
        b = min(self.n, a + size)
        x_before = epoch * self.per_epoch
        loss, pairs = self._train(epoch, a, b)
        count = int(pairs.sum()) if pairs is not None else b - a
        total_loss = float(loss.sum())
        if count and not math.isfinite(total_loss) and self._diverged is not None \
                and self._diverged(x_before + self._offset(b)):
            return Chunk(self.done, halt=True)
        self.curve.add(x_before, a, loss, pairs)
        self.epoch, self.at = (epoch + 1, 0) if b >= self.n else (epoch, b)
        return Chunk(x_before + self._offset(b), total_loss / count if count else None, epoch + 1,
                     message=self.message)
