"""Word-word co-occurrence counts as a sparse matrix, counted by a numba kernel in chunks.

The matrix is never dense: a 50,000-word vocabulary would need 20 GB as float64, while the
pairs a corpus actually holds number a few million. Each chunk of sentences becomes arrays of
(row, column, weight) triples that scipy sums into CSR; chunks are added together, so memory
stays at the number of distinct pairs plus one chunk.
"""
from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

from models.core.events import STOP, Progress, Rate
from models.text.token_file import sentence_chunks
from models.text.vocab import EncodedCorpus

CHUNK_TOKENS = 1_000_000   # tokens per kernel call: bounds the triple arrays and the time between yields


@numba.njit(cache=True, nogil=True)
def _forward_pairs(ids, starts, window, harmonic, rows, cols, vals):
    """Every pair of positions p < q <= p + window in the sentences of a window of the corpus
    (EncodedCorpus.window), as (ids[p], ids[q]) with weight 1/(q - p) (harmonic) or 1. Returns
    how many triples were written."""
    m = 0
    base = starts[0]
    for s in range(starts.size - 1):
        end = starts[s + 1] - base
        for p in range(starts[s] - base, end):
            for q in range(p + 1, min(end, p + window + 1)):
                rows[m] = ids[p]
                cols[m] = ids[q]
                vals[m] = 1.0 / (q - p) if harmonic else 1.0
                m += 1
    return m


def forward_counts(data: EncodedCorpus, n_words: int, window: int, harmonic: bool, s0: int, s1: int):
    """Counts of (left word, right word) in sentences [s0, s1), as CSR."""
    ids, starts = data.window(s0, s1)
    cap = ids.size * window
    rows, cols = np.empty(cap, dtype=np.int32), np.empty(cap, dtype=np.int32)
    vals = np.empty(cap, dtype=np.float64)
    m = _forward_pairs(ids, starts, window, harmonic, rows, cols, vals)
    return sp.coo_matrix((vals[:m], (rows[:m], cols[:m])), shape=(n_words, n_words)).tocsr()


def count_steps(data: EncodedCorpus, n_words: int, window: int, harmonic: bool = True):
    """Count symmetric co-occurrences, yielding Progress per chunk; returns (CSR float64, stopped).

    Both directions are counted, as GloVe does: X[i, j] == X[j, i]. Sending STOP ends the count
    early and returns what was counted so far.
    """
    total = data.n_tokens
    rate = Rate(total)
    upper = sp.csr_matrix((n_words, n_words), dtype=np.float64)
    stopped = False
    for s, end in sentence_chunks(data.starts, CHUNK_TOKENS):
        upper = upper + forward_counts(data, n_words, window, harmonic, s, end)
        done = int(data.starts[end])
        speed, eta = rate.update(done)
        reply = yield Progress(done, total, items_per_second=speed, eta_seconds=eta,
                               message="Counting co-occurrences")
        if reply == STOP:
            stopped = True
            break
    matrix = (upper + upper.T).tocsr()
    matrix.sum_duplicates()
    return matrix, stopped
