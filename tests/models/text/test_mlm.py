import numpy as np
import pytest
import torch

from models.core.events import drain
from models.errors import UnknownWordError, UserError
from models.text.corpus import read_corpus
from models.text.mlm import (IGNORE, MASK, PAD, SPECIALS, MLMConfig, TrainedMLM, contextual_vectors,
                             encode_sequences, mask_tokens, train, word_similarity)
from tests.explorer.conftest import GROUP_A, GROUP_B, planted_corpus
from tests.stopping import stopped_at_step

TINY = dict(dim=16, layers=1, heads=2, ff=32, max_len=16, min_count=1, steps=60, batch=32, threads=1,
            device="cpu", seed=2)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read_corpus(planted_corpus(tmp_path_factory.mktemp("c") / "planted.txt", lines=600))


@pytest.fixture(scope="module")
def trained(corpus):
    return drain(train(MLMConfig(**TINY), corpus))


def test_masking_follows_bert_80_10_10_on_a_big_sample():
    vocab_size = 1000
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(len(SPECIALS), vocab_size, (2000, 100), generator=g)
    ids[:, 90:] = PAD
    before = ids.clone()
    inputs, labels = mask_tokens(ids, vocab_size, 0.15, g)
    assert torch.equal(ids, before)                         # the input is not modified
    chosen = labels != IGNORE
    real = ids != PAD
    assert not chosen[~real].any()                          # padding is never chosen
    assert chosen.sum() / real.sum() == pytest.approx(0.15, abs=0.005)
    assert torch.equal(labels[chosen], ids[chosen])
    n = chosen.sum().item()
    masked = (inputs[chosen] == MASK).sum().item() / n
    kept = (inputs[chosen] == ids[chosen]).sum().item() / n
    randomised = 1 - masked - kept
    assert masked == pytest.approx(0.8, abs=0.01)
    # a random word equals the original one time in ~vocab_size
    assert kept == pytest.approx(0.1 + 0.1 / (vocab_size - len(SPECIALS)), abs=0.006)
    assert randomised == pytest.approx(0.1, abs=0.006)
    assert (inputs[chosen] >= len(SPECIALS)).float().mean() == pytest.approx(0.2, abs=0.01)
    assert torch.equal(inputs[~chosen], ids[~chosen])       # nothing else changes


def test_sentences_are_packed_into_rows_cut_when_too_long_and_unknown_words_read_as_unk():
    seqs = encode_sequences([["a", "b", "zzz", "a", "b"], ["a"], ["b", "a"], ["b"]], {"a": 3, "b": 4}, max_len=3)
    assert seqs.tolist() == [[3, 4, 1], [3, 4, 3], [4, 3, 4]]
    assert encode_sequences([["a", "b"], ["a", "a"], ["b"]], {"a": 3, "b": 4}, max_len=3).tolist() == [
        [3, 4, PAD], [3, 3, 4]]


def test_training_lowers_the_loss_and_reports_masked_accuracy(trained):
    s = trained.stats
    assert trained.losses[0][1] > trained.losses[-1][1]
    assert 0.0 <= s["masked_accuracy"] <= 1.0 and s["held_out_sequences"] > 0
    assert 0.0 <= s["most_frequent_word_accuracy"] <= 1.0
    assert s["steps_done"] == TINY["steps"] and s["vocab_size"] == len(GROUP_A) + len(GROUP_B)


def test_one_word_gets_different_vectors_in_different_sentences_and_equal_ones_in_equal_sentences(trained):
    a = contextual_vectors(trained, [GROUP_A[0], GROUP_A[1], GROUP_A[2]])
    b = contextual_vectors(trained, [GROUP_B[0], GROUP_A[1], GROUP_B[2]])
    a2 = contextual_vectors(trained, [GROUP_A[0], GROUP_A[1], GROUP_A[2]])
    assert a.shape == (3, TINY["dim"])
    assert not np.allclose(a[1], b[1], atol=1e-3)
    assert np.array_equal(a, a2)


def test_similarity_matrix_of_a_word_across_sentences(trained):
    sims = word_similarity(trained, GROUP_A[1], [f"{GROUP_A[0]} {GROUP_A[1]}", f"{GROUP_B[0]} {GROUP_A[1]}",
                                                 f"{GROUP_A[0]} {GROUP_A[1]}"])
    assert sims.shape == (3, 3)
    assert np.allclose(np.diag(sims), 1.0, atol=1e-5) and np.allclose(sims, sims.T, atol=1e-6)
    assert sims[0, 2] == pytest.approx(1.0, abs=1e-5) and sims[0, 1] < 0.9999


def test_unknown_word_and_a_sentence_without_the_word_are_user_errors(trained):
    with pytest.raises(UnknownWordError, match="chicken"):
        word_similarity(trained, "chicken", ["chicken soup"])
    with pytest.raises(UserError, match=f"does not occur in the sentence \"{GROUP_B[0]} {GROUP_B[1]}\""):
        word_similarity(trained, GROUP_A[0], [f"{GROUP_A[0]} {GROUP_A[1]}", f"{GROUP_B[0]} {GROUP_B[1]}"])


def test_save_and_load_give_identical_contextual_vectors(trained, tmp_path):
    trained.save(tmp_path / "m")
    again = TrainedMLM.load(tmp_path / "m")
    words = [GROUP_A[3], GROUP_B[4], "unseen", GROUP_A[5]]
    assert np.array_equal(contextual_vectors(trained, words), contextual_vectors(again, words))
    assert again.stats == trained.stats and again.vocab.words == trained.vocab.words


def test_stop_ends_training_early_and_keeps_the_model(corpus):
    gen = train(MLMConfig(**{**TINY, "steps": 10_000}), corpus)
    model = stopped_at_step(gen, 3)
    assert model.stats["stopped_early"] and model.stats["steps_done"] < 10
    assert contextual_vectors(model, [GROUP_A[0]]).shape == (1, TINY["dim"])


def test_heads_that_do_not_divide_the_size_are_refused(corpus):
    with pytest.raises(UserError, match="heads"):
        drain(train(MLMConfig(**{**TINY, "heads": 3}), corpus))
