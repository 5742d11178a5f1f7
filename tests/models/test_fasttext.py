import numpy as np
import pytest

from models.errors import UnknownWordError
from models.loading import load_embedding
from models.text import fasttext
from tests.models.planted import (GROUP_A, GROUP_B, assert_events_are_snapshots, assert_groups_separate,
                                  assert_round_trip, assert_run_stats, read_planted, run)


def _config(**kw):
    base = dict(dim=16, buckets=2000, epochs=3, min_count=1, sample=1e-3, threads=1, seed=2)
    return fasttext.FastTextConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read_planted(tmp_path_factory)


@pytest.fixture(scope="module")
def trained(corpus):
    return run(fasttext.train(_config(), corpus))


def test_trigrams_of_chicken_are_those_of_the_marked_word():
    assert fasttext.char_ngrams("chicken", 3, 3) == ["<ch", "chi", "hic", "ick", "cke", "ken", "en>"]


def test_ngrams_of_every_length_come_by_start_position_then_length():
    grams = fasttext.char_ngrams("cat", 3, 6)
    assert grams == ["<ca", "<cat", "<cat>", "cat", "cat>", "at>"]
    assert fasttext.char_ngrams("chicken", 3, 6).count("<chick") == 1
    assert all(3 <= len(g) <= 6 for g in fasttext.char_ngrams("chicken", 3, 6))
    assert fasttext.char_ngrams("a", 4, 6) == []


def test_buckets_are_stable_and_in_range():
    assert fasttext.bucket("<ch", 1000) == fasttext.bucket("<ch", 1000)
    rows = [fasttext.bucket(g, 97) for g in fasttext.char_ngrams("internationalisation", 3, 6)]
    assert min(rows) >= 0 and max(rows) < 97 and len(set(rows)) > 20


def test_fasttext_puts_group_members_closer_than_other_words(trained):
    model, events = trained
    assert isinstance(model, fasttext.FastTextEmbedding)
    assert_groups_separate(model.vectors)
    assert_events_are_snapshots(events)
    assert_run_stats(model.stats)
    assert model.tensors["ngrams"].shape == (2000, 16) and model.tensors["input"].shape == (24, 16)


def test_a_known_word_is_the_mean_of_its_own_and_its_ngram_vectors(trained):
    model, _ = trained
    word = GROUP_A[3]
    rows = fasttext.ngram_rows(word, model.config)
    own = model.tensors["words"][model.vocab.id(word)]
    expected = (own + model.tensors["ngrams"][rows].sum(0)) / (1 + len(rows))
    np.testing.assert_allclose(model.vectors.vector(word), expected, rtol=1e-5, atol=1e-7)


def test_an_unseen_word_gets_the_mean_of_its_ngram_vectors(trained):
    model, _ = trained
    assert "animal123" not in model.vectors
    rows = fasttext.ngram_rows("animal123", model.config)
    np.testing.assert_allclose(model.vectors.vector("animal123"), model.tensors["ngrams"][rows].mean(0),
                               rtol=1e-6)
    near = [w for w, _ in model.vectors.nearest("animal123", 5)]
    assert sum(w in GROUP_A for w in near) >= 4, near       # it shares its n-grams with the animals
    with pytest.raises(UnknownWordError):
        model.vectors.vector("")


def test_fasttext_saves_and_loads_identically_unseen_words_included(trained, tmp_path):
    model, _ = trained
    assert_round_trip(model, tmp_path / "m")
    back = load_embedding(tmp_path / "m")
    np.testing.assert_array_equal(back.vectors.vector("number77"), model.vectors.vector("number77"))
    assert back.vectors.nearest("number77", 5) == model.vectors.nearest("number77", 5)


def test_fasttext_is_deterministic_on_one_thread(corpus, trained):
    again, _ = run(fasttext.train(_config(), corpus))
    np.testing.assert_array_equal(again.tensors["input"], trained[0].tensors["input"])


def test_without_ngrams_it_is_plain_skip_gram(corpus):
    model, _ = run(fasttext.train(_config(max_n=0, epochs=2), corpus))
    np.testing.assert_array_equal(model.tensors["input"], model.tensors["words"])
    with pytest.raises(UnknownWordError):
        model.vectors.vector("animal123")
    assert model.vectors.nearest(GROUP_B[0], 3)


def test_stop_returns_the_model_trained_so_far(corpus):
    model, _ = run(fasttext.train(_config(epochs=500), corpus), stop_when=lambda ev: ev.epochs > 0 and ev.step > 0)
    assert model.stats["stopped_early"] and model.stats["epochs_done"] < 500 and model.stats["words_done"] > 0
    assert np.isfinite(model.tensors["input"]).all()
