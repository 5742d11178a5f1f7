import numpy as np
import pytest

from models.errors import UserError
from models.text.negatives import ScoredSample, draw_sample, sigma_scores, watch
from models.text.word2vec import SGNSConfig
from tests.models.planted import GROUP_A, read_planted, run

CONFIG = SGNSConfig(dim=16, epochs=40, min_count=1, sample=0.0, threads=1)


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    corpus = read_planted(tmp_path_factory, lines=1500)
    # a pause every 20 ms: at 0.2 s a quiet machine finished the run with only two samples
    model, events = run(watch(CONFIG, corpus, centre=GROUP_A[0], every=0.02))
    return corpus, model, [e for e in events if isinstance(e, ScoredSample)]


def test_the_sample_is_words_seen_beside_the_centre_word_and_negatives_from_elsewhere(watched):
    corpus, model, samples = watched
    beside = set()
    for sentence in corpus.sentences:
        for i, w in enumerate(sentence):
            if w == GROUP_A[0]:
                beside.update(sentence[max(0, i - CONFIG.window):i] + sentence[i + 1:i + 1 + CONFIG.window])
    s = samples[-1]
    contexts, negatives = [w for w, _ in s.contexts], [w for w, _ in s.negatives]
    assert len(contexts) == 5 and set(contexts) <= beside - {GROUP_A[0]}
    assert len(negatives) == 5 and not set(negatives) & set(contexts) and GROUP_A[0] not in negatives


def test_scores_are_taken_as_training_goes_and_separate_contexts_from_negatives(watched):
    _, model, samples = watched
    assert len(samples) >= 3
    assert [s.step for s in samples] == sorted(s.step for s in samples)
    first, last = samples[0], samples[-1]
    assert last.step == last.total_steps and model.stats["epochs_done"] == CONFIG.epochs
    assert [w for w, _ in first.negatives] == [w for w, _ in last.negatives]    # the same pairs, re-scored
    assert last.contexts == sigma_scores(model, GROUP_A[0], tuple(w for w, _ in last.contexts))
    ctx = np.mean([v for _, v in last.contexts])
    # Negatives from the other group never share a sentence with the centre word: pushed to 0.
    other = [v for w, v in last.negatives if w not in GROUP_A]
    assert other and max(other) < 0.05 and ctx > max(other) + 0.2


def test_an_unknown_centre_word_is_named(watched):
    corpus, model, _ = watched
    with pytest.raises(UserError, match="zebra"):
        draw_sample(corpus, model.vocab, "zebra", 5, 5, 1)
