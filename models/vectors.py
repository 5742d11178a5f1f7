"""A word-vector store: lookup, unit-normalised matrix, nearest neighbours, word2vec text format."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.errors import UnknownWordError, VectorFileError


class WordVectors:
    def __init__(self, words: list[str], matrix: np.ndarray):
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but a matrix of shape {matrix.shape}.")
        self.words = list(words)
        self.matrix = matrix
        self.index = {w: i for i, w in enumerate(self.words)}
        self._unit: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    @property
    def dim(self) -> int:
        return self.matrix.shape[1]

    @property
    def unit(self) -> np.ndarray:
        """Rows scaled to unit length (zero rows stay zero), computed once."""
        if self._unit is None:
            norms = np.linalg.norm(self.matrix, axis=1, keepdims=True)
            self._unit = self.matrix / np.where(norms > 0, norms, 1.0)
        return self._unit

    def vector(self, word: str) -> np.ndarray:
        try:
            return self.matrix[self.index[word]]
        except KeyError:
            raise UnknownWordError(word) from None

    def nearest(self, query: str | np.ndarray, k: int = 10, exclude=()) -> list[tuple[str, float]]:
        """The k words with the highest cosine similarity to a word or a vector."""
        if isinstance(query, str):
            exclude = set(exclude) | {query}
            q = self.unit[self.index_of(query)]
        else:
            q = np.asarray(query, dtype=np.float32)
            n = np.linalg.norm(q)
            q = q / n if n > 0 else q
        sims = self.unit @ q
        skip = [self.index[w] for w in exclude if w in self.index]
        sims[skip] = -np.inf
        k = min(k, len(self.words) - len(skip))
        top = np.argpartition(-sims, k - 1)[:k] if k > 0 else np.array([], dtype=int)
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(self.words[i], float(sims[i])) for i in top]

    def similarity(self, a: str, b: str) -> float:
        return float(self.unit[self.index_of(a)] @ self.unit[self.index_of(b)])

    def index_of(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise UnknownWordError(word) from None

    # --- word2vec text format -------------------------------------------------------------
    def save_word2vec_text(self, path: str | Path) -> None:
        from models.core.checkpoint import atomic_write_text

        lines = [f"{len(self.words)} {self.dim}"]
        lines += [w + " " + " ".join(f"{x:.6g}" for x in row) for w, row in zip(self.words, self.matrix)]
        atomic_write_text(Path(path), "\n".join(lines) + "\n")

    @classmethod
    def load_word2vec_text(cls, path: str | Path) -> "WordVectors":
        path = Path(path)
        try:
            f = open(path, encoding="utf-8")
        except OSError as e:
            raise VectorFileError(f"Cannot open {path}: {e.strerror}.", "Check the path.") from e
        try:
            with f:
                return cls._read_word2vec_text(path, f)
        except UnicodeDecodeError as e:
            raise VectorFileError(f"{path}: bytes that are not UTF-8 ({e.reason}).",
                                  "Re-save the file as UTF-8.") from None

    @classmethod
    def _read_word2vec_text(cls, path: Path, f) -> "WordVectors":
        try:
            header = f.readline().split()
            n, dim = int(header[0]), int(header[1])
            if len(header) != 2 or n < 0 or dim <= 0:
                raise ValueError
        except (ValueError, IndexError):
            raise VectorFileError(f"{path}, line 1: expected a header 'ROWS DIMENSIONS'.",
                                  "Is this a word2vec text file?") from None
        # Every value takes at least two bytes ("0 "), so the header can be checked against the
        # file size before a matrix is allocated for it.
        if n * dim * 2 > path.stat().st_size:
            raise VectorFileError(f"{path}, line 1: the header claims {n} x {dim} values, "
                                  "more than the file can hold.", "The header or the file is damaged.")
        words, rows, seen = [], np.empty((n, dim), dtype=np.float32), set()
        for lineno, line in enumerate(f, start=2):
            if not line.strip():
                continue
            parts = line.rstrip("\n").rstrip(" ").split(" ")
            word = parts[0]
            where = f"{path}, line {lineno}"
            if len(words) == n:
                raise VectorFileError(f"{where}: more rows than the header's {n}.")
            if len(parts) != dim + 1:
                raise VectorFileError(f"{where}: {len(parts) - 1} values, expected {dim}.")
            if not word or word in seen:
                raise VectorFileError(f"{where}: {'empty' if not word else 'duplicate'} word {word!r}.")
            try:
                rows[len(words)] = np.asarray(parts[1:], dtype=np.float32)
            except ValueError:
                raise VectorFileError(f"{where}: a value is not a number.") from None
            if not np.isfinite(rows[len(words)]).all():
                raise VectorFileError(f"{where}: NaN or infinite value for {word!r}.")
            seen.add(word)
            words.append(word)
        if len(words) != n:
            raise VectorFileError(f"{path}: the header promises {n} rows but the file has {len(words)}.",
                                  "The file may be truncated.")
        return cls(words, rows)
