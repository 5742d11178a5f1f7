"""Analogies and benchmarks: 3CosAdd and 3CosMul, the Google analogy questions, word-pair similarity.

"a is to b as c is to ?" is answered by the word x (other than a, b, c) that maximises

* 3CosAdd: cos(x, b) - cos(x, a) + cos(x, c), the parallelogram b - a + c;
* 3CosMul (Levy & Goldberg 2014): cos'(x, b) * cos'(x, c) / (cos'(x, a) + 1e-3), with every cosine
  shifted to [0, 1] by cos' = (cos + 1) / 2, so that no single large similarity dominates.

Batch evaluation answers many questions per matrix product and yields :class:`Progress` between
batches, so it can run under a progress bar or a worker thread and be stopped at any batch.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.core.events import Progress, drain
from models.core.reading import read_bounded
from models.errors import UserError
from models.vectors.store import WordVectors

BENCHMARKS = Path(__file__).resolve().parents[2] / "assets" / "benchmarks"
DEFAULT_ANALOGIES = BENCHMARKS / "questions-words.txt"
DEFAULT_PAIRS = (BENCHMARKS / "wordsim353.tsv", BENCHMARKS / "simlex999.txt")
METHODS = ("3cosadd", "3cosmul")
EPSILON = 1e-3                     # Levy & Goldberg's guard against dividing by a zero similarity
DEFAULT_RESTRICT = 300_000         # as gensim: rarer words are neither candidates nor questions
_MATRIX_BUDGET = 1 << 23           # floats in one (questions x vocabulary) score matrix
# Benchmark lists are kilobytes (the Google analogies 600 KB); a file past this is not one.
MAX_BENCHMARK_BYTES = 64 << 20


class BenchmarkFileError(UserError):
    """An analogy or word-pair file that cannot be read."""


def _check_method(method: str) -> str:
    m = method.lower()
    if m not in METHODS:
        raise UserError(f"Unknown analogy method {method!r}.", f"Choose one of: {', '.join(METHODS)}.")
    return m


# --- one analogy ------------------------------------------------------------------------------
def analogy(vectors: WordVectors, a: str, b: str, c: str, k: int = 10,
            method: str = "3cosadd") -> list[tuple[str, float]]:
    """The top ``k`` answers to "a is to b as c is to ?" with their scores, best first.

    Scores are the cosine with b - a + c (unit vectors) for 3CosAdd, which ranks exactly as the
    sum of cosines, and the 3CosMul objective itself for 3CosMul. The three inputs are never
    answers; an unknown word raises :class:`UnknownWordError` naming it.
    """
    method = _check_method(method)
    ids = np.array([vectors.index_of(w) for w in (a, b, c)])
    unit = vectors.unit
    scores = _scores(unit, unit[ids[None, 0]], unit[ids[None, 1]], unit[ids[None, 2]], method)[0]
    scores[ids] = -np.inf
    k = max(0, min(k, len(vectors) - len(set(ids.tolist()))))
    top = np.argpartition(-scores, k - 1)[:k] if k else np.array([], dtype=int)
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(vectors.words[i], float(scores[i])) for i in top]


def _scores(unit: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, method: str) -> np.ndarray:
    """(questions, vocabulary) scores for unit rows ``a``, ``b``, ``c`` of shape (questions, dim)."""
    if method == "3cosadd":
        target = b - a + c
        norms = np.linalg.norm(target, axis=1, keepdims=True)
        return (target / np.where(norms > 0, norms, 1.0)) @ unit.T
    shifted = [(q @ unit.T + 1.0) / 2.0 for q in (a, b, c)]
    return shifted[1] * shifted[2] / (shifted[0] + EPSILON)


# --- the Google analogy questions -------------------------------------------------------------

class _Rates:
    """Accuracy and coverage, for anything that counts ``correct``, ``answered`` and ``skipped``."""

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else float("nan")

    @property
    def coverage(self) -> float:
        total = self.answered + self.skipped
        return self.answered / total if total else float("nan")


@dataclass(frozen=True)
class SectionScore(_Rates):
    name: str
    correct: int
    answered: int
    skipped: int                   # questions with a word outside the (restricted) vocabulary
    failures: tuple[tuple[str, str, str, str, str], ...] = ()   # (a, b, c, expected, got)


@dataclass(frozen=True)
class AnalogyReport(_Rates):
    path: str
    method: str
    sections: tuple[SectionScore, ...]

    def _sum(self, attr: str, sections=None) -> int:
        return sum(getattr(s, attr) for s in (self.sections if sections is None else sections))

    @property
    def correct(self) -> int:
        return self._sum("correct")

    @property
    def answered(self) -> int:
        return self._sum("answered")

    @property
    def skipped(self) -> int:
        return self._sum("skipped")

    def group_accuracy(self, syntactic: bool) -> float:
        """Mikolov's split: sections named gram* are syntactic, the others semantic."""
        group = [s for s in self.sections if s.name.startswith("gram") == syntactic]
        answered = self._sum("answered", group)
        return self._sum("correct", group) / answered if answered else float("nan")

    def to_dict(self, failures: bool = False) -> dict:
        sections = {}
        for s in self.sections:
            entry = {"accuracy": _num(s.accuracy), "correct": s.correct, "answered": s.answered,
                     "skipped": s.skipped, "coverage": _num(s.coverage)}
            if failures:
                entry["failures"] = [list(f) for f in s.failures]
            sections[s.name] = entry
        return {"file": self.path, "method": self.method, "accuracy": _num(self.accuracy),
                "semantic_accuracy": _num(self.group_accuracy(False)),
                "syntactic_accuracy": _num(self.group_accuracy(True)),
                "correct": self.correct, "answered": self.answered, "skipped": self.skipped,
                "coverage": _num(self.coverage), "sections": sections}


def _num(x: float):
    """JSON has no NaN: an undefined figure is null."""
    return None if x != x else round(float(x), 6)


def read_analogy_questions(path: str | Path) -> list[tuple[str, list[tuple[int, tuple[str, str, str, str]]]]]:
    """Sections of (line number, (a, b, c, expected)) from a ``: section`` questions file."""
    path = Path(path)
    text = _read_text(path)
    sections: list = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(":"):
            sections.append((line[1:].strip() or f"section {len(sections) + 1}", []))
            continue
        words = line.split()
        if len(words) != 4:
            raise BenchmarkFileError(f"{path}, line {lineno}: {len(words)} words, expected 4 (a b c expected).",
                                     "Each question line is four words; sections start with ': name'.")
        if not sections:
            sections.append(("questions", []))
        sections[-1][1].append((lineno, tuple(words)))
    if not any(qs for _, qs in sections):
        raise BenchmarkFileError(f"{path}: no analogy questions found.",
                                 "Give a file of ': section' lines and four-word questions.")
    return sections


def _read_text(path: Path) -> str:
    data = read_bounded(path, MAX_BENCHMARK_BYTES, "a benchmark file", BenchmarkFileError, "Give the path of a text file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise BenchmarkFileError(f"{path}, line {line}: bytes that are not UTF-8.", "Re-save the file as UTF-8.") from None


def _lookup(vectors: WordVectors, restrict: int | None, case_insensitive: bool) -> tuple[dict[str, int], int]:
    """Word -> row among the first ``restrict`` rows; case-folded words map to their first (most frequent) row."""
    limit = len(vectors) if restrict is None else max(0, min(restrict, len(vectors)))
    if not case_insensitive:
        return {w: i for w, i in vectors.index.items() if i < limit}, limit
    lookup: dict[str, int] = {}
    for i, w in enumerate(vectors.words[:limit]):
        lookup.setdefault(w.lower(), i)
    return lookup, limit


def evaluate_analogies_steps(vectors: WordVectors, path: str | Path = DEFAULT_ANALOGIES, method: str = "3cosadd",
                             restrict: int | None = DEFAULT_RESTRICT, case_insensitive: bool = True):
    """Answer every question of a questions-words file, yielding :class:`Progress` (unit "questions")
    between batches; returns an :class:`AnalogyReport`. Questions with a word outside the first
    ``restrict`` rows are skipped and counted; the answer is searched among those rows only."""
    method = _check_method(method)
    sections = read_analogy_questions(path)
    lookup, limit = _lookup(vectors, restrict, case_insensitive)
    fold = str.lower if case_insensitive else (lambda w: w)
    ids, owner, skipped = [], [], [0] * len(sections)
    for s, (_, questions) in enumerate(sections):
        for _, words in questions:
            row = [lookup.get(fold(w)) for w in words]
            if None in row:
                skipped[s] += 1
            else:
                ids.append(row)
                owner.append(s)
    ids_arr = np.array(ids, dtype=np.int64).reshape(-1, 4)
    got = yield from _answer_all(vectors.unit[:limit], ids_arr, method)
    return _report(str(path), method, sections, vectors, ids_arr, np.array(owner, dtype=np.int64), got, skipped, fold)


def evaluate_analogies(vectors: WordVectors, path: str | Path = DEFAULT_ANALOGIES, method: str = "3cosadd",
                       restrict: int | None = DEFAULT_RESTRICT, case_insensitive: bool = True) -> AnalogyReport:
    return drain(evaluate_analogies_steps(vectors, path, method, restrict, case_insensitive))


def _answer_all(unit: np.ndarray, ids: np.ndarray, method: str):
    """The best row for each question (a, b, c, _), excluding its inputs, batch by batch."""
    total = len(ids)
    got = np.empty(total, dtype=np.int64)
    batch = max(1, min(4096, _MATRIX_BUDGET // max(1, len(unit))))
    yield Progress(step=0, total_steps=total, unit="questions", message="answering analogies")
    for start in range(0, total, batch):
        q = ids[start:start + batch]
        scores = _scores(unit, unit[q[:, 0]], unit[q[:, 1]], unit[q[:, 2]], method)
        rows = np.arange(len(q))
        for col in range(3):
            scores[rows, q[:, col]] = -np.inf
        got[start:start + len(q)] = np.argmax(scores, axis=1)
        yield Progress(step=start + len(q), total_steps=total, unit="questions", message="answering analogies")
    return got


def _report(path, method, sections, vectors, ids, owner, got, skipped, fold) -> AnalogyReport:
    words = vectors.words
    correct = np.array([fold(words[g]) == fold(words[e]) for g, e in zip(got.tolist(), ids[:, 3].tolist())],
                       dtype=bool)
    scores = []
    for s, (name, _) in enumerate(sections):
        mine = np.flatnonzero(owner == s)
        fails = tuple((words[a], words[b], words[c], words[e], words[got[i]])
                      for i in mine[~correct[mine]] for a, b, c, e in [ids[i].tolist()])
        scores.append(SectionScore(name, int(correct[mine].sum()), len(mine), skipped[s], fails))
    return AnalogyReport(path, method, tuple(scores))


# --- word-pair similarity (WordSim353, SimLex-999) --------------------------------------------
@dataclass(frozen=True)
class PairScore:
    path: str
    spearman: float                # Spearman's rho between human scores and cosine similarities
    pairs: int                     # pairs in the file
    used: int                      # pairs whose two words are both known
    missing: tuple[tuple[str, str], ...] = field(default=())

    @property
    def coverage(self) -> float:
        return self.used / self.pairs if self.pairs else float("nan")

    def to_dict(self) -> dict:
        return {"file": self.path, "spearman": _num(self.spearman), "pairs": self.pairs, "used": self.used,
                "coverage": _num(self.coverage)}


_SCORE_COLUMNS = ("simlex999", "human (mean)", "score", "similarity", "sim", "mean", "relatedness")


def read_word_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """(word 1, word 2, human score) rows of a tab- or comma-separated file; '#' lines are comments
    and a first row whose score is not a number names the columns (the score column is then found
    by name, e.g. SimLex999 or 'Human (mean)'; otherwise it is the third)."""
    path = Path(path)
    text = _read_text(path)
    rows, column, first = [], 2, True
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _split_fields(line)
        if first:
            first = False
            if len(fields) > 2 and not _is_float(fields[2]):
                column = _score_column(path, lineno, fields)
                continue
        if len(fields) <= column or len(fields) < 3:
            raise BenchmarkFileError(f"{path}, line {lineno}: {len(fields)} columns, expected word, word, score.",
                                     "Separate the columns with tabs or commas.")
        if not _is_float(fields[column]):
            raise BenchmarkFileError(f"{path}, line {lineno}: the score {fields[column][:40]!r} is not a number.",
                                     "The score column must hold numbers.")
        rows.append((fields[0], fields[1], float(fields[column])))
    if not rows:
        raise BenchmarkFileError(f"{path}: no word pairs found.", "Give lines of: word, word, score.")
    return rows


def _split_fields(line: str) -> list[str]:
    sep = "\t" if "\t" in line else ("," if "," in line else None)
    return [f.strip() for f in (line.split(sep) if sep else line.split())]


def _is_float(s: str) -> bool:
    try:
        return math.isfinite(float(s))
    except ValueError:
        return False


def _score_column(path: Path, lineno: int, header: list[str]) -> int:
    names = [re.sub(r"\s+", " ", h.strip().lower()) for h in header]
    for wanted in _SCORE_COLUMNS:
        if wanted in names[2:]:
            return names.index(wanted, 2)
    raise BenchmarkFileError(f"{path}, line {lineno}: the header {header!r} names no score column.",
                             f"Name it one of: {', '.join(_SCORE_COLUMNS)}, or drop the header.")


def evaluate_word_pairs(vectors: WordVectors, path: str | Path, case_insensitive: bool = True,
                        restrict: int | None = DEFAULT_RESTRICT) -> PairScore:
    """Spearman's rho between the file's human scores and the cosine similarities of the pairs both
    of whose words are known; the others are counted as missing (coverage)."""
    from scipy.stats import spearmanr       # deferred: half a second to import, for word pairs only

    rows = read_word_pairs(path)
    lookup, _ = _lookup(vectors, restrict, case_insensitive)
    fold = str.lower if case_insensitive else (lambda w: w)
    known, human, missing = [], [], []
    for w1, w2, score in rows:
        i, j = lookup.get(fold(w1)), lookup.get(fold(w2))
        if i is None or j is None:
            missing.append((w1, w2))
        else:
            known.append((i, j))
            human.append(score)
    rho = float("nan")
    if len(known) >= 3:
        pairs = np.array(known)
        unit = vectors.unit
        model = np.einsum("ij,ij->i", unit[pairs[:, 0]], unit[pairs[:, 1]])
        # A constant column has no ranking; scipy would warn and return NaN anyway.
        if np.ptp(model) > 0 and np.ptp(human) > 0:
            rho = float(spearmanr(human, model).statistic)
    return PairScore(str(path), rho, len(rows), len(known), tuple(missing))

