"""FastText and GloVe stopped, saved and resumed give the run that never stopped; a model that
cannot be continued is refused with a reason."""
import numpy as np
import pytest

from models.core.events import drain
from models.core.loop import POINTS_PER_EPOCH
from models.errors import CorpusError, UserError
from models.loading import load_embedding
from models.text import fasttext, glove
from models.text.corpus import read_corpus
from tests.models.planted import planted_corpus
from tests.stopping import stopped, stopped_after


def fasttext_config(**kw):
    return fasttext.FastTextConfig(**{**dict(dim=16, buckets=2000, epochs=3, min_count=1, sample=1e-3, threads=1,
                                             seed=11), **kw})


def glove_config(**kw):
    return glove.GloVeConfig(**{**dict(dim=16, window=5, epochs=4, min_count=1, threads=1, seed=11), **kw})


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return read_corpus(planted_corpus(tmp_path_factory.mktemp("c") / "planted.txt", lines=1500))


@pytest.fixture(scope="module")
def zipf(tmp_path_factory):
    """150 words drawn by Zipf's law: thousands of co-occurring pairs, so GloVe's epochs are many
    calls long (the planted corpus has a few hundred pairs, one call's worth)."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(150)]
    p = 1.0 / np.arange(1, 151)
    path = tmp_path_factory.mktemp("z") / "zipf.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, size=10, p=p / p.sum())) for _ in range(600)) + "\n")
    return read_corpus(path)


def assert_same_run(resumed, straight):
    assert [x for x, _ in resumed.losses] == [x for x, _ in straight.losses]
    np.testing.assert_allclose([y for _, y in resumed.losses], [y for _, y in straight.losses], rtol=0, atol=1e-6)
    assert resumed.tensors.keys() == straight.tensors.keys()
    for name, t in straight.tensors.items():
        np.testing.assert_allclose(resumed.tensors[name], t, rtol=0, atol=1e-6, err_msg=name)
    assert not resumed.stats["stopped_early"] and resumed.stats["epochs_done"] == straight.stats["epochs_done"]


def test_fasttext_stopped_saved_and_resumed_twice_matches_the_run_straight_through(planted, tmp_path, monkeypatch):
    config = fasttext_config()
    straight = drain(fasttext.train(config, planted))
    # Calls shrinking to single sentences: cut points and call sizes unlike the straight run's.
    monkeypatch.setattr(fasttext, "FIRST_CHUNK", 40)
    monkeypatch.setattr(fasttext, "CHUNK_SECONDS", 1e-6)
    first = stopped_after(fasttext, config, planted, 7)
    assert first.stats["stopped_early"] and first.state["epoch"] == 0 and 0 < first.state["sentence"]
    first.save(tmp_path / "a")
    monkeypatch.setattr(fasttext, "FIRST_CHUNK", 10_000)     # the rest of epoch 1, then shrinking calls
    second = stopped_after(fasttext, config, planted, 4, resume=load_embedding(tmp_path / "a"))
    assert second.state["epoch"] == 1 and 0 < second.state["sentence"]
    assert second.stats["resumed_at_words"] == first.stats["words_done"]
    second.save(tmp_path / "b")
    resumed = drain(fasttext.train(config, planted, load_embedding(tmp_path / "b")))

    assert isinstance(resumed, fasttext.FastTextEmbedding)
    assert len(straight.losses) > 3 * (POINTS_PER_EPOCH // 2)
    assert_same_run(resumed, straight)
    assert resumed.stats["words_done"] == straight.stats["words_done"]
    np.testing.assert_allclose(resumed.vectors.vector("animal123"), straight.vectors.vector("animal123"), atol=1e-6)


def test_glove_stopped_saved_and_resumed_twice_matches_the_run_straight_through(zipf, tmp_path, monkeypatch):
    config = glove_config()
    straight = drain(glove.train(config, zipf))
    # Calls of a few entries to a few hundred: cut points unlike the straight run's.
    monkeypatch.setattr(glove, "FIRST_CHUNK", 300)
    monkeypatch.setattr(glove, "MIN_CHUNK", 7)
    monkeypatch.setattr(glove, "CHUNK_SECONDS", 1e-6)
    first = stopped_after(glove, config, zipf, 5)
    assert first.stats["stopped_early"] and first.state["epoch"] == 0 and 0 < first.state["entry"]
    first.save(tmp_path / "a")
    monkeypatch.setattr(glove, "FIRST_CHUNK", 10**6)         # the rest of epoch 1, then shrinking calls
    second = stopped_after(glove, config, zipf, 3, resume=load_embedding(tmp_path / "a"))
    assert second.state["epoch"] == 1 and 0 < second.state["entry"]
    assert second.stats["resumed_at_pairs"] == first.stats["pairs_done"]
    second.save(tmp_path / "b")
    resumed = drain(glove.train(config, zipf, load_embedding(tmp_path / "b")))

    assert len(straight.losses) == 4 * POINTS_PER_EPOCH
    assert {"words_gradsq", "output_gradsq", "word_bias_gradsq", "context_bias_gradsq"} <= straight.tensors.keys()
    assert_same_run(resumed, straight)
    assert resumed.stats["pairs_done"] == straight.stats["pairs_done"] == 4 * straight.stats["nonzeros"]


def test_glove_stopped_while_counting_resumes_to_the_straight_run(zipf):
    config = glove_config(epochs=2)
    straight = drain(glove.train(config, zipf))
    gen = glove.train(config, zipf)
    while "co-occurrences" not in (next(gen).message or ""):
        pass
    cut = stopped(gen, most=3)
    assert cut.stats["epochs_done"] == 0 and not cut.losses and cut.state["corpus_entries"] == 0
    assert_same_run(drain(glove.train(config, zipf, cut)), straight)


def test_glove_continued_for_more_epochs_is_the_longer_run(zipf):
    """AdaGrad's rate does not decay with the planned epochs, so 2 + 2 epochs are 4 epochs."""
    two = drain(glove.train(glove_config(epochs=2), zipf))
    with pytest.raises(UserError, match="Raise Epochs"):
        drain(glove.train(glove_config(epochs=2), zipf, two))
    four = drain(glove.train(glove_config(epochs=4), zipf, two))
    assert four.losses[:len(two.losses)] == two.losses
    assert four.stats["resumed_at_pairs"] == two.stats["pairs_done"]
    assert_same_run(four, drain(glove.train(glove_config(epochs=4), zipf)))


def test_a_finished_fasttext_model_continues_only_for_more_epochs(planted):
    done = drain(fasttext.train(fasttext_config(epochs=1), planted))
    with pytest.raises(UserError, match="Raise Epochs"):
        drain(fasttext.train(fasttext_config(epochs=1), planted, done))
    more = drain(fasttext.train(fasttext_config(epochs=2), planted, done))
    assert more.stats["epochs_done"] == 2 and more.stats["resumed_at_words"] == done.stats["words_done"]
    assert more.losses[:len(done.losses)] == done.losses and len(more.losses) > len(done.losses)


CASES = {"fasttext": (fasttext, fasttext_config, "planted", dict(buckets=3000), "glove"),
         "glove": (glove, glove_config, "zipf", dict(window=3), "fasttext")}


@pytest.mark.parametrize("name", list(CASES))
def test_resuming_is_refused_with_a_reason(name, request, tmp_path):
    module, config, corpus_name, changed, other = CASES[name]
    corpus = request.getfixturevalue(corpus_name)
    cut = stopped_after(module, config(), corpus, 2)
    assert cut.state and cut.stats["stopped_early"]

    with pytest.raises(UserError, match="dimensions") as e:
        drain(module.train(config(dim=8), corpus, cut))
    assert e.value.hint
    setting = next(iter(changed))
    with pytest.raises(UserError, match=f"Keep {setting} at"):
        drain(module.train(config(**changed), corpus, cut))
    stateless = type(cut)(cut.model, cut.config, cut.vocab, cut.tensors, cut.stats, cut.losses, {})
    with pytest.raises(UserError, match="no training state"):
        drain(module.train(config(), corpus, stateless))
    other_model = stopped_after(CASES[other][0], CASES[other][1](), corpus, 1)
    with pytest.raises(UserError, match=f"cannot be continued as '{name}'"):
        drain(module.train(config(), corpus, other_model))

    fewer = tmp_path / "fewer.txt"
    fewer.write_text("\n".join(" ".join(s) for s in corpus.sentences[:300]) + "\n")
    with pytest.raises(CorpusError, match="not the corpus this model was trained on"):
        drain(module.train(config(), read_corpus(fewer), cut))
    # the model given is never changed by a refusal or by being continued
    before = {k: v.copy() for k, v in cut.tensors.items()}
    drain(module.train(config(), corpus, cut))
    for k, v in before.items():
        np.testing.assert_array_equal(cut.tensors[k], v)


def test_glove_refuses_a_corpus_of_the_same_size_with_other_pairs(zipf, tmp_path):
    """Same sentences and word counts, words moved between sentences: only the pairs differ."""
    cut = stopped_after(glove, glove_config(), zipf, 2)
    words = [w for s in zipf.sentences for w in s]
    moved = np.random.default_rng(1).permutation(words).reshape(len(zipf.sentences), -1)
    other = tmp_path / "moved.txt"
    other.write_text("\n".join(" ".join(s) for s in moved) + "\n")
    with pytest.raises(CorpusError, match="co-occurring pairs"):
        drain(glove.train(glove_config(), read_corpus(other), cut))
