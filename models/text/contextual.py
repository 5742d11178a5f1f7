"""What the Contextual view shows, computed without Qt: one word's masked-LM vector at every
occurrence in some sentences, their similarities, and two small maps.

The two maps are two different spaces and are laid out separately:

- contextual: the encoder's output for every token of the sentences that hold the word (PCA of
  all of them together), so each occurrence of the word sits among the words around it;
- static: the word's one vector in a word2vec-style model (when one is loaded) among its nearest
  neighbours in that model (PCA of those).

A position on one map says nothing about a position on the other.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.errors import UserError
from models.text.corpus import tokenize
from models.text.mlm import UNK, TrainedMLM, contextual_vectors, token_ids
from models.vectors.projection import pca

STATIC_NEIGHBOURS = 8


@dataclass(frozen=True)
class Occurrence:
    sentence: int      # index into ContextualReport.sentences
    position: int      # token index in that sentence
    label: str         # "S1", or "S1·2" for a second occurrence in the same sentence


@dataclass(frozen=True)
class StaticMap:
    words: list[str]           # the word first, then its nearest neighbours
    similarity: list[float]    # cosine to the word (1.0 for itself)
    coords: np.ndarray         # (len(words), 2) PCA of their static vectors


@dataclass(frozen=True)
class ContextualReport:
    word: str
    sentences: list[str]
    tokens: list[list[str]]
    occurrences: list[Occurrence]
    vectors: np.ndarray            # (n occurrences, dim) contextual vectors of the word
    similarity: np.ndarray         # (n, n) cosine similarity of those vectors
    missing: list[int]             # sentences that do not contain the word
    unknown: list[str]             # words of the sentences outside the model's vocabulary (read as [UNK])
    context_words: list[str]       # every token of the sentences that hold the word
    context_coords: np.ndarray     # (len(context_words), 2): the contextual map
    context_is_word: np.ndarray    # (len(context_words),) bool: which of them are the word
    static: StaticMap | None = None
    static_note: str = ""


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(n, 1e-12)


def _pca2(x: np.ndarray) -> np.ndarray:
    return pca(_unit(np.asarray(x, np.float32)))


def static_map(vectors, word: str, k: int = STATIC_NEIGHBOURS) -> StaticMap:
    near = vectors.nearest(word, k)
    words = [word] + [w for w, _ in near]
    sims = [1.0] + [s for _, s in near]
    coords = _pca2(np.stack([vectors.vector(w) for w in words]))
    return StaticMap(words, sims, coords)


def contextual_report(model: TrainedMLM, word: str, sentences, static_vectors=None) -> ContextualReport:
    """``word``'s contextual vector at each of its occurrences in ``sentences`` (lines; blank ones
    skipped). Raises UserError when the word is not in the model's vocabulary or in no sentence;
    sentences without it are listed in ``missing``."""
    word = word.strip().lower()
    if not word:
        raise UserError("Type a word to compare.", "Pick one that occurs in the sentences.")
    sentences = [s.strip() for s in sentences if s.strip()]
    if not sentences:
        raise UserError("There are no sentences.", "Type one sentence per line.")
    if word not in model.index:
        raise UserError(f"'{word}' is not in the masked language model's vocabulary "
                        f"({len(model.vocab):,} words), so it would read as [UNK].",
                        "Pick another word, or train with a lower minimum count or a larger vocabulary.")
    tokens = [tokenize(s) for s in sentences]
    missing = [i for i, t in enumerate(tokens) if word not in t]
    if len(missing) == len(sentences):
        raise UserError(f"'{word}' occurs in none of the sentences.", "Give sentences that contain the word.")
    unknown = sorted({w for t in tokens for w, i in zip(t, token_ids(t, model.index)) if i == UNK})

    occurrences, rows, ctx_words, ctx_rows, ctx_is_word = [], [], [], [], []
    for s, toks in enumerate(tokens):
        if s in missing:
            continue
        vecs = contextual_vectors(model, toks)
        hits = [p for p, w in enumerate(toks) if w == word]
        for k, p in enumerate(hits):
            occurrences.append(Occurrence(s, p, f"S{s + 1}" if len(hits) == 1 else f"S{s + 1}·{k + 1}"))
            rows.append(vecs[p])
        ctx_words += toks
        ctx_rows.append(vecs)
        ctx_is_word += [w == word for w in toks]
    v = np.stack(rows).astype(np.float32)
    u = _unit(v.astype(np.float64))
    sim = np.clip(u @ u.T, -1.0, 1.0)
    sim = ((sim + sim.T) / 2).astype(np.float32)        # exactly symmetric, whatever the rounding
    np.fill_diagonal(sim, 1.0)
    ctx_coords = _pca2(np.concatenate(ctx_rows))

    static, static_note = None, ""
    if static_vectors is None:
        static_note = "No word2vec-style model is loaded: train or open one to see the word's static vector."
    elif word not in static_vectors:
        static_note = f"'{word}' is not in the loaded word vectors ({len(static_vectors):,} words)."
    else:
        static = static_map(static_vectors, word)
    return ContextualReport(word, sentences, tokens, occurrences, v, sim, missing, unknown, ctx_words,
                            ctx_coords, np.asarray(ctx_is_word, bool), static, static_note)
