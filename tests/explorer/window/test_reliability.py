"""A few rounds of the fault drills in tests/explorer/window/reliability.py (the benchmark runs many)."""
import numpy as np
import pytest

from tests.explorer.conftest import planted_corpus
from models.core.session import read_session, save_session
from tests.explorer.window.reliability import (close_during_training, drill_session, kill_during_save,
                                        kill_during_session_save, kill_session_save_at)


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


def test_a_session_save_killed_at_any_step_leaves_the_previous_session_whole(tmp_path):
    path = tmp_path / "s.eesession"
    save_session(path, drill_session(0))
    before = path.read_bytes()
    killed_at = []
    for point in range(1, 20):
        step = kill_session_save_at(path, point)
        if step is None:
            break
        killed_at.append(step)
        # Killed before the rename at the latest: the previous file, byte for byte.
        assert path.read_bytes() == before, f"killed at step {point} ({step})"
    else:
        raise AssertionError("the save never finished")
    assert {"progress", "fsync", "replace"} <= set(killed_at), killed_at
    back = read_session(path)          # and the save that was let finish replaced it
    assert back.state["selected"] == "w1" and back.models[0].note["name"] == "1 · sgns 1"


def test_killing_the_process_during_session_saves_leaves_a_session_that_opens(tmp_path):
    rng = np.random.default_rng(1)
    for delay in rng.uniform(0.5, 2.0, size=2):
        assert kill_during_session_save(tmp_path / "s.eesession", float(delay))
