"""The negative-sampling arithmetic shared by the numba CPU kernels (skip-gram, CBOW, FastText).

Everything here is ``inline="always"`` (or an intrinsic): it compiles into the caller's loop, so a
helper costs no call and the compiler still sees loops it can vectorise. All vector arithmetic is
float32, the scores and gradient steps included: one float64 value (a ``0.0`` literal, a float64
table entry) turns the loops it touches into float64, converting every element and halving the
SIMD width.

A caller's numba cache (``cache=True``) is keyed on the caller's own source file only, so after
editing this module, clear the callers' ``__pycache__`` ``*.nbi``/``*.nbc`` files.

Negatives are drawn with Walker's alias method (:func:`noise_sampler`, :func:`draw_noise`) rather
than word2vec.c's unigram table: the table is 10 million slots (40 MB), so each draw is a cache
miss, five per pair; the alias table is 8 bytes per vocabulary word and stays in cache. The
distribution drawn is the same (exactly, not to the table's rounding).

Skip-gram trains a window at a time (:func:`shared_negatives_window`: one set of negatives per
centre word, as a small matrix product); CBOW and FastText take one
:func:`negative_sampling_step` per input vector.
"""
from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from models.text.sampling import noise_distribution

LR_FLOOR = 1e-4     # the learning rate decays linearly to this fraction of its start

# Sigmoid and loss from tables, as word2vec.c does: three transcendental functions per dot
# product cost as much as the dot product itself. Scores beyond +-MAX_EXP saturate the sigmoid
# (an error under 0.0025); the loss there is taken exactly (0, or -z when very wrong).
MAX_EXP = 6.0
TABLE = 4096
_GRID = np.linspace(-MAX_EXP, MAX_EXP, TABLE)
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(-_GRID))).astype(np.float32)
SOFTPLUS_TABLE = np.log1p(np.exp(-_GRID)).astype(np.float32)      # -log s(z)


# --- random numbers --------------------------------------------------------------------------

@numba.njit(inline="always")
def next_random(state):
    """word2vec.c's linear congruential generator (48-bit state): cheap, and per thread, so no locks."""
    return (state * np.uint64(25214903917) + np.uint64(11)) & np.uint64(0xFFFFFFFFFFFF)


@numba.njit(inline="always")
def sentence_state(seed, s):
    """The random state sentence ``s`` starts from: a function of (seed, sentence index) only, so
    with one thread the result does not depend on how the corpus is cut into calls.

    A full hash (SplitMix64's finaliser), not a couple of generator steps from seed ^ s * K: the
    generator is linear, so related starting states give neighbouring sentences related streams
    (subsampling, windows and negatives alike), and that cost FastText about 0.01 of analogy
    accuracy on the bundled corpus (0.373 against 0.383, mean of four runs each)."""
    z = np.uint64(seed) + (np.uint64(s) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return (z ^ (z >> np.uint64(31))) & np.uint64(0xFFFFFFFFFFFF)


@numba.njit(inline="always")
def draw(state, size):
    """An index in [0, size) from the top 32 bits of the state, by multiply and shift: a 64-bit
    modulo costs tens of cycles, and the low bits of this generator are its weakest."""
    return np.int64(((state >> np.uint64(16)) * np.uint64(size)) >> np.uint64(32))


@numba.njit(inline="always")
def kept(state, p):
    """True with probability ``p`` (float32; subsampling), from 16 of the state's upper bits."""
    return p >= np.float32(1.0) or p * np.float32(65536.0) > np.float32((state >> np.uint64(24)) & np.uint64(0xFFFF))


@numba.njit(inline="always")
def sentence_rate(lr, tokens_before, total):
    """The learning rate at a sentence with ``tokens_before`` of the ``total`` tokens trained before
    it: down linearly to LR_FLOOR of ``lr``, float32 like everything the kernels compute."""
    return np.float32(lr * max(LR_FLOOR, 1.0 - tokens_before / total))


@numba.njit(inline="always")
def subsampled(ids, lo, hi, keep, state, sent):
    """The words ``ids[lo:hi]`` of one sentence that subsampling of frequent words keeps, into
    ``sent`` (as many as it holds) -> (how many, state). The state steps once per word, kept or not,
    so every kernel draws the same words from the same (seed, sentence)."""
    n = 0
    for i in range(lo, hi):
        w = ids[i]
        state = next_random(state)
        if kept(state, keep[w]) and n < sent.shape[0]:
            sent[n] = w
            n += 1
    return n, state


# --- negatives: Walker's alias method --------------------------------------------------------

@numba.njit(cache=True)
def _alias(prob):
    """Vose's construction. Entry i packs (alias << 32) | threshold: draw a slot i uniformly and a
    32-bit u, keep i if u < threshold, else take the alias."""
    n = prob.shape[0]
    scaled = prob * n
    alias = np.arange(n)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    n_small = n_large = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[n_small] = i
            n_small += 1
        else:
            large[n_large] = i
            n_large += 1
    while n_small > 0 and n_large > 0:
        n_small -= 1
        s = small[n_small]
        big = large[n_large - 1]
        alias[s] = big
        scaled[big] += scaled[s] - 1.0
        if scaled[big] < 1.0:
            n_large -= 1
            small[n_small] = big
            n_small += 1
    out = np.empty(n, dtype=np.uint64)
    for i in range(n):
        # Slots left on either stack hold 1 up to rounding: they keep themselves.
        t = scaled[i] * 4294967296.0
        threshold = np.uint64(0xFFFFFFFF) if t >= 4294967295.0 or alias[i] == i else np.uint64(t)
        out[i] = (np.uint64(alias[i]) << np.uint64(32)) | threshold
    return out


def noise_sampler(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The alias table for negatives drawn from unigram^power (uint64, one entry per word)."""
    return _alias(noise_distribution(counts, power))


@numba.njit(inline="always")
def draw_noise(state, sampler):
    """A word from the alias table, from one 32-bit draw r: the slot is the integer part of
    r * V / 2^32 and the coin its fraction, which given the slot is uniform on 2^32 / V levels."""
    x = (state >> np.uint64(16)) * np.uint64(sampler.shape[0])
    i = x >> np.uint64(32)
    e = sampler[i]
    if (x & np.uint64(0xFFFFFFFF)) < (e & np.uint64(0xFFFFFFFF)):
        return np.int64(i)
    return np.int64(e >> np.uint64(32))


# --- memory ----------------------------------------------------------------------------------

@intrinsic
def _prefetch(typingctx, arr, i, k):
    """Hint the CPU to load arr[i, k]'s cache line for writing (LLVM's prefetch; no fault if it misses)."""
    if not isinstance(arr, types.Array) or arr.ndim != 2:
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        at = [context.cast(builder, v, t, types.intp) for v, t in zip(args[1:], signature.args[1:])]
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, at, wraparound=False)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(1), i32(3), i32(1)])   # write, keep close, data
        return context.get_dummy_value()

    return types.void(arr, i, k), codegen


@numba.njit(inline="always")
def prefetch_rows(W, rows, p0, p1):
    """Start loading rows[p0:p1] of W into the cache. FastText's n-gram rows are scattered over a
    matrix far larger than the cache; fetched one centre ahead, they arrive while the current
    centre trains instead of stalling its first loop."""
    dim = W.shape[1]
    for p in range(p0, p1):
        r = rows[p]
        for k in range(0, dim, 16):         # 16 float32 = one 64-byte line
            _prefetch(W, r, k)
        _prefetch(W, r, dim - 1)            # a row need not start on a line boundary


# --- arithmetic ------------------------------------------------------------------------------

@numba.njit(inline="always", fastmath=True)
def sigmoid_and_loss(f, label):
    """s(f) and the pair's loss -log s(f) (label 1) or -log s(-f) (label 0), both float32."""
    scale = np.float32((TABLE - 1) / (2.0 * MAX_EXP))
    top = np.float32(MAX_EXP)
    if f >= top:
        s = np.float32(1.0)
    elif f <= -top:
        s = np.float32(0.0)
    else:
        s = SIGMOID_TABLE[int((f + top) * scale)]
    z = f if label > 0 else -f
    if z >= top:
        loss = np.float32(0.0)
    elif z <= -top:
        loss = np.float32(-z)
    else:
        loss = SOFTPLUS_TABLE[int((z + top) * scale)]
    return s, loss


@numba.njit(inline="always", fastmath=True)
def dot(u, v):
    """u . v, summed in float32 so that it vectorises (fastmath lets the sum be reordered)."""
    f = np.float32(0.0)
    for k in range(u.shape[0]):
        f += u[k] * v[k]
    return f


@numba.njit(inline="always", fastmath=True)
def dot2(u, v, w):
    """u . v and u . w in one pass over u."""
    f = np.float32(0.0)
    h = np.float32(0.0)
    for k in range(u.shape[0]):
        f += u[k] * v[k]
        h += u[k] * w[k]
    return f, h


@numba.njit(inline="always", fastmath=True)
def add_scaled(y, a, x):
    """y += a * x."""
    for k in range(y.shape[0]):
        y[k] += a * x[k]


@numba.njit(inline="always", fastmath=True)
def add_scaled2(y, a, x, b, z):
    """y += a * x + b * z, in one pass over y."""
    for k in range(y.shape[0]):
        y[k] += a * x[k] + b * z[k]


@numba.njit(inline="always", fastmath=True)
def negative_sampling_step(u, C, positive, negative, sampler, lr, grad, state):
    """One positive pair (input vector ``u``, output row ``positive``) and ``negative`` noise rows
    drawn from ``sampler`` (:func:`noise_sampler`): updates those rows of C in place and adds the
    gradient for ``u`` into ``grad``; the caller applies it. A noise word equal to the positive one
    is skipped. ``lr`` must be float32. Returns the advanced random state and the loss (float32)."""
    dim = u.shape[0]
    loss_sum = np.float32(0.0)
    for d in range(negative + 1):
        if d == 0:
            target, label = np.int64(positive), np.float32(1.0)
        else:
            state = next_random(state)
            target, label = draw_noise(state, sampler), np.float32(0.0)
            if target == positive:
                continue
        row = C[target]
        sig, loss = sigmoid_and_loss(dot(u, row), label)
        loss_sum += loss
        g = (label - sig) * lr
        for k in range(dim):
            grad[k] += g * row[k]
            row[k] += g * u[k]
    return state, loss_sum


@numba.njit(inline="always", fastmath=True)
def shared_negatives_window(W, C, sent, lo, hi, pos, negative, sampler, lr, inputs, targets, coef, grads, state):
    """Skip-gram's step for the centre word ``sent[pos]`` and its context words ``sent[lo:hi]``
    (``pos`` left out), with one set of ``negative`` noise words shared by all those context words,
    as Ji et al. (2016, Intel's pWord2Vec) do. Each context word's input row of W is scored against
    the same output rows of C (the centre word, then the noise words; a noise word equal to the
    centre word is dropped): a small (1+K) x B product instead of B separate pairs.

    Why it is faster than one pair at a time (word2vec.c's order) at the same arithmetic: the
    output rows are scattered over C, far larger than the cache, and word2vec.c fetches 1+K of them
    for every pair; here they are fetched once per centre word and stay in L1 while the B context
    words (which the sliding window keeps in cache anyway) are scored against them. It also draws K
    random numbers per centre word instead of K per pair.

    Both sides' updates are computed from the values before the step (the gradients of the product),
    then applied. Scratch: ``inputs`` (int, >= 2*window), ``targets`` (int, >= 1+K), ``coef``
    (float32, >= (1+K) x 2*window), ``grads`` (float32, >= 2*window x dim). ``lr`` must be float32.
    Returns the advanced random state, the loss summed over the pairs (float32) and the number of
    positive pairs (context words)."""
    dim = W.shape[1]
    n_in = 0
    for j in range(lo, hi):
        if j != pos:
            inputs[n_in] = sent[j]
            n_in += 1
    if n_in == 0:
        return state, np.float32(0.0), 0
    center = sent[pos]
    targets[0] = center
    n_out = 1
    for _ in range(negative):
        state = next_random(state)
        t = draw_noise(state, sampler)
        if t != center:
            targets[n_out] = t
            n_out += 1
    # Rows are taken two at a time: one pass over the dimensions does the work of two, which
    # halves the loop overheads and the loads and stores of the row being summed into.
    loss_sum = np.float32(0.0)
    for b in range(n_in):                     # the scores and their gradient steps
        u = W[inputs[b]]
        for o in range(0, n_out, 2):
            if o + 1 < n_out:
                f0, f1 = dot2(u, C[targets[o]], C[targets[o + 1]])
                sig, loss = sigmoid_and_loss(f1, np.float32(0.0))
                loss_sum += loss
                coef[o + 1, b] = -sig * lr
            else:
                f0 = dot(u, C[targets[o]])
            label = np.float32(1.0) if o == 0 else np.float32(0.0)
            sig, loss = sigmoid_and_loss(f0, label)
            loss_sum += loss
            coef[o, b] = (label - sig) * lr
    for b in range(n_in):                     # input gradients, from the output rows before the step
        grad = grads[b]
        grad[:] = np.float32(0.0)
        for o in range(0, n_out, 2):
            if o + 1 < n_out:
                add_scaled2(grad, coef[o, b], C[targets[o]], coef[o + 1, b], C[targets[o + 1]])
            else:
                add_scaled(grad, coef[o, b], C[targets[o]])
    for o in range(n_out):                    # output rows, from the input rows before the step
        row = C[targets[o]]
        for b in range(0, n_in, 2):
            if b + 1 < n_in:
                add_scaled2(row, coef[o, b], W[inputs[b]], coef[o, b + 1], W[inputs[b + 1]])
            else:
                add_scaled(row, coef[o, b], W[inputs[b]])
    for b in range(n_in):
        u = W[inputs[b]]
        grad = grads[b]
        for k in range(dim):
            u[k] += grad[k]
    if pos + 1 < hi:
        # The next centre word's output rows, fetched while the caller moves on: its centre is
        # known, and its noise words are the ones the random stream will give if the caller draws
        # one number (its window) before calling again, as skip-gram's loop does. Peeking leaves
        # the stream itself alone; a wrong guess costs only the wasted fetches.
        ahead = next_random(state)
        targets[0] = sent[pos + 1]
        for d in range(1, negative + 1):
            ahead = next_random(ahead)
            targets[d] = draw_noise(ahead, sampler)
        prefetch_rows(C, targets, 0, negative + 1)
    return state, loss_sum, n_in
