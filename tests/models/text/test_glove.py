import numpy as np
import pytest
import torch

from models.core.events import drain
from models.text import glove
from models.text.corpus import read_corpus
from tests.models.planted import (RARE_GROUPS, assert_events_are_snapshots, assert_round_trip, assert_run_stats,
                                  rare_groups_corpus, read_planted, run)

SMALL = dict(dim=16, window=5, epochs=25, min_count=1, threads=1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read_planted(tmp_path_factory)


@pytest.fixture(scope="module")
def rare_groups(tmp_path_factory):
    # Not the two-group corpus of the other models' tests: its groups never share a line, so every
    # nonzero count lies inside a group and is about the same, the biases alone fit them all, and
    # GloVe, which learns from the nonzeros only, has nothing to tell the groups apart by.
    return read_corpus(rare_groups_corpus(tmp_path_factory.mktemp("rare") / "rare.txt"))


def _group_scores(vectors):
    """(share of each group word's 5 nearest words in its group, mean cosine inside, mean across)."""
    share = np.mean([sum(n in g for n, _ in vectors.nearest(w, 5)) / 5 for g in RARE_GROUPS for w in g])
    inside = np.mean([vectors.similarity(g[0], w) for g in RARE_GROUPS for w in g[1:]])
    across = np.mean([vectors.similarity(g[0], w) for g in RARE_GROUPS for h in RARE_GROUPS if h is not g
                      for w in h])
    return share, inside, across


def test_weighting_is_min_of_one_and_x_over_x_max_to_the_alpha():
    x = np.array([0.5, 1.0, 10.0, 99.0, 100.0, 250.0])
    expected = torch.clamp((torch.tensor(x) / 100.0) ** 0.75, max=1.0).numpy()
    np.testing.assert_allclose(glove.weighting(x, 100.0, 0.75), expected, rtol=1e-12)
    assert glove.weighting(100.0, 100.0) == 1.0 and glove.weighting(1e6, 100.0) == 1.0
    np.testing.assert_allclose(glove.weighting(x, 10.0, 0.5), np.minimum(1, np.sqrt(x / 10.0)))


def test_one_kernel_step_is_minus_lr_times_the_gradient_for_vectors_and_minus_the_gradient_for_biases():
    # glove.c's rates: the biases step at 1, twenty times the vectors' 0.05, so they can take up
    # each word's log frequency before the vectors do.
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
    for new, old, rate in ((params.W, W, lr), (params.C, C, lr), (params.bw, bw, 1.0), (params.bc, bc, 1.0)):
        np.testing.assert_allclose(new, (old - rate * old.grad).detach().numpy(), rtol=1e-5, atol=1e-7)


@pytest.fixture(scope="module")
def trained(rare_groups):
    return run(glove.train(glove.GloVeConfig(**SMALL), rare_groups))


def test_glove_puts_group_members_closer_than_other_words(trained):
    model, events = trained
    share, inside, across = _group_scores(model.vectors)
    assert share >= 0.9 and inside > across + 0.3, (share, inside, across)
    assert_events_are_snapshots(events)
    assert_run_stats(model.stats)
    np.testing.assert_array_equal(model.tensors["input"], model.tensors["words"] + model.tensors["output"])
    losses = [loss for _, loss in model.losses]
    assert losses[-1] < 0.5 * losses[0]


def test_glove_saves_and_loads_identically(trained, tmp_path):
    assert_round_trip(trained[0], tmp_path / "m")


def test_glove_is_deterministic_on_one_thread(rare_groups, trained):
    again, _ = run(glove.train(glove.GloVeConfig(**SMALL), rare_groups))
    np.testing.assert_array_equal(again.tensors["input"], trained[0].tensors["input"])


def test_stop_returns_the_model_trained_so_far(corpus):
    model, events = run(glove.train(glove.GloVeConfig(dim=16, epochs=1000, min_count=1, threads=1), corpus),
                        stop_when=lambda ev: ev.unit == "pairs" and ev.step > 0)
    assert model.stats["stopped_early"] and model.stats["epochs_done"] < 1000
    assert np.isfinite(model.tensors["input"]).all()


def test_weighting_of_the_default_x_max_gives_most_pairs_of_a_small_corpus_real_weight():
    # Most pairs of a corpus of a few million tokens co-occur less than once (1/d weighting):
    # at x_max 100 a pair seen 0.5 times weighs 0.019, at the default it weighs over 0.05.
    x_max = glove.GloVeConfig().x_max
    assert glove.weighting(0.5, x_max) > glove.LIGHT_WEIGHT
    assert glove.weighting(x_max / 2, x_max) == pytest.approx(0.5 ** 0.75)
    assert glove.weighting(x_max, x_max) == 1.0


def test_warning_names_the_share_of_light_pairs_when_most_are_light():
    light = glove.weighting(np.full(9, 0.5), 100.0)
    warning = glove.weight_warning(np.concatenate([light, [1.0]]), 100.0)
    assert "90%" in warning and "x_max 100" in warning
    assert glove.weight_warning(glove.weighting(np.full(9, 0.5), 10.0), 10.0) == ""


def test_defaults_gather_words_of_middling_frequency_into_their_groups(rare_groups):
    model = drain(glove.train(glove.GloVeConfig(min_count=1, threads=1), rare_groups))
    share, inside, across = _group_scores(model.vectors)
    # Group words share their filler contexts, so a high cosine across groups is right; the
    # nearest words are what must be in the group (a third or less at the old x_max 100).
    assert share >= 0.9, share
    assert inside > across + 0.2, (inside, across)


def test_fast_biases_keep_rare_words_off_one_shared_direction(rare_groups):
    # x_max 100 here weighs the group pairs at about 0.03: with biases stepping as slowly as the
    # vectors, the rare words' log frequency went into the vectors, every group word along the
    # same direction (cosine about 0.7 across groups); glove.c's bias rate keeps them apart.
    model = drain(glove.train(glove.GloVeConfig(min_count=1, threads=1, x_max=100.0, epochs=10), rare_groups))
    _, _, across = _group_scores(model.vectors)
    assert abs(across) < 0.2, across


def test_progress_line_carries_the_warning_through_a_run_with_light_pairs(rare_groups):
    _, heavy = run(glove.train(glove.GloVeConfig(min_count=1, threads=1, epochs=1), rare_groups))
    _, light = run(glove.train(glove.GloVeConfig(min_count=1, threads=1, epochs=1, x_max=100.0), rare_groups))
    training = [ev for ev in light if ev.unit == "pairs"]
    assert training and all("weigh under" in ev.message for ev in training)
    assert not any("weigh under" in ev.message for ev in heavy)


def test_pair_counts_are_the_nonzero_co_occurrences_glove_weighs(tmp_path_factory):
    from models.core.events import drain
    from models.text.corpus import read_corpus
    from models.text.glove import GloVeConfig, pair_counts

    path = tmp_path_factory.mktemp("pairs") / "c.txt"
    path.write_text("a b c\n")
    counts = drain(pair_counts(GloVeConfig(window=2, min_count=1), read_corpus(path)))
    # a-b and b-c 1 word apart count 1 each way, a-c 2 apart counts 1/2 each way
    assert sorted(counts.tolist()) == [0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
