"""A few rounds of the fault drills in tests/explorer/reliability.py (the benchmark runs many)."""
import numpy as np
import pytest

from tests.explorer.conftest import planted_corpus
from tests.explorer.reliability import close_during_training, kill_during_save


@pytest.mark.parametrize("delay", [0.05, 1.0, 2.5])
def test_closing_the_window_at_any_moment_of_training_exits_cleanly_within_two_seconds(tmp_path, delay):
    corpus = planted_corpus(tmp_path / "c.txt", lines=3000)
    end = close_during_training(corpus, delay)
    assert end["code"] == 0 and not end["bad"], end["stderr"]
    assert end["close_seconds"] < 2.0


def test_killing_the_process_during_saves_leaves_a_loadable_model(tmp_path):
    rng = np.random.default_rng(0)
    for delay in rng.uniform(0.5, 2.0, size=3):
        assert kill_during_save(tmp_path / "model", float(delay))
