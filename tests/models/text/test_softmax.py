import numpy as np
import pytest
import torch

from models.core.params import validate
from models.text import softmax
from tests.models.planted import (assert_events_are_snapshots, assert_groups_separate, assert_round_trip,
                                  assert_run_stats, read_planted, run)


def _config(**kw):
    base = dict(dim=16, steps=150, batch=256, min_count=1, lr=0.02, threads=1, device="cpu", seed=3)
    return softmax.SoftmaxConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read_planted(tmp_path_factory)


@pytest.fixture(scope="module")
def trained(corpus):
    return run(softmax.train(_config(), corpus))


def test_full_softmax_gradients_match_autograd():
    gen = torch.Generator().manual_seed(0)
    u = torch.randn(7, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    C = torch.randn(11, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    targets = torch.tensor([0, 3, 3, 10, 5, 1, 0])
    loss, du, dC = softmax.softmax_loss_and_grads(u.detach(), C.detach(), targets)
    reference = torch.nn.functional.cross_entropy(u @ C.T, targets)
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12)
    torch.testing.assert_close(du, u.grad)
    torch.testing.assert_close(dC, C.grad)


def test_drawn_pairs_stay_within_a_sentence_and_the_window():
    ids = np.arange(20, dtype=np.int32)                 # token i is word i: ids tell positions
    starts = np.array([0, 6, 13, 20], dtype=np.int64)
    centres, contexts = softmax._draw_pairs(ids, starts, np.ones(20, np.float32), 2, 5000, 1)
    sentence = np.searchsorted(starts, np.arange(20), side="right") - 1
    assert (sentence[centres] == sentence[contexts]).all()
    assert set(np.abs(centres - contexts)) == {1, 2}
    assert (np.abs(centres - contexts) == 1).mean() > 0.6     # near words are drawn more often


def test_full_softmax_puts_group_members_closer_than_other_words(trained):
    model, events = trained
    assert_groups_separate(model.vectors)
    assert_events_are_snapshots(events)
    assert_run_stats(model.stats)
    s = model.stats
    assert s["ms_per_step"] > 0 and s["pairs_per_second"] > 0 and s["steps_done"] == 150
    assert s["final_loss"] < np.log(24)        # better than guessing uniformly among 24 words


def test_full_softmax_saves_and_loads_identically(trained, tmp_path):
    assert_round_trip(trained[0], tmp_path / "m")


def test_full_softmax_is_deterministic(corpus, trained):
    again, _ = run(softmax.train(_config(), corpus))
    np.testing.assert_array_equal(again.tensors["input"], trained[0].tensors["input"])


def test_the_vocabulary_cap_is_enforced():
    with pytest.raises(ValueError, match="max_vocab must be at most"):
        validate(softmax.SoftmaxConfig(max_vocab=softmax.MAX_VOCAB + 1))


def test_stop_returns_the_model_trained_so_far(corpus):
    model, _ = run(softmax.train(_config(steps=100_000), corpus), stop_when=lambda ev: ev.step > 0)
    assert model.stats["stopped_early"] and model.stats["steps_done"] < 100_000
