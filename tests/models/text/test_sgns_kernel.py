"""The shared negative-sampling helpers: the alias sampler draws the unigram^0.75 distribution, the
random helpers stay in range, and one step raises the positive pair's score."""
import numba
import numpy as np

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
