"""The three file rules below the command line: showing text from a file (models.printable),
writing (models.core.writing) and reading (models.core.reading), with faults injected where a
real one cannot be made in a test (a full disk, a read-only disk, a rename refused half-way)."""
from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from models.core import writing
from models.core.reading import read_bounded
from models.errors import CorpusError, UserError, VectorFileError
from models.printable import printable
from models.text import corpus
from models.vectors.formats import read_vectors, write_vectors
from models.vectors.store import WordVectors
from tests.faults import denied_rename, full_disk, temp_files
from tests.hostile.cases import HOSTILE_WORDS


# --- printing ----------------------------------------------------------------------------------
@pytest.mark.parametrize("what", HOSTILE_WORDS)
def test_printable_escapes_what_a_terminal_or_label_would_obey(what):
    shown = printable(HOSTILE_WORDS[what])
    assert shown.isprintable() and "\n" not in shown and shown != HOSTILE_WORDS[what]
    assert "\\" in shown            # escaped, not dropped: the reader sees something is there


def test_printable_keeps_text_that_is_only_text():
    for text in ("naïve café", "日本語", "नमस्ते", "👩\u200d🔬", "a b\u00a0c"):
        assert printable(text) == text


# --- writing -----------------------------------------------------------------------------------
def _vectors(seed: int, n: int = 30) -> WordVectors:
    rng = np.random.default_rng(seed)
    return WordVectors([f"w{i}" for i in range(n)], rng.normal(size=(n, 5)).astype(np.float32))


@pytest.mark.parametrize("fmt,names", [("npy", ("v.npy", "v.vocab.txt")), ("tsv", ("vectors.tsv", "metadata.tsv"))])
@pytest.mark.parametrize("fault", ["full disk at the second file", "second rename refused"])
def test_a_pair_of_files_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch, fmt, names, fault):
    target = tmp_path / ("v.npy" if fmt == "npy" else "")
    write_vectors(_vectors(1), target if fmt == "npy" else tmp_path, fmt)
    before = {n: (tmp_path / n).read_bytes() for n in names}
    injected = full_disk(monkeypatch, nth=2) if fault.startswith("full") else denied_rename(monkeypatch, nth=2)
    with pytest.raises(VectorFileError, match="unchanged"):
        write_vectors(_vectors(2), target if fmt == "npy" else tmp_path, fmt)
    monkeypatch.undo()
    assert injected.fired
    assert {n: (tmp_path / n).read_bytes() for n in names} == before and temp_files(tmp_path) == []
    assert read_vectors(tmp_path / names[0], fmt).words == _vectors(1).words


@pytest.mark.parametrize("code,advice,not_said", [
    (errno.EROFS, "read-only", "free some space"), (errno.ENOSPC, "free some space", "read-only"),
    (errno.EACCES, "not allowed", "free some space"), (errno.ENOENT, "does not exist", "free some space")])
def test_each_disk_failure_gets_its_own_advice(tmp_path, monkeypatch, code, advice, not_said):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(tmp_path / "v.txt"))
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(VectorFileError) as info:
        write_vectors(_vectors(1), tmp_path / "v.txt")
    assert advice in str(info.value).lower() and not_said not in str(info.value).lower()


def test_a_new_file_gets_the_umask_permissions_and_a_replaced_one_keeps_its_own(tmp_path):
    path = tmp_path / "v.txt"
    write_vectors(_vectors(1), path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~writing.umask()      # not mkstemp's 0600
    path.chmod(0o604)
    write_vectors(_vectors(2), path)
    assert path.stat().st_mode & 0o777 == 0o604


def test_a_killed_saves_temporaries_are_removed_at_the_next_save(tmp_path):
    stale = [tmp_path / ".v.txt.abc123.tmp", tmp_path / ".v.txt.def456.old.tmp"]
    for p in stale:
        p.write_bytes(b"x" * 1000)
    keep = tmp_path / ".other.txt.abc123.tmp"       # another file's: not this save's to remove
    keep.write_bytes(b"y")
    write_vectors(_vectors(1), tmp_path / "v.txt")
    assert not any(p.exists() for p in stale) and keep.exists()


def test_a_symbolic_link_where_an_output_goes_is_refused_and_its_target_untouched(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep me")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "v.txt").symlink_to(outside)
    with pytest.raises(VectorFileError, match="symbolic link"):
        write_vectors(_vectors(1), tmp_path / "out" / "v.txt")
    assert outside.read_bytes() == b"keep me" and (tmp_path / "out" / "v.txt").is_symlink()


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2 exchange", "two renames"])
def test_a_model_folder_is_swapped_whole(tmp_path, monkeypatch, exchange):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"old")
    (folder / "run.json").write_bytes(b"old")
    (folder / "run.json").chmod(0o640)
    if not exchange:
        monkeypatch.setattr(writing, "_exchange", lambda a, b: False)
    with writing.replaced_folder(folder, {"model.safetensors", "run.json"}) as new:
        (new / "model.safetensors").write_bytes(b"new")
        (new / "run.json").write_bytes(b"new")
        assert (folder / "model.safetensors").read_bytes() == b"old"      # nothing replaced while writing
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {"model.safetensors": b"new", "run.json": b"new"}
    assert (folder / "run.json").stat().st_mode & 0o777 == 0o640 and os.listdir(tmp_path) == ["m"]


def test_a_failed_swap_leaves_the_old_folder(tmp_path, monkeypatch):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"old")
    monkeypatch.setattr(writing, "_exchange", lambda a, b: False)
    real, failed = os.rename, []

    def rename(src, dst):
        if str(dst) == str(folder) and not failed:      # the new folder into place, the first time
            failed.append(src)
            raise OSError(errno.EIO, "input/output error")
        return real(src, dst)
    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError), writing.replaced_folder(folder, {"model.safetensors"}) as new:
        (new / "model.safetensors").write_bytes(b"new")
    assert failed and (folder / "model.safetensors").read_bytes() == b"old" and os.listdir(tmp_path) == ["m"]


def test_a_folder_holding_other_files_is_refused_before_anything_is_written(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "notes.txt").write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="notes.txt"):
        writing.check_folder(folder, {"model.safetensors"})
    writing.check_folder(folder, {"model.safetensors"}, force=True)
    assert os.listdir(folder) == ["notes.txt"] and os.listdir(tmp_path) == ["m"]


# --- reading -----------------------------------------------------------------------------------
@pytest.mark.parametrize("make,kind", [(lambda p: os.mkfifo(p), "named pipe"), (lambda p: p.mkdir(), "folder"),
                                       (lambda p: p.symlink_to("/dev/zero"), "character device")])
def test_only_regular_files_are_read(tmp_path, make, kind):
    path = tmp_path / "f"
    make(path)
    with pytest.raises(UserError, match=kind):
        read_bounded(path, 100, "a model file", UserError, "Give a model.")


def test_a_file_past_its_ceiling_is_refused_naming_the_ceiling(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 2048)
    with pytest.raises(UserError, match="larger than the 1 KiB allowed for a model file"):
        read_bounded(path, 1024, "a model file", UserError, "Give a model.")
    assert read_bounded(path, 2048, "a model file", UserError, "Give a model.") == b"x" * 2048


def test_proc_files_that_say_they_are_empty_are_read_under_the_ceiling():
    assert os.stat("/proc/self/status").st_size == 0
    assert b"Name:" in read_bounded("/proc/self/status", 1 << 20, "a text file", UserError, "")
    with pytest.raises(UserError, match="larger than"):
        read_bounded("/proc/self/status", 10, "a text file", UserError, "")


def test_a_line_past_the_line_ceiling_is_refused_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "MAX_LINE_BYTES", 1 << 16)
    monkeypatch.setattr(corpus, "_CHUNK", 1 << 12)        # the line spans many chunks
    path = tmp_path / "c.txt"
    path.write_bytes(b"a short line\n" * 3 + b"word " * (1 << 14))
    with pytest.raises(CorpusError, match="line 4: a line longer than 64 KiB"):
        corpus.read_corpus(path)
