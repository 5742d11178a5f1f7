import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models.vectors.formats as vf
from models.core.events import Progress
from models.errors import VectorFileError
from models.vectors.formats import read_vectors, read_vectors_steps, reading, sniff_format, write_vectors
from models.vectors.formats.record import VectorFormat
from models.vectors.store import WordVectors

NAMES = {"word2vec": "v.txt", "fasttext": "v.vec", "glove": "g.txt", "word2vec-binary": "v.bin",
         "tsv": "vectors.tsv", "npy": "v.npy"}


def _vectors(rng, n=7, dim=5, metadata=False):
    words = ["king", "queen", "naïve", "東京", "x-y", "can't", "Ωmega"][:n] + [f"w{i}" for i in range(n - 7)]
    meta = {"kind": [f"k{i % 2}" for i in range(n)], "count": [str(i * 10) for i in range(n)]} if metadata else None
    return WordVectors(words, (rng.normal(size=(n, dim)) * 10.0 ** rng.integers(-6, 6, size=(n, 1))), meta)


@pytest.mark.parametrize("fmt", list(NAMES))
def test_every_format_round_trips_words_and_exact_values(tmp_path, fmt):
    v = _vectors(np.random.default_rng(0), metadata=fmt == "tsv")
    path = tmp_path / NAMES[fmt]
    written = write_vectors(v, path, fmt)
    assert all(p.is_file() for p in written)
    back = read_vectors(path)                      # sniffed, not told
    assert back.words == v.words
    np.testing.assert_array_equal(back.matrix, v.matrix)
    if fmt == "tsv":
        assert back.metadata == v.metadata
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("fmt", ["word2vec", "glove", "word2vec-binary", "tsv"])
def test_files_spanning_many_blocks_read_the_same(tmp_path, monkeypatch, fmt):
    v = _vectors(np.random.default_rng(1), n=300, dim=9)
    path = tmp_path / NAMES[fmt]
    write_vectors(v, path, fmt)
    monkeypatch.setattr(reading, "BLOCK_BYTES", 101)    # boundaries fall inside words, numbers and floats
    back = read_vectors(path, fmt)
    assert back.words == v.words
    np.testing.assert_array_equal(back.matrix, v.matrix)


def test_reading_reports_progress_in_rows_and_returns_the_vectors(tmp_path, monkeypatch):
    v = _vectors(np.random.default_rng(2), n=200, dim=4)
    write_vectors(v, tmp_path / "v.txt", "word2vec")
    monkeypatch.setattr(reading, "BLOCK_BYTES", 512)
    gen, events = read_vectors_steps(tmp_path / "v.txt"), []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as stop:
            result = stop.value
            break
    assert all(isinstance(e, Progress) and e.unit == "rows" and e.total_steps == 200 for e in events)
    assert len(events) > 3 and events[-1].step == 200
    assert [e.step for e in events] == sorted(e.step for e in events)
    assert result.words == v.words


def test_sniffing_tells_word2vec_glove_and_binary_apart_by_content(tmp_path):
    v = _vectors(np.random.default_rng(3))
    for fmt in ("word2vec", "glove", "word2vec-binary"):
        write_vectors(v, tmp_path / "x.dat", fmt)
        assert sniff_format(tmp_path / "x.dat") == fmt
    write_vectors(v, tmp_path / "proj", "tsv")
    assert sniff_format(tmp_path / "proj") == "tsv"
    assert read_vectors(tmp_path / "proj").words == v.words


def test_projector_metadata_with_a_header_row_and_a_single_column_with_one(tmp_path):
    (tmp_path / "vectors.tsv").write_text("1\t2\n3\t4\n")
    (tmp_path / "metadata.tsv").write_text("label\nb\na\n")
    v = read_vectors(tmp_path / "vectors.tsv")
    assert v.words == ["b", "a"] and v.metadata == {}
    (tmp_path / "metadata.tsv").write_text("word\tclass\tcount\nb\tx\t3\na\ty\t5\n")
    v = read_vectors(tmp_path / "metadata.tsv")
    assert v.words == ["b", "a"] and v.metadata == {"class": ["x", "y"], "count": ["3", "5"]}
    np.testing.assert_array_equal(v.vector("a"), [3, 4])


def test_npy_is_loaded_without_pickle_and_refuses_object_arrays(tmp_path):
    np.save(tmp_path / "v.npy", np.array([[1, 2], [3, 4]], dtype=np.float64))
    (tmp_path / "v.txt").write_text("a\nb\n")
    assert read_vectors(tmp_path / "v.npy").vector("b").tolist() == [3.0, 4.0]
    np.save(tmp_path / "o.npy", np.array([[object(), 1]], dtype=object), allow_pickle=True)
    (tmp_path / "o.vocab.txt").write_text("a\n")
    with pytest.raises(VectorFileError, match="not numbers"):
        read_vectors(tmp_path / "o.npy")


def _bad(fmt: str, tmp: Path, content: bytes | dict) -> Path:
    files = content if isinstance(content, dict) else {NAMES[fmt]: content}
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    return tmp / next(iter(files))


def _row(word: bytes, values) -> bytes:
    return word + b" " + np.asarray(values, dtype="<f4").tobytes() + b"\n"


def _npy(arr) -> bytes:
    import io
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


BAD = [
    ("word2vec", b"three 2\na 1 2\n", "line 1: expected a header"),
    ("word2vec", b"2 -3\na 1 2\n", "line 1: expected a header"),
    ("word2vec", b"2 2\na 1 2\n", "header promises 2 rows but the file has 1"),
    ("word2vec", b"1 2\na 1 2\nb 3 4\n", "line 3: more rows than the 1"),
    ("word2vec", b"2 3\na 1 2 3\nb 1 2\n", "line 3: 2 values, expected 3"),
    ("word2vec", b"2 2\na 1 2\nb 1 2 3\n", "line 3: 3 values, expected 2"),
    ("word2vec", b"1 2\na 1 nan\n", "line 2: NaN or infinite value for 'a'"),
    ("word2vec", b"1 2\na -inf 0\n", "line 2: NaN or infinite"),
    ("word2vec", b"1 2\na 1e39 0\n", "line 2: NaN or infinite"),        # overflows float32
    ("word2vec", b"2 2\na 1 2\na 3 4\n", "line 3: duplicate word 'a'"),
    ("word2vec", b"1 2\n 1 2 3\n", "line 2: empty word"),
    ("word2vec", b"2 2\na 1 2\n\xffb 3 4\n", "line 3: bytes that are not UTF-8"),
    ("word2vec", b"1 2\na 1 two\n", "line 2: a value is not a number ('two')"),
    ("word2vec", b"900000000 300\na 1\n", "more than the file can hold"),
    ("glove", b"a 1 2\nb 3\n", "line 2: 1 values, expected 2"),
    ("glove", b"a 1 2\nb inf 2\n", "line 2: NaN or infinite"),
    ("glove", b"a 1 2\n\nb 1 2\na 1 2\n", "line 4: duplicate word 'a'"),
    ("glove", b"a\n", "line 1: expected a word followed by its values"),
    ("word2vec-binary", b"2 2\n" + _row(b"a", [1, 2]) + b"b ", "byte 15: the file ends inside row 2"),
    ("word2vec-binary", b"2 2\n" + _row(b"a", [1, 2]) + _row(b"b", [1, 2])[:-4], "ends inside row 2"),
    ("word2vec-binary", b"90000000 300\nab", "more than the file can hold"),
    ("word2vec-binary", b"1 2\n" + _row(b"a", [np.nan, 2]), "byte 4 (row 1): NaN or infinite"),
    ("word2vec-binary", b"2 1\n" + _row(b"a", [1]) + _row(b"a", [2]), "byte 11 (row 2): duplicate word 'a'"),
    ("word2vec-binary", b"1 1\n" + _row(b"\xff", [1]), "byte 4 (row 1): a word with bytes that are not UTF-8"),
    ("word2vec-binary", b"1 1\n" + _row(b"a", [1]) + b"junk", "byte 11: data after the 1 rows"),
    ("word2vec-binary", b"2 1\n" + _row(b"", [1]) + _row(b"b", [1]), "byte 4 (row 1): empty word"),
    ("tsv", {"vectors.tsv": b"1\t2\n3\n", "metadata.tsv": b"a\nb\n"}, "vectors.tsv, line 2: 1 values, expected 2"),
    ("tsv", {"vectors.tsv": b"10\t20\n", "metadata.tsv": b"a\nb\nc\n"}, "1 vectors but metadata.tsv names 3"),
    ("tsv", {"vectors.tsv": b"1\t2\n3\t4\n", "metadata.tsv": b"w\tc\na\tx\na\ty\n"}, "metadata.tsv, line 3: duplicate"),
    ("tsv", {"vectors.tsv": b"1\t2\n3\t4\n", "metadata.tsv": b"w\tc\na\tx\nb\n"}, "line 3: 1 columns, expected 2"),
    ("tsv", {"vectors.tsv": b"1\tnan\n"}, "metadata.tsv: file not found"),
    ("npy", {"v.npy": _npy(np.ones((2, 2))), "v.txt": b"a\n"}, "1 words but the matrix has 2 rows"),
    ("npy", {"v.npy": _npy(np.ones((2, 2)))[:-8], "v.txt": b"a\nb\n"}, "the file ends before its 2 x 2 matrix"),
    ("npy", {"v.npy": _npy(np.ones(3)), "v.txt": b"a\n"}, "not a (words x dimensions) matrix"),
    ("npy", {"v.npy": _npy(np.array([[1.0, np.inf]])), "v.txt": b"a\n"}, "row 1: NaN or infinite"),
    ("npy", {"v.npy": b"\x93NUMPY garbage", "v.txt": b"a\n"}, "byte 0: not a valid .npy file"),
    ("npy", {"v.npy": _npy(np.ones((1, 2)))}, "no vocabulary file beside it"),
    ("npy", {"v.npy": _npy(np.ones((2, 2))), "v.txt": b"a\n\n"}, "v.txt, line 2: empty word"),
]


@pytest.mark.parametrize("fmt, content, phrase", BAD, ids=[f"{f}-{p[:30]}" for f, _, p in BAD])
def test_bad_input_names_the_file_and_place_and_offers_a_way_out(tmp_path, fmt, content, phrase):
    path = _bad(fmt, tmp_path, content)
    with pytest.raises(VectorFileError) as info:
        read_vectors(path, fmt)
    message = str(info.value)
    assert phrase in message and str(tmp_path) in message
    assert info.value.hint, "every error says what to do"


def test_a_value_of_many_digits_ending_in_a_letter_is_refused_at_once(tmp_path):
    # The number pattern once backtracked quadratically on such a token: 50,000 digits took minutes.
    (tmp_path / "g.txt").write_bytes(b"a 1 2\nb 3 " + b"9" * 50_000 + b"x\n")
    t0 = time.perf_counter()
    with pytest.raises(VectorFileError, match="line 2: a value is not a number"):
        read_vectors(tmp_path / "g.txt", "glove")
    assert time.perf_counter() - t0 < 5


def test_a_garbled_npy_header_gives_a_short_message_not_numpy_quoting_the_header(tmp_path):
    header = b"{'descr': 'garbage', 'fortran_order': False, 'shape': (2, 2), }" + bytes(range(256)) * 16
    (tmp_path / "v.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
    (tmp_path / "v.txt").write_text("a\nb\n")
    with pytest.raises(VectorFileError, match="byte 0: not a valid .npy file") as info:
        read_vectors(tmp_path / "v.npy")
    message = str(info.value)
    assert len(message) < 300 and message.isprintable() and str(tmp_path) in message


def test_a_missing_empty_or_folder_path_is_a_clear_error(tmp_path):
    for path, phrase in [(tmp_path / "none.txt", "file not found"), (tmp_path, "folder without vectors.tsv")]:
        with pytest.raises(VectorFileError, match=phrase):
            read_vectors(path)
    (tmp_path / "e.txt").write_bytes(b"")
    with pytest.raises(VectorFileError, match="is empty"):
        read_vectors(tmp_path / "e.txt")
    with pytest.raises(VectorFileError, match="Unknown vector format 'xml'"):
        read_vectors(tmp_path / "e.txt", "xml")


def test_writers_refuse_words_the_format_cannot_hold(tmp_path):
    v = WordVectors(["new york", "b"], np.ones((2, 2)))
    with pytest.raises(VectorFileError, match="'new york' cannot be written as word2vec"):
        write_vectors(v, tmp_path / "v.txt")
    assert not list(tmp_path.iterdir())
    write_vectors(v, tmp_path / "v.npy")            # one word per line: spaces are fine
    assert read_vectors(tmp_path / "v.npy").words == ["new york", "b"]
    with pytest.raises(VectorFileError, match="NaN or infinite"):
        write_vectors(WordVectors(["a"], np.array([[np.nan]])), tmp_path / "n.txt")


@pytest.mark.parametrize("fmt", ["word2vec", "word2vec-binary", "npy"])
def test_a_failed_write_leaves_the_previous_file_untouched(tmp_path, monkeypatch, fmt):
    path = tmp_path / NAMES[fmt]
    old = _vectors(np.random.default_rng(4))
    write_vectors(old, path, fmt)
    before = path.read_bytes()

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(VectorFileError, match="No space left on device"):
        write_vectors(_vectors(np.random.default_rng(5)), path, fmt)
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_word2vec_text_loads_files_written_by_gensim_style_writers(tmp_path):
    # Trailing spaces, CRLF line ends, a byte-order mark and tabs between values are all seen in the wild.
    (tmp_path / "v.txt").write_bytes(b"\xef\xbb\xbf2 3\r\na 1 2 3 \r\nb 4\t5  6\r\n")
    v = read_vectors(tmp_path / "v.txt")
    assert v.words == ["a", "b"] and v.matrix.tolist() == [[1, 2, 3], [4, 5, 6]]


# --- fuzzing: broken files give VectorFileError or a sound result, nothing else ----------------
_TOKENS = [b" ", b"\n", b"\t", b"\r", b"nan", b"inf", b"-", b"1e39", b"\xff", b"\x00", b"9" * 25, b"  ", b"a",
           b"\xc3", b"2 3\n", b"0", b".", b"#", b"\x93NUMPY"]


@st.composite
def _mutation(draw, size: int):
    kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "token"]))
    pos = draw(st.integers(0, max(0, size)))
    if kind == "replace":
        return kind, pos, draw(st.binary(min_size=1, max_size=3))
    if kind == "token":
        return kind, pos, draw(st.sampled_from(_TOKENS))
    if kind == "insert":
        return kind, pos, draw(st.binary(min_size=1, max_size=4))
    return kind, pos, draw(st.integers(1, 8))


def _mutate(data: bytes, mutations) -> bytes:
    for kind, pos, arg in mutations:
        pos = min(pos, len(data))
        if kind in ("replace",):
            data = data[:pos] + arg + data[pos + len(arg):]
        elif kind in ("insert", "token"):
            data = data[:pos] + arg + data[pos:]
        elif kind == "delete":
            data = data[:pos] + data[pos + arg:]
        else:
            data = data[:pos]
    return data


_word = st.text(st.sampled_from("abcé東-'"), min_size=1, max_size=4)


@st.composite
def _damaged_file(draw, fmt: str):
    words = draw(st.lists(_word, min_size=1, max_size=4, unique=True))
    dim = draw(st.integers(1, 3))
    values = draw(st.lists(st.floats(-1e6, 1e6, width=32, allow_subnormal=False), min_size=len(words) * dim, max_size=len(words) * dim))
    v = WordVectors(words, np.array(values, dtype=np.float32).reshape(len(words), dim))
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_vectors(v, Path(tmp) / NAMES[fmt], fmt)
        files = {p.name: p.read_bytes() for p in paths}
    target = draw(st.sampled_from(sorted(files)))
    muts = draw(st.lists(_mutation(len(files[target])), min_size=1, max_size=3))
    files[target] = _mutate(files[target], muts)
    return files


def _check_sound(v: WordVectors, files: dict, fmt: str, how: str) -> None:
    assert np.isfinite(v.matrix).all()
    assert all(v.words) and len(set(v.words)) == len(v.words) == v.matrix.shape[0] > 0
    if how in ("word2vec", "word2vec-binary"):
        header = files[NAMES[fmt]].removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].split()
        assert int(header[0]) == len(v) and int(header[1]) == v.dim


@pytest.mark.parametrize("fmt", ["word2vec", "glove", "word2vec-binary", "tsv", "npy"])
@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_files_never_raise_anything_but_a_vector_file_error(fmt, data):
    files = data.draw(_damaged_file(fmt))
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in files.items():
            Path(tmp, name).write_bytes(content)
        for how in (fmt, "auto"):
            try:
                v = read_vectors(Path(tmp, NAMES[fmt]), how)
            except VectorFileError as e:
                assert str(tmp) in str(e)
            else:
                _check_sound(v, files, fmt, how)


def test_no_temporary_files_or_handles_are_left_by_a_failed_read(tmp_path):
    (tmp_path / "v.txt").write_bytes(b"2 2\na 1 2\nb x 4\n")
    with pytest.raises(VectorFileError):
        read_vectors(tmp_path / "v.txt")
    fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for _ in range(20):
        with pytest.raises(VectorFileError):
            read_vectors(tmp_path / "v.txt")
    if fds is not None:
        assert len(os.listdir("/proc/self/fd")) <= fds


def _toy_format():
    """A format of its own, made as a format module makes one: ``#toy`` then ``word,v1,v2,...`` rows."""
    def read(path):
        lines = path.read_text().splitlines()[1:]
        yield Progress(step=len(lines), total_steps=len(lines), unit="rows")
        rows = [line.split(",") for line in lines]
        return WordVectors([r[0] for r in rows], np.array([[float(x) for x in r[1:]] for r in rows]))

    def write(vectors, path):
        rows = [",".join([w, *map(repr, row.tolist())]) for w, row in zip(vectors.words, vectors.matrix)]
        path.write_text("\n".join(["#toy", *rows]) + "\n")
        yield Progress(step=len(rows), total_steps=len(rows), unit="rows")
        return [path]

    return VectorFormat("toy", "Toy rows", (".toy",), read, write, aliases=("plaything",), forbidden=r"[,\s]",
                        sniff=lambda head: head.startswith(b"#toy"))


def test_a_format_added_to_the_list_is_written_read_and_recognised_by_name_and_content(tmp_path, monkeypatch):
    monkeypatch.setattr(vf, "FORMATS", (*vf.FORMATS, _toy_format()))
    v = _vectors(np.random.default_rng(9))
    assert write_vectors(v, tmp_path / "a.toy") == [tmp_path / "a.toy"]       # its name ending chooses it
    assert (tmp_path / "a.toy").read_text().startswith("#toy\n")
    (tmp_path / "a.dat").write_bytes((tmp_path / "a.toy").read_bytes())
    assert sniff_format(tmp_path / "a.dat") == "toy"                           # its sniff recognises it
    back = read_vectors(tmp_path / "a.dat", "plaything")                       # and its alias names it
    assert back.words == v.words
    np.testing.assert_array_equal(back.matrix, v.matrix)
    with pytest.raises(VectorFileError, match="cannot be written as toy"):
        write_vectors(WordVectors(["a,b"], np.ones((1, 2))), tmp_path / "b.toy")
