"""The TensorFlow Embedding Projector's pair: ``vectors.tsv`` (tab-separated values, no words) and
``metadata.tsv`` (the words, and any further columns).

Metadata follows the projector's rule: with several columns the first row names them; a single
column has no header, unless it has exactly one row more than the vectors. The first column holds
the words; the others are kept in :attr:`WordVectors.metadata`."""
from __future__ import annotations

import re
from pathlib import Path

from models.core.writing import staged
from models.errors import VectorFileError
from models.vectors.formats.reading import (BOM, MAX_LINE_BYTES, Rows, check_file, decode, line_blocks, open_file,
                                            parse_values, progress)
from models.vectors.formats.record import VectorFormat
from models.vectors.formats.writing import encode, row_blocks, text_lines, written
from models.vectors.store import WordVectors


def tsv_paths(path: str | Path) -> tuple[Path, Path]:
    """(vectors.tsv, metadata.tsv) for a folder, either file of the pair, or a ``NAME_vectors.tsv``."""
    path = Path(path)
    if path.is_dir() or not path.suffix:
        return path / "vectors.tsv", path / "metadata.tsv"
    name = path.name
    if "metadata" in name:
        return path.with_name(name.replace("metadata", "vectors")), path
    if "vectors" in name:
        return path, path.with_name(name.replace("vectors", "metadata"))
    return path, path.with_name(path.stem + "_metadata.tsv")


def read_tsv(path: Path):
    vec_path, meta_path = tsv_paths(path)
    for p in (vec_path, meta_path):
        if not p.is_file():
            raise VectorFileError(f"{p}: file not found.",
                                  "The projector format needs vectors.tsv and metadata.tsv side by side.")
        check_file(p)
    with open_file(vec_path) as f:
        first = f.readline(MAX_LINE_BYTES).removeprefix(BOM)
    dim = len(first.rstrip(b"\r\n").split(b"\t"))
    words, metadata = _read_metadata(meta_path, vec_path)
    n = len(words)
    if n * dim > vec_path.stat().st_size:
        raise VectorFileError(f"{meta_path}: {n} words, more rows than {vec_path.name} can hold.",
                              "The two files do not belong together.")
    rows = Rows(vec_path, n, dim)
    yield progress(0, n, vec_path)
    with open_file(vec_path) as f:
        for lineno, block in line_blocks(vec_path, f, 1):
            text = decode(vec_path, block, lineno)
            rests, places = [], []
            for i, line in enumerate(text.split("\n")):
                line = line.rstrip("\r")
                if not line.strip():
                    continue
                where = f"{vec_path}, line {lineno + i}"
                if len(rows) + len(rests) == n:
                    raise VectorFileError(f"{where}: more vectors than the {n} words of {meta_path.name}.",
                                          "The two files must have one row per word.")
                rests.append(line)
                places.append(where)
            if rests:
                start = len(rows)
                values = parse_values(rests, places, dim, "\t")
                for w in words[start:start + len(rests)]:
                    rows.words.append(w)
                rows.put(start, values, places.__getitem__)
            yield progress(len(rows), n, vec_path)
    if len(rows) != n:
        raise VectorFileError(f"{vec_path}: {len(rows)} vectors but {meta_path.name} names {n} words.",
                              "The two files must have one row per word.")
    return rows.result(metadata)


def _read_metadata(path: Path, vec_path: Path) -> tuple[list[str], dict[str, list[str]]]:
    with open_file(path) as f:
        text = decode(path, f.read().removeprefix(BOM), 1)
    rows = [line.rstrip("\r").split("\t") for line in text.split("\n")]
    if rows and rows[-1] == [""]:
        rows.pop()
    ncols = len(rows[0]) if rows else 0
    has_header = ncols > 1 or len(rows) == _count_vector_rows(vec_path) + 1
    names = rows[0] if has_header else ["word"]
    body = rows[1:] if has_header else rows
    first_line = 2 if has_header else 1
    seen: set[str] = set()
    for i, r in enumerate(body):
        where = f"{path}, line {first_line + i}"
        if len(r) != ncols:
            raise VectorFileError(f"{where}: {len(r)} columns, expected {ncols}.",
                                  "Every metadata row needs the same tab-separated columns.")
        word = r[0]
        if not word:
            raise VectorFileError(f"{where}: empty word.", "The first column must name each row.")
        if word in seen:
            raise VectorFileError(f"{where}: duplicate word {word!r}.", "Each word may appear once; remove the repeat.")
        seen.add(word)
    words = [r[0] for r in body]
    metadata = {name or f"column {j + 1}": [r[j] for r in body] for j, name in enumerate(names) if j > 0}
    return words, metadata


def _count_vector_rows(vec_path: Path) -> int:
    with open_file(vec_path) as f:
        return sum(1 for line in f if line.strip())


def write_tsv(vectors: WordVectors, path: Path):
    vec_path, meta_path = tsv_paths(path)
    vec_path.parent.mkdir(parents=True, exist_ok=True)
    meta = {k: v for k, v in (vectors.metadata or {}).items() if len(v) == len(vectors)}
    for name, column in meta.items():
        for value in [name, *column]:
            if re.search(r"[\t\r\n]", value):
                raise VectorFileError(f"Metadata column {name!r} holds a tab or line break: {value!r}.",
                                      "The projector's TSV cannot hold it; clean the metadata.")
    with staged() as pair:          # the two files are replaced together or not at all
        names = ["word", *meta]
        rows = zip(vectors.words, *meta.values())
        lines = (["\t".join(names)] if meta else []) + ["\t".join(r) for r in rows]
        pair.write(meta_path, encode("\n".join(lines) + "\n", str(meta_path)))
        with pair.open(vec_path) as f:
            for start, words, block in row_blocks(vectors):
                f.write(text_lines(words, block, "\t", with_words=False))
                yield written(start + len(words), len(vectors), vec_path)
    return [vec_path, meta_path]


FORMAT = VectorFormat("tsv", "Embedding Projector vectors.tsv + metadata.tsv", (".tsv",), read_tsv, write_tsv,
                      aliases=("projector",), folder_file="vectors.tsv", forbidden=r"[\t\r\n]",
                      outputs=lambda path: list(tsv_paths(path)))
