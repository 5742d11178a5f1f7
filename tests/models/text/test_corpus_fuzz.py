"""Damaged corpus files: the reader either returns words or raises CorpusError, nothing else."""
import gzip

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.errors import CorpusError
from models.text.corpus import read_corpus

TEXT = ("The cat sat on the mat.\nChicago is in Illinois, and Indianapolis is in Indiana.\n"
        "Monday comes before Tuesday.\n" * 20).encode()


@st.composite
def damaged(draw, data: bytes):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "drop"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "drop" and data:
            del data[at:at + draw(st.integers(1, 32))]
    return bytes(data)


def _check(path):
    try:
        corpus = read_corpus(path)
    except CorpusError as e:
        assert str(path) in str(e) or path.name in str(e)
        return
    assert corpus.n_tokens > 0 and all(s for s in corpus.sentences)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(data=damaged(TEXT))
def test_damaged_plain_text_is_read_or_refused_clearly(tmp_path, data):
    path = tmp_path / "corpus.txt"
    path.write_bytes(data)
    _check(path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(data=damaged(gzip.compress(TEXT)))
def test_damaged_gzip_is_read_or_refused_clearly(tmp_path, data):
    path = tmp_path / "corpus.txt.gz"
    path.write_bytes(data)
    _check(path)
