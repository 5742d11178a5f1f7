import numpy as np
import pytest

from models.core.events import drain
from models.text.factors import factor_steps
from tests.models.planted import GROUP_A, GROUP_B, read_planted


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read_planted(tmp_path_factory, lines=400)


@pytest.mark.parametrize("method", ["svd", "eig", "nmf"])
def test_x_is_the_top_words_matrix_and_w_h_its_rank_k_factors(corpus, method):
    f = drain(factor_steps(corpus, words=20, k=4, method=method))
    n = len(f.words)
    assert n == 20 and set(f.words) <= set(GROUP_A + GROUP_B)
    assert f.X.shape == (n, n) and f.W.shape == (n, 4) and f.H.shape == (4, n)
    assert f.X.min() >= 0 and f.X.max() > 0          # PPMI is never negative
    expected = np.linalg.norm(f.X - f.W @ f.H) / np.linalg.norm(f.X)
    assert f.error == pytest.approx(expected, rel=1e-6)
    assert 0 < f.error < 1
    if method == "nmf":
        assert f.W.min() >= 0 and f.H.min() >= 0


def test_more_svd_factors_miss_less_of_x(corpus):
    errors = [drain(factor_steps(corpus, words=20, k=k, method="svd")).error for k in (2, 8, 16)]
    assert errors[0] > errors[1] > errors[2]


def test_two_planted_groups_make_x_two_blocks(corpus):
    f = drain(factor_steps(corpus, words=24, k=2, method="svd"))
    group = np.array([w in GROUP_A for w in f.words])
    inside = f.X[np.ix_(group, group)].mean() + f.X[np.ix_(~group, ~group)].mean()
    across = f.X[np.ix_(group, ~group)].mean()
    assert across == 0 and inside > 0                 # the groups never share a sentence
