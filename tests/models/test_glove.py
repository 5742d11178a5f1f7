import numpy as np
import pytest
import torch

from models.text import glove
from tests.models.planted import (assert_events_are_snapshots, assert_groups_separate, assert_round_trip,
                                  assert_run_stats, read_planted, run)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read_planted(tmp_path_factory)


def test_weighting_is_min_of_one_and_x_over_x_max_to_the_alpha():
    x = np.array([0.5, 1.0, 10.0, 99.0, 100.0, 250.0])
    expected = torch.clamp((torch.tensor(x) / 100.0) ** 0.75, max=1.0).numpy()
    np.testing.assert_allclose(glove.weighting(x, 100.0, 0.75), expected, rtol=1e-12)
    assert glove.weighting(100.0) == 1.0 and glove.weighting(1e6) == 1.0
    np.testing.assert_allclose(glove.weighting(x, 10.0, 0.5), np.minimum(1, np.sqrt(x / 10.0)))


def test_one_kernel_step_is_minus_lr_times_the_autograd_gradient():
    rng = np.random.default_rng(0)
    params = glove._Params(4, 6, rng)
    params.W[:] = rng.normal(size=params.W.shape) * 0.3
    params.C[:] = rng.normal(size=params.C.shape) * 0.3
    # Two nonzeros touching different rows, so the second step does not see the first one's update.
    rows, cols, x = np.array([0, 1], np.int32), np.array([2, 3], np.int32), np.array([3.0, 150.0])
    f = glove.weighting(x, 100.0, 0.75)
    W, C = torch.tensor(params.W, requires_grad=True), torch.tensor(params.C, requires_grad=True)
    bw, bc = torch.tensor(params.bw, requires_grad=True), torch.tensor(params.bc, requires_grad=True)
    diff = (W[rows] * C[cols]).sum(1) + bw[rows] + bc[cols] - torch.log(torch.tensor(x, dtype=torch.float32))
    loss = (0.5 * torch.tensor(f, dtype=torch.float32) * diff ** 2).sum()
    loss.backward()
    lr = 0.05
    got = params.step((rows, cols, np.log(x).astype(np.float32), f.astype(np.float32)), 0, 2, lr,
                      threads=1).sum()
    assert got == pytest.approx(loss.item(), rel=1e-5)
    for new, old in ((params.W, W), (params.C, C), (params.bw, bw), (params.bc, bc)):
        np.testing.assert_allclose(new, (old - lr * old.grad).detach().numpy(), rtol=1e-5, atol=1e-7)


@pytest.fixture(scope="module")
def trained(corpus):
    return run(glove.train(glove.GloVeConfig(dim=16, window=5, epochs=25, min_count=1, threads=1), corpus))


def test_glove_puts_group_members_closer_than_other_words(trained):
    model, events = trained
    assert_groups_separate(model.vectors)
    assert_events_are_snapshots(events)
    assert_run_stats(model.stats)
    np.testing.assert_array_equal(model.tensors["input"], model.tensors["words"] + model.tensors["output"])
    losses = [loss for _, loss in model.losses]
    assert losses[-1] < 0.5 * losses[0]


def test_glove_saves_and_loads_identically(trained, tmp_path):
    assert_round_trip(trained[0], tmp_path / "m")


def test_glove_is_deterministic_on_one_thread(corpus, trained):
    again, _ = run(glove.train(glove.GloVeConfig(dim=16, window=5, epochs=25, min_count=1, threads=1), corpus))
    np.testing.assert_array_equal(again.tensors["input"], trained[0].tensors["input"])


def test_stop_returns_the_model_trained_so_far(corpus):
    model, events = run(glove.train(glove.GloVeConfig(dim=16, epochs=1000, min_count=1, threads=1), corpus),
                        stop_when=lambda ev: ev.unit == "pairs" and ev.step > 0)
    assert model.stats["stopped_early"] and model.stats["epochs_done"] < 1000
    assert np.isfinite(model.tensors["input"]).all()


def test_pair_counts_are_the_nonzero_co_occurrences_glove_weighs(tmp_path_factory):
    from models.core.events import drain
    from models.text.corpus import read_corpus
    from models.text.glove import GloVeConfig, pair_counts

    path = tmp_path_factory.mktemp("pairs") / "c.txt"
    path.write_text("a b c\n")
    counts = drain(pair_counts(GloVeConfig(window=2, min_count=1), read_corpus(path)))
    # a-b and b-c 1 word apart count 1 each way, a-c 2 apart counts 1/2 each way
    assert sorted(counts.tolist()) == [0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
