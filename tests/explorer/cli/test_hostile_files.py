"""Every hand-made hostile case (tests/hostile/cases.py) keeps the command line's promise: one
``error:`` line naming the file and what to do, exit code 2, no traceback, no hang, nothing written
outside --out, nothing half-replaced; or, for text that came from a file, results shown escaped.

The cases that make gigabyte files run here against lowered ceilings, which size their files; the
script tests/benchmarks/hostile_files.py runs them at full size in child processes."""
from __future__ import annotations

import signal

import pytest

from models.vectors import evaluation
from models.audio import wav
from models.core import session
from models.text import corpus
from tests.hostile.cases import CASES, Stage, judge, run_here

HANG_SECONDS = 20       # a FIFO opened for reading would block for ever: the alarm turns that into a failure


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    return Stage(tmp_path_factory.mktemp("hostile"), big=False)


@pytest.fixture
def small_ceilings(monkeypatch):
    monkeypatch.setattr(corpus, "MAX_LINE_BYTES", 64 << 10)
    monkeypatch.setattr(wav, "MAX_SECONDS", 3)
    monkeypatch.setattr(wav, "MAX_MIXTURE_SECONDS", 3)
    monkeypatch.setattr(evaluation, "MAX_BENCHMARK_BYTES", 1 << 20)
    monkeypatch.setattr(session, "MAX_MEMBERS", 100)


@pytest.fixture
def hang_limit():
    def hung(signum, frame):
        raise TimeoutError(f"still running after {HANG_SECONDS} s")
    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}: {c.name}")
def test_a_hostile_case_keeps_the_promise(case, stage, small_ceilings, hang_limit):
    run = case.build(stage)
    code, out, err = run_here(run)
    assert judge(run, code, out, err) == []
