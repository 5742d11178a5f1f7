import numpy as np
import pytest

from models.core.params import validate
from models.text import onehot
from models.text.corpus import read_corpus
from tests.models.planted import GROUP_A, assert_round_trip, assert_run_stats, read_planted, run


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return run(onehot.train(onehot.OneHotConfig(min_count=1), read_planted(tmp_path_factory)))


def test_every_two_different_words_are_at_cosine_zero(trained):
    model, events = trained
    v = model.vectors
    assert v.dim == len(v) == 24
    sims = v.unit @ v.unit.T
    np.testing.assert_array_equal(sims, np.eye(24))
    assert [s for _, s in v.nearest(GROUP_A[0], 5)] == [0.0] * 5
    assert_run_stats(model.stats)
    assert events[-1].snapshot is not None and events[-1].snapshot.shape == (24, 24)


def test_the_vocabulary_is_capped(tmp_path_factory):
    model, _ = run(onehot.train(onehot.OneHotConfig(min_count=1, max_vocab=10), read_planted(tmp_path_factory)))
    assert len(model.vocab) == 10 and model.tensors["input"].shape == (10, 10)
    with pytest.raises(ValueError, match="max_vocab must be at most"):
        validate(onehot.OneHotConfig(max_vocab=onehot.MAX_VOCAB + 1))


def test_one_hot_saves_and_loads_identically(trained, tmp_path):
    assert_round_trip(trained[0], tmp_path / "m")


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_identity_table_holds_words_past_the_cap_at_their_frequency_rank(tmp_path):
    # "rare" is seen once: past any cap of the one-hot model, yet it has a one-hot vector.
    corpus = read_corpus(write_lines(tmp_path / "c.txt", ["a a a b b rare", "a b c c"]))
    table = onehot.identity_table(corpus, ["rare", "a", "nowhere", "c"])
    assert table.words == ["rare", "a", "c"] and table.missing == ["nowhere"]
    assert table.dims == [4 - 1, 0, 2] and table.counts == [1, 4, 2]
    assert table.vocab_size == 4
    np.testing.assert_array_equal(table.matrix, np.eye(3))
