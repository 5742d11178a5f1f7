"""Stopping skip-gram or CBOW, saving, and continuing later gives the run that never stopped."""
import numpy as np
import pytest

from models.core.events import drain
from models.core.loop import POINTS_PER_EPOCH
from models.errors import CorpusError, UserError
from models.loading import load_embedding
from models.text import word2vec
from models.text.corpus import read_corpus
from models.text.word2vec import CBOWConfig, SGNSConfig
from tests.explorer.conftest import planted_corpus
from tests.stopping import stopped_after


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Calls of a few dozen sentences, so a Stop lands inside an epoch of the small corpus."""
    monkeypatch.setattr(word2vec, "FIRST_CHUNK", 40)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read_corpus(planted_corpus(tmp_path_factory.mktemp("c") / "planted.txt", lines=1500))


@pytest.mark.parametrize("config_cls", [SGNSConfig, CBOWConfig])
def test_a_run_stopped_saved_and_resumed_twice_matches_the_run_straight_through(corpus, config_cls, tmp_path,
                                                                                monkeypatch):
    config = config_cls(dim=16, epochs=3, min_count=1, threads=1, seed=11)
    straight = drain(word2vec.train(config, corpus))
    # Chunks shrinking to single sentences: cut points and call sizes unlike the straight run's.
    monkeypatch.setattr(word2vec, "CHUNK_SECONDS", 1e-6)
    first = stopped_after(word2vec, config, corpus, 7)
    assert first.stats["stopped_early"] and first.state["epoch"] == 0 and 0 < first.state["sentence"]
    first.save(tmp_path / "a")
    monkeypatch.setattr(word2vec, "FIRST_CHUNK", 10_000)     # the rest of epoch 1, then shrinking calls
    second = stopped_after(word2vec, config, corpus, 4, resume=load_embedding(tmp_path / "a"))
    assert second.state["epoch"] == 1 and 0 < second.state["sentence"]
    second.save(tmp_path / "b")
    resumed = drain(word2vec.train(config, corpus, load_embedding(tmp_path / "b")))

    assert len(straight.losses) == 3 * POINTS_PER_EPOCH or len(straight.losses) > 3 * (POINTS_PER_EPOCH // 2)
    assert [s for s, _ in resumed.losses] == [s for s, _ in straight.losses]
    np.testing.assert_allclose([x for _, x in resumed.losses], [x for _, x in straight.losses], rtol=0, atol=1e-6)
    np.testing.assert_allclose(resumed.tensors["input"], straight.tensors["input"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(resumed.tensors["output"], straight.tensors["output"], rtol=0, atol=1e-6)
    assert resumed.stats["words_done"] == straight.stats["words_done"] and not resumed.stats["stopped_early"]


def test_a_different_seed_after_resuming_gives_a_different_curve(corpus):
    """The check above can fail: resuming with another seed leaves the straight run's path."""
    config = SGNSConfig(dim=16, epochs=2, min_count=1, threads=1, seed=11)
    straight = drain(word2vec.train(config, corpus))
    cut = stopped_after(word2vec, config, corpus, 3)
    other = drain(word2vec.train(SGNSConfig(dim=16, epochs=2, min_count=1, threads=1, seed=12), corpus, cut))
    assert not np.allclose([x for _, x in other.losses], [x for _, x in straight.losses], atol=1e-6)


def test_a_finished_model_continues_only_for_more_epochs(corpus):
    config = SGNSConfig(dim=16, epochs=1, min_count=1, threads=1)
    done = drain(word2vec.train(config, corpus))
    with pytest.raises(UserError, match="Raise Epochs"):
        drain(word2vec.train(config, corpus, done))
    more = drain(word2vec.train(SGNSConfig(dim=16, epochs=2, min_count=1, threads=1), corpus, done))
    assert more.stats["epochs_done"] == 2 and more.stats["resumed_at_words"] == done.stats["words_done"]
    assert more.losses[:len(done.losses)] == done.losses and len(more.losses) > len(done.losses)


def test_resuming_is_refused_with_a_reason_for_another_corpus_kind_or_size(corpus, tmp_path):
    config = SGNSConfig(dim=16, epochs=2, min_count=1, threads=1)
    cut = stopped_after(word2vec, config, corpus, 2)
    other = tmp_path / "other.txt"
    other.write_text("\n".join(" ".join(s) for s in corpus.sentences[:300]) + "\n")
    with pytest.raises(CorpusError, match="not the corpus this model was trained on"):
        drain(word2vec.train(config, read_corpus(other), cut))
    with pytest.raises(UserError, match="cannot be continued as 'cbow'"):
        drain(word2vec.train(CBOWConfig(dim=16, epochs=2, min_count=1), corpus, cut))
    with pytest.raises(UserError, match="dimensions"):
        drain(word2vec.train(SGNSConfig(dim=8, epochs=2, min_count=1), corpus, cut))
