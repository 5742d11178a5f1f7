import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.errors import CorpusError
from models.text.corpus import read_corpus, tokenize
from models.text.vocab import build_vocab, encode


def test_tokenize_lowercases_drops_punctuation_keeps_inner_apostrophes():
    assert tokenize("Don't stop: Chicago, IL's 2nd city!") == ["don't", "stop", "chicago", "il's", "2nd", "city"]


def test_reads_plain_and_gzip_files_the_same(tmp_path):
    text = "The cat sat.\nThe dog ran far away.\n"
    (tmp_path / "a.txt").write_text(text)
    with gzip.open(tmp_path / "a.txt.gz", "wt") as f:
        f.write(text)
    plain, packed = read_corpus(tmp_path / "a.txt"), read_corpus(tmp_path / "a.txt.gz")
    assert plain.sentences == packed.sentences == [["the", "cat", "sat"], ["the", "dog", "ran", "far", "away"]]


def test_long_lines_are_split_into_windows_of_at_most_1000_words(tmp_path):
    (tmp_path / "long.txt").write_text(" ".join(["word"] * 2500))
    assert [len(s) for s in read_corpus(tmp_path / "long.txt").sentences] == [1000, 1000, 500]


@pytest.mark.parametrize("make, phrase", [
    (lambda p: p, "not found"),
    (lambda p: (p.mkdir(), p)[1], "is a folder"),
    (lambda p: (p.write_bytes(b""), p)[1], "is empty"),
    (lambda p: (p.write_bytes(bytes(range(256)) * 64), p)[1], "binary"),
    (lambda p: (p.write_text("... !!! ,,,\n"), p)[1], "no words"),
    (lambda p: (p.write_bytes(gzip.compress(b"hello world " * 1000)[:40]), p)[1], "Could not read"),
])
def test_bad_corpus_files_raise_a_clear_error_naming_the_file(tmp_path, make, phrase):
    path = make(tmp_path / "corpus.txt.gz" if phrase == "Could not read" else tmp_path / "corpus.txt")
    with pytest.raises(CorpusError) as info:
        read_corpus(path)
    assert phrase in str(info.value) and str(path) in str(info.value)


def test_a_nul_byte_past_the_first_64_kb_still_makes_the_file_binary(tmp_path):
    text = b"The cat sat on the mat.\n" * 4000          # 96 KB: past the window control characters are judged on
    (tmp_path / "c.txt").write_bytes(text[:90_000] + b"\x00" + text[90_000:])
    with pytest.raises(CorpusError, match=r"c.txt looks like a binary file, not text \(a NUL byte at byte 90,000"):
        read_corpus(tmp_path / "c.txt")


def test_text_that_is_not_utf8_is_read_as_cp1252_and_says_so(tmp_path):
    (tmp_path / "latin.txt").write_bytes("café au lait\nnaïve résumé\n".encode("cp1252"))
    corpus = read_corpus(tmp_path / "latin.txt")
    assert corpus.sentences == [["café", "au", "lait"], ["naïve", "résumé"]]
    assert corpus.notes and "not valid UTF-8" in corpus.notes[0] and "line 1" in corpus.notes[0]


def test_too_few_words_for_the_min_count_names_the_numbers_and_the_fix():
    with pytest.raises(CorpusError) as info:
        build_vocab([["a", "b", "c"]], min_count=5, source="tiny.txt")
    msg = str(info.value)
    assert "tiny.txt" in msg and "5 times" in msg and "lower the minimum count" in msg


def test_vocabulary_orders_by_frequency_applies_min_count_and_max_size():
    sentences = [["a", "b", "a", "c", "a", "b", "d"]]
    vocab = build_vocab(sentences, min_count=2)
    assert vocab.words == ["a", "b"] and vocab.counts.tolist() == [3, 2]
    assert build_vocab(sentences, min_count=1, max_size=3).words == ["a", "b", "c"]


def test_encoding_drops_unknown_words_and_one_word_sentences():
    vocab = build_vocab([["a", "b", "a", "b", "c"]], min_count=2)
    enc = encode([["a", "x", "b"], ["a"], [], ["x", "y"], ["b", "a", "b"], ["x", "a", "y"]], vocab)
    assert enc.ids.tolist() == [0, 1, 1, 0, 1] and enc.starts.tolist() == [0, 2, 5]


def test_prepare_steps_gives_the_same_vocabulary_and_encoding_as_the_plain_functions():
    from models.core.events import drain
    from models.text.vocab import prepare_steps

    sentences = [["a", "b", "a"], ["c"], ["b", "a", "d", "b"], ["a", "b"]] * 7
    vocab, enc = drain(prepare_steps(sentences, min_count=2))
    plain = encode(sentences, build_vocab(sentences, min_count=2))
    assert vocab.words == build_vocab(sentences, min_count=2).words
    assert enc.ids.tolist() == plain.ids.tolist() and enc.starts.tolist() == plain.starts.tolist()


def _plain_vocab_and_encoding(sentences, min_count, max_size):
    """The rules spelled out in Python: count, rank by count then alphabet, cut, map, drop short sentences."""
    from collections import Counter

    counts = Counter(w for s in sentences for w in s)
    ranked = sorted((-c, w) for w, c in counts.items() if c >= min_count)[:max_size or None]
    words = [w for _, w in ranked]
    index = {w: i for i, w in enumerate(words)}
    kept = [[index[w] for w in s if w in index] for s in sentences]
    kept = [s for s in kept if len(s) > 1]
    starts = [0]
    for s in kept:
        starts.append(starts[-1] + len(s))
    return words, [-c for c, _ in ranked], [i for s in kept for i in s], starts


@given(st.lists(st.lists(st.sampled_from("a b c d e f g h".split()), max_size=9), max_size=40),
       st.integers(1, 4), st.sampled_from([0, 1, 2, 3, 5]))
@settings(max_examples=200, deadline=None)
def test_vocabulary_and_encoding_follow_the_plain_rules_ties_and_cuts_included(sentences, min_count, max_size):
    words, counts, ids, starts = _plain_vocab_and_encoding(sentences, min_count, max_size)
    if len(words) < 2:
        with pytest.raises(CorpusError):
            build_vocab(sentences, min_count, max_size)
        return
    vocab = build_vocab(sentences, min_count, max_size)
    assert vocab.words == words and vocab.counts.tolist() == counts
    enc = encode(sentences, vocab)
    assert enc.ids.tolist() == ids and enc.starts.tolist() == starts


def test_a_corpus_is_counted_and_encoded_once_per_setting_and_a_second_training_matches_the_first():
    from models.core.events import drain
    from models.text import word2vec
    from models.text.corpus import Corpus
    from models.text.vocab import prepare_steps

    corpus = Corpus(Path("c.txt"), [["a", "b", "a", "c"], ["b", "a", "d", "b"], ["c", "a", "b"]] * 20)
    first = drain(prepare_steps(corpus, min_count=2))
    assert drain(prepare_steps(corpus, min_count=2)) is first        # kept, not made again
    assert drain(prepare_steps(corpus, min_count=50))[0].words == ["a", "b"]
    config = word2vec.SGNSConfig(dim=8, epochs=2, min_count=1, threads=1, seed=3)
    one, two = (drain(word2vec.train(config, corpus)) for _ in range(2))
    np.testing.assert_array_equal(one.tensors["input"], two.tensors["input"])
    assert one.losses == two.losses
