"""A corpus read as a stream: chunks, token files in the cache, folders, Stop, bounded memory."""
import gzip
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from models.core.events import drain
from models.errors import CorpusError
from models.text import corpus as corpus_module
from models.text import word2vec
from models.text.corpus import Corpus, read_corpus, read_corpus_steps
from models.text.token_file import DiskArray, sentence_chunks
from models.text.vocab import prepare_steps

ROOT = Path(__file__).resolve().parents[3]
WORDS = "the cat sat on a mat while dog ran far away from old red barn near river bank".split()


def _text(n_lines: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    lines = (" ".join(rng.choice(WORDS, rng.integers(1, 30))).capitalize() + "." for _ in range(n_lines))
    return "\n".join(lines) + "\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache of its own, and corpora past 50 tokens written to it."""
    monkeypatch.setenv("EMBEDDING_EXPLORER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(corpus_module, "SPILL_TOKENS", 50)
    return tmp_path / "cache" / "corpora"


def _on_disk(corpus: Corpus) -> bool:
    return isinstance(corpus.token_ids.ids, DiskArray)


def test_a_streamed_corpus_gives_the_vocabulary_encoding_and_vectors_of_one_held_in_memory(tmp_path, cache):
    (tmp_path / "c.txt").write_text(_text(400))
    streamed = read_corpus(tmp_path / "c.txt")
    assert _on_disk(streamed) and streamed.cache is not None
    held = Corpus(tmp_path / "c.txt", [list(s) for s in streamed.sentences])
    assert held.sentences == streamed.sentences
    (v1, d1), (v2, d2) = (drain(prepare_steps(c, min_count=2)) for c in (held, streamed))
    assert isinstance(d2.ids, DiskArray)
    assert v1.words == v2.words and v1.counts.tolist() == v2.counts.tolist()
    np.testing.assert_array_equal(d1.ids, np.asarray(d2.ids))
    np.testing.assert_array_equal(d1.starts, np.asarray(d2.starts))
    config = word2vec.SGNSConfig(dim=8, epochs=2, min_count=2, threads=1, seed=3)
    one, two = (drain(word2vec.train(config, c)) for c in (held, streamed))
    np.testing.assert_array_equal(one.tensors["input"], two.tensors["input"])


@pytest.mark.parametrize("packed", [False, True])
def test_chunks_that_end_in_the_middle_of_lines_and_characters_change_nothing(tmp_path, monkeypatch, packed):
    text = _text(300, seed=1).replace("cat", "café")           # two-byte characters across chunk ends too
    path = tmp_path / ("c.txt.gz" if packed else "c.txt")
    path.write_bytes(gzip.compress(text.encode()) if packed else text.encode())
    whole = read_corpus(path)
    monkeypatch.setattr(corpus_module, "_CHUNK", 37)
    cut = read_corpus(path)
    assert cut.sentences == whole.sentences and len(whole.sentences) == 300
    assert cut.notes == [] and cut.token_ids.type_counts().tolist() == whole.token_ids.type_counts().tolist()


def test_a_folder_is_read_as_its_text_files_in_sorted_order(tmp_path):
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.txt").write_text("beta beta\n")
    (folder / "a.txt.gz").write_bytes(gzip.compress(b"alpha one\nalpha two"))     # no final line break
    (folder / "c.dat").write_text("not read\n")
    (folder / "sub" / "d.txt").write_text("not read either\n")
    assert read_corpus(folder).sentences == [["alpha", "one"], ["alpha", "two"], ["beta", "beta"]]


def test_a_folder_with_a_bad_file_names_that_file(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("fine words here\n")
    (folder / "b.txt").write_bytes(b"text\x00more")
    with pytest.raises(CorpusError, match=r"b\.txt looks like a binary file"):
        read_corpus(folder)
    (folder / "b.txt").unlink()
    (folder / "a.txt").unlink()
    with pytest.raises(CorpusError, match="is a folder with no .txt or .txt.gz file"):
        read_corpus(folder)


def test_a_corpus_read_again_comes_from_the_cache_until_the_file_changes(tmp_path, cache, monkeypatch):
    path = tmp_path / "c.txt"
    path.write_text(_text(200))
    first = read_corpus(path)
    drain(prepare_steps(first, min_count=2))
    read_text = corpus_module._TextReader.pieces
    monkeypatch.setattr(corpus_module._TextReader, "pieces", lambda self: pytest.fail("read the text again"))
    again = read_corpus(path)
    assert again.cache == first.cache and again.sentences == first.sentences
    encoded = list(again.cache.glob("encoded-*"))
    assert len(encoded) == 2
    stamps = [p.stat().st_mtime_ns for p in encoded]
    drain(prepare_steps(again, min_count=2))       # a new Corpus object: its encoding is found on disk
    assert [p.stat().st_mtime_ns for p in encoded] == stamps
    monkeypatch.setattr(corpus_module._TextReader, "pieces", read_text)
    path.write_text(_text(200) + "a brand new line\n")
    changed = read_corpus(path)
    assert changed.cache != first.cache and changed.sentences[-1] == ["a", "brand", "new", "line"]


def test_only_the_most_recently_read_corpora_stay_in_the_cache(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(corpus_module, "KEEP_CACHED", 2)
    paths = [tmp_path / f"c{i}.txt" for i in range(3)]
    for i, p in enumerate(paths):
        p.write_text(_text(100, seed=i))
        os.utime(read_corpus(p).cache, (i, i))       # read in this order, long ago
    assert len(list(cache.iterdir())) == 2


def test_stopping_while_loading_is_prompt_and_leaves_nothing_half_written(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(corpus_module, "_CHUNK", 4096)
    path = tmp_path / "c.txt"
    path.write_text(_text(20_000))
    gen = read_corpus_steps(path)
    events = [next(gen) for _ in range(3)]
    assert events[-1].step < events[-1].total_steps and events[-1].unit == "B"
    t0 = time.perf_counter()
    gen.close()
    assert time.perf_counter() - t0 < 1.0
    assert not [p for p in cache.rglob("*") if p.is_file()]     # no token file, finished or not
    assert read_corpus(path).sentences[0] == _text(20_000).split("\n")[0].lower().rstrip(".").split()


def test_sentence_chunks_cover_every_sentence_once_in_runs_of_about_the_asked_size():
    starts = np.cumsum([0, 3, 1, 7, 2, 2, 9, 1], dtype=np.int64)
    chunks = list(sentence_chunks(starts, 5))
    assert chunks[0][0] == 0 and chunks[-1][1] == 7
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
    assert all(starts[s1] - starts[s0] <= 5 or s1 == s0 + 1 for s0, s1 in chunks)


def test_reading_and_encoding_a_corpus_holds_far_less_than_its_text(tmp_path):
    """A 60 MB corpus, about 10 million tokens: memory grew by a hundred bytes a token (1 GB) when
    it was held whole; streamed, it grows by what one chunk and the vocabulary need."""
    path = tmp_path / "big.txt"
    block = _text(20_000, seed=5).encode()
    with open(path, "wb") as f:
        while f.tell() < 60 << 20:
            f.write(block)
    script = f"""
import resource, sys
from pathlib import Path
from models.core.events import drain
from models.text.corpus import Corpus, read_corpus
from models.text.vocab import prepare_steps
drain(prepare_steps(Corpus(Path("warm"), [["a", "b"], ["b", "a"]] * 3), min_count=1))   # compiled kernels
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
corpus = read_corpus({str(path)!r})
vocab, data = drain(prepare_steps(corpus, min_count=1))
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(grew * 1024, corpus.n_tokens, data.n_tokens, type(data.ids).__name__)
"""
    env = {**os.environ, "EMBEDDING_EXPLORER_CACHE": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    grew, n_tokens = int(out[0]), int(out[1])
    assert n_tokens > 9_000_000 and out[3] == "DiskArray"
    assert grew < (60 << 20) / 2, f"memory grew by {grew / 2**20:.0f} MB for 60 MB of text"


def test_a_corpus_that_would_fill_the_disk_stops_with_the_tokens_read_and_leaves_no_token_file(
        tmp_path, cache, monkeypatch):
    monkeypatch.setattr(corpus_module, "_CHUNK", 4096)
    path = tmp_path / "c.txt"
    path.write_text(_text(2_000))
    monkeypatch.setattr(corpus_module, "DISK_RESERVE", shutil.disk_usage(tmp_path).free + (1 << 40))
    with pytest.raises(CorpusError) as e:
        read_corpus(path)
    assert "GiB free" in e.value.problem and "tokens" in e.value.problem and "EMBEDDING_EXPLORER_CACHE" in e.value.hint
    assert not [p for p in cache.rglob("*") if p.is_file()]
