"""The one training loop: Stop, pacing, throttled events and snapshots, resume bookkeeping and the
run's figures, driven with small fake trainers on a fake clock."""
import math

import numpy as np
import pytest

from models.core import events, loop
from models.core.events import STOP, Progress, drain
from models.core.loop import Chunk, LossCurve, Pace, Sweep, continued, curve_point_due, train_loop
from models.errors import UserError


class Clock:
    """perf_counter for the loop and its timers; each trainer call moves it on by ``step`` seconds."""

    def __init__(self):
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(loop, "time", c)
    monkeypatch.setattr(events, "time", c)
    return c


class Counting:
    """A trainer of ``total`` one-unit steps, each taking ``seconds`` on the clock; loss 1/step."""

    def __init__(self, total: int, clock: Clock | None = None, seconds: float = 0.0):
        self.total, self.clock, self.seconds = total, clock, seconds
        self.done, self.calls, self.sizes, self.snapshots = 0, 0, [], 0

    def step(self, size: int) -> Chunk:
        self.calls += 1
        self.sizes.append(size)
        if self.clock is not None:
            self.clock.now += self.seconds * size
        self.done = min(self.total, self.done + size)
        return Chunk(self.done, 1.0 / self.done)

    def finished(self) -> bool:
        return self.done >= self.total

    def snapshot(self):
        self.snapshots += 1
        return np.full((2, 3), self.done, np.float32), ("a", "b")


def start(steps: Counting, **pace) -> tuple:
    gen = train_loop(steps, Progress(steps.done, steps.total, unit="steps", message="Training"), Pace(**pace))
    return gen, next(gen)


def test_stop_at_an_event_ends_the_run_there_and_returns_what_it_reached():
    steps = Counting(100)
    gen, first = start(steps)
    assert first.message == "Training" and steps.calls == 0      # the opening event comes before any step
    for _ in range(5):
        ev = next(gen)
    with pytest.raises(StopIteration) as end:
        gen.send(STOP)
    run = end.value.value
    assert ev.step == 5 and steps.calls == 5
    assert run.stopped and run.done == 5 and run.start == 0 and run.total == 100 and run.loss == pytest.approx(1 / 5)


def test_stop_at_the_opening_event_trains_nothing():
    steps = Counting(10)
    gen, _ = start(steps)
    with pytest.raises(StopIteration) as end:
        gen.send(STOP)
    assert end.value.value.stopped and steps.calls == 0


def test_closing_the_generator_abandons_the_run_with_no_further_step():
    steps = Counting(100)
    gen, _ = start(steps)
    next(gen)
    next(gen)
    gen.close()
    assert steps.calls == 2
    with pytest.raises(StopIteration):
        next(gen)


def test_a_stop_sent_while_the_data_was_prepared_opens_the_run_and_returns():
    steps = Counting(10)
    gen = train_loop(steps, Progress(0, 10), stopped=True)
    assert next(gen).step == 0
    with pytest.raises(StopIteration) as end:
        next(gen)
    assert end.value.value.stopped and steps.calls == 0


def test_a_run_to_the_end_is_not_stopped_and_its_last_event_is_its_end():
    steps = Counting(7)
    gen, _ = start(steps)
    evs = []
    with pytest.raises(StopIteration) as end:
        while True:
            evs.append(next(gen))
    assert not end.value.value.stopped and [e.step for e in evs] == list(range(1, 8))
    assert evs[-1].fraction == 1.0 and all(e.unit == "steps" for e in evs)


def test_events_are_throttled_but_the_last_step_always_reports(clock):
    steps = Counting(50, clock, seconds=0.03)
    gen, _ = start(steps, event_seconds=0.1)
    evs = list(gen)
    # a step every 0.03 s, an event at most every 0.1 s: one every fourth step, and the 50th
    assert [e.step for e in evs] == [1, *range(5, 50, 4), 50]
    assert steps.calls == 50


def test_snapshots_are_throttled_at_the_source(clock):
    steps = Counting(40, clock, seconds=0.25)
    gen, _ = start(steps, snapshot_seconds=1.0)
    evs = list(gen)
    shown = [e.step for e in evs if e.snapshot is not None]
    assert shown == [1, 5, 9, 13, 17, 21, 25, 29, 33, 37]
    assert steps.snapshots == len(shown)          # never made to be thrown away
    assert all(e.labels == ("a", "b") for e in evs if e.snapshot is not None)
    assert all(e.labels is None for e in evs if e.snapshot is None)


def test_a_chunk_that_asks_to_show_itself_gets_an_event_and_a_snapshot(clock):
    class Validating(Counting):
        def step(self, size):
            c = super().step(size)
            return Chunk(c.done, c.loss, show=self.done % 10 == 0, message=f"at {self.done}")

    steps = Validating(30, clock, seconds=0.001)
    gen, _ = start(steps, event_seconds=1.0, snapshot_seconds=100.0)
    evs = list(gen)
    assert [e.step for e in evs] == [1, 10, 20, 30]
    assert [e.snapshot is not None for e in evs] == [True, True, True, True]
    assert evs[1].message == "at 10"


def test_no_event_before_the_run_knows_its_length():
    class Planning(Counting):
        def step(self, size):
            c = super().step(size)
            return Chunk(c.done, c.loss, total=self.total if self.done >= 4 else None)

    steps = Planning(12)
    gen = train_loop(steps, Progress(0, 0, unit="batches"))
    assert next(gen).total_steps == 0
    evs = list(gen)
    assert [e.step for e in evs] == list(range(4, 13)) and all(e.total_steps == 12 for e in evs)


def test_a_time_budget_caps_the_time_left(clock):
    class Budgeted(Counting):
        def step(self, size):
            c = super().step(size)
            return Chunk(c.done, c.loss, eta_cap=2.0)

    steps = Budgeted(1000, clock, seconds=1.0)     # 1 step a second: 995 s left at step 5, capped at 2
    gen, _ = start(steps)
    evs = [next(gen) for _ in range(5)]
    assert evs[-1].eta_seconds == 2.0 and evs[-1].items_per_second == pytest.approx(1.0)


def test_pacing_grows_fast_calls_and_shrinks_slow_ones_within_bounds(clock):
    # times in powers of two, so the clock's sums are exact
    steps = Counting(10_000, clock, seconds=2**-10)     # 128 units make the 1/8 s target
    gen, _ = start(steps, chunk_seconds=0.125, first=2, low=1, high=100)
    for _ in range(6):
        next(gen)
    assert steps.sizes == [2, 8, 32, 100, 100, 100]     # at most fourfold a call, never past high
    steps.seconds = 2**-7                                # eight times slower: 16 units a call
    for _ in range(4):
        next(gen)
    assert steps.sizes[-4:] == [100, 25, 16, 16]        # at most fourfold down a call too
    gen.close()


def test_a_loss_that_is_not_finite_stops_the_run_with_advice():
    class Diverging(Counting):
        def step(self, size):
            c = super().step(size)
            return Chunk(c.done, math.inf if self.done == 3 else c.loss)

    gen, _ = start(Diverging(10))
    with pytest.raises(UserError, match="diverged") as e:
        list(gen)
    assert "learning rate" in e.value.hint


def test_run_figures_count_from_where_a_resumed_run_began(clock):
    steps = Counting(20, clock, seconds=0.5)
    steps.done = 8
    run = drain(start(steps)[0])
    assert (run.start, run.done, run.seconds) == (8, 20, pytest.approx(6.0))
    assert run.per_second == pytest.approx(2.0)


def test_continued_adds_the_earlier_parts_times_and_says_where_this_one_began():
    class Earlier:
        stats = {"seconds": 5.0, "train_seconds": 3.0}

    assert continued({"seconds": 1.0}, None, "resumed_at_step", 4) == {"seconds": 1.0}
    stats = continued({"seconds": 1.0, "train_seconds": 0.5}, Earlier(), "resumed_at_step", 4,
                      ("seconds", "train_seconds"))
    assert stats == {"seconds": 6.0, "train_seconds": 3.5, "resumed_at_step": 4}


def test_curve_points_fall_on_the_same_steps_however_the_run_was_cut():
    assert [s for s in range(1, 1001) if curve_point_due(s, 1000, points=200)] == list(range(5, 1001, 5))
    assert [s for s in range(1, 8) if curve_point_due(s, 7, points=200)] == list(range(1, 8))
    assert curve_point_due(999, 999, points=200)         # the last step always


# --- Sweep: epochs over a data set in chunks ----------------------------------------------------

STARTS = np.array([0, 3, 5, 9, 10, 14], dtype=np.int64)      # five sentences, 14 words


def sweep(epochs=3, state=(0, 0), curve=None, seen=None, diverged=None):
    def train(epoch, a, b):
        if seen is not None:
            seen.append((epoch, a, b))
        loss = np.array([float(epoch * 10 + s) for s in range(a, b)])
        return loss, np.ones(b - a, dtype=np.int64) * 2

    return Sweep(epochs, 5, train, lambda: (np.zeros((1, 2), np.float32), ("w",)),
                 curve or LossCurve(5, starts=STARTS), *state, starts=STARTS, diverged=diverged)


def test_a_sweep_walks_its_epochs_in_chunks_and_counts_items():
    seen = []
    s = sweep(seen=seen)
    gen = train_loop(s, s.first("Training", "words"), Pace(chunk_seconds=1e9, first=2, low=2, high=2))
    first = next(gen)
    assert (first.step, first.total_steps, first.epoch, first.epochs) == (0, 42, 1, 3)
    evs = list(gen)
    assert seen[:4] == [(0, 0, 2), (0, 2, 4), (0, 4, 5), (1, 0, 2)]        # an epoch's last chunk is shorter
    assert [e.step for e in evs[:4]] == [5, 10, 14, 19] and [e.epoch for e in evs[:4]] == [1, 1, 1, 2]
    assert s.finished() and (s.epoch, s.at) == (3, 0) and evs[-1].step == 42
    assert evs[0].loss == pytest.approx((0 + 1) / 4)         # loss sums over pairs, two a sentence


def test_a_sweep_stopped_and_resumed_gives_the_curve_of_one_straight_through():
    straight = sweep()
    drain(train_loop(straight, straight.first("", "words"), Pace(chunk_seconds=1e9, first=1, low=1, high=1)))

    part = sweep()
    gen = train_loop(part, part.first("", "words"), Pace(chunk_seconds=1e9, first=1, low=1, high=1))
    for _ in range(8):          # the opening event and seven sentences: into the second epoch
        next(gen)
    with pytest.raises(StopIteration) as end:
        gen.send(STOP)
    assert (part.epoch, part.at) == (1, 2) and end.value.value.done == 14 + 5
    curve = LossCurve(5, part.curve.points, part.curve.bin_loss, part.curve.bin_pairs, starts=STARTS)
    rest = sweep(state=(part.epoch, part.at), curve=curve)
    run = drain(train_loop(rest, rest.first("", "words"), Pace(chunk_seconds=1e9, first=3, low=3, high=3)))
    assert run.start == 19 and run.done == 42
    assert rest.curve.points == straight.curve.points


def test_a_sweep_that_handles_divergence_ends_without_booking_the_chunk():
    at = []

    def train(epoch, a, b):
        return np.array([np.nan if a >= 2 else 1.0] * (b - a)), np.ones(b - a, dtype=np.int64)

    s = Sweep(1, 5, train, lambda: None, LossCurve(5, starts=STARTS), starts=STARTS,
              diverged=lambda where: at.append(where) or True)
    run = drain(train_loop(s, s.first("", "words", snapshot=False), Pace(chunk_seconds=1e9, first=2, low=2, high=2)))
    assert at == [10] and run.stopped and run.done == 5 and (s.epoch, s.at) == (0, 2)
