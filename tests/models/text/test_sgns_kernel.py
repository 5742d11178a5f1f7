"""The shared negative-sampling helpers: the alias sampler draws the unigram^0.75 distribution, the
random helpers stay in range, and one step raises the positive pair's score."""
import numba
import numpy as np
import pytest

from models.text import sgns_kernel as k
from models.text.sampling import noise_distribution


@numba.njit
def _draw_many(sampler, n, seed):
    counts = np.zeros(sampler.shape[0], dtype=np.int64)
    state = np.uint64(seed)
    for _ in range(n):
        state = k.next_random(state)
        counts[k.draw_noise(state, sampler)] += 1
    return counts


@numba.njit
def _draws_in_range(size, n, seed):
    state = k.sentence_state(seed, 7)
    lo, hi = size, -1
    for _ in range(n):
        state = k.next_random(state)
        x = k.draw(state, size)
        lo, hi = min(lo, x), max(hi, x)
    return lo, hi


@numba.njit
def _sentence_states(seed, n):
    out = np.empty(n, dtype=np.uint64)
    for s in range(n):
        out[s] = k.sentence_state(seed, s)
    return out


def test_the_alias_sampler_draws_the_noise_distribution():
    counts = np.array([5000, 1200, 300, 300, 40, 7, 5, 1, 0, 2000])
    expected = noise_distribution(counts)
    drawn = _draw_many(k.noise_sampler(counts), 2_000_000, 12345) / 2_000_000
    np.testing.assert_allclose(drawn, expected, atol=2e-3)
    assert drawn[8] == 0                                  # a word never counted is never drawn


def test_draws_cover_the_range_and_sentence_states_differ():
    assert _draws_in_range(5, 10_000, 3) == (0, 4)
    states = _sentence_states(1, 1000)
    assert len(set(states.tolist())) == 1000 and states.max() < 2**48
    np.testing.assert_array_equal(states, _sentence_states(1, 1000))


def test_a_step_raises_the_positive_score_and_returns_the_input_gradient():
    rng = np.random.default_rng(0)
    C = rng.normal(0, 0.1, (50, 16)).astype(np.float32)
    u = rng.normal(0, 0.1, 16).astype(np.float32)
    sampler = k.noise_sampler(np.ones(50))
    before = C @ u
    grad = np.zeros(16, dtype=np.float32)
    state, loss = k.negative_sampling_step(u, C, 3, 5, sampler, np.float32(0.5), grad, np.uint64(99))
    after = C @ u
    assert after[3] > before[3] and loss > 0
    assert state != 99 and np.isfinite(grad).all() and np.abs(grad).sum() > 0


@numba.njit
def _window(W, C, sent, lo, hi, pos, negative, sampler, lr, state):
    inputs = np.empty(hi - lo, dtype=np.int64)
    targets = np.empty(negative + 1, dtype=np.int64)
    coef = np.empty((negative + 1, hi - lo), dtype=np.float32)
    grads = np.empty((hi - lo, W.shape[1]), dtype=np.float32)
    return k.shared_negatives_window(W, C, sent, lo, hi, pos, negative, sampler, lr, inputs, targets, coef, grads,
                                     state)


@numba.njit
def _noise_words(sampler, n, state):
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        state = k.next_random(state)
        out[i] = k.draw_noise(state, sampler)
    return out


def _noise_state(state, n):
    for _ in range(n):
        state = int(k.next_random(np.uint64(state)))
    return state


def test_a_window_step_is_the_gradient_step_of_its_small_matrix_product():
    """Every context word of the window is scored against the centre word and the same shared
    negatives; both sides move by the gradient taken before the step, as the matrix form says."""
    rng = np.random.default_rng(1)
    W = rng.normal(0, 0.3, (40, 16)).astype(np.float32)
    C = rng.normal(0, 0.3, (40, 16)).astype(np.float32)
    sent = np.array([4, 9, 9, 17, 23, 30, 2], dtype=np.int32)    # centre 17 at 3; 9 twice among the contexts
    counts = np.ones(40)
    counts[17] = 30                                               # the centre word is often drawn as noise
    sampler = k.noise_sampler(counts)
    W0, C0, lr = W.copy(), C.copy(), np.float32(0.1)
    state, loss, pairs = _window(W, C, sent, 0, 7, 3, 5, sampler, lr, np.uint64(5))
    noise = _noise_words(sampler, 5, np.uint64(5))
    assert pairs == 6 and state == _noise_state(5, 5)
    assert 17 in noise                                            # drawn, and dropped below
    out = [17] + [t for t in noise if t != 17]
    inputs = [4, 9, 9, 23, 30, 2]
    scores = C0[out] @ W0[inputs].T                                # (1+K) x B
    labels = np.zeros_like(scores)
    labels[0] = 1
    g = (labels - 1 / (1 + np.exp(-scores))) * lr
    W_expected, C_expected = W0.copy(), C0.copy()
    np.add.at(W_expected, inputs, g.T @ C0[out])
    np.add.at(C_expected, out, g @ W0[inputs])
    np.testing.assert_allclose(W, W_expected, atol=2e-4)
    np.testing.assert_allclose(C, C_expected, atol=2e-4)
    exact_loss = np.log1p(np.exp(-np.where(labels > 0, scores, -scores))).sum()
    assert loss == pytest.approx(exact_loss, rel=0.01)
    after = C[17] @ W[inputs].T
    assert (after > scores[0]).all()                              # every positive pair scores higher


def test_a_window_without_context_words_changes_nothing():
    W, C = np.ones((5, 4), dtype=np.float32), np.ones((5, 4), dtype=np.float32)
    state, loss, pairs = _window(W, C, np.array([3], dtype=np.int32), 0, 1, 0, 5, k.noise_sampler(np.ones(5)),
                                    np.float32(0.1), np.uint64(5))
    assert (state, loss, pairs) == (5, 0, 0) and (W == 1).all() and (C == 1).all()
