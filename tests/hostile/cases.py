"""Hand-made hostile files and paths, a case per attack, grouped by the rule that answers it.

Each case builds its files in a :class:`Stage` and says what the command line must do:

- ``error``: exit code 2, one line on stderr starting ``error:`` that names the file (and any other
  words the case asks for), nothing on stdout, no traceback;
- ``ok``: exit code 0, stdout holding the stated number of result lines, every line printable.

and what must hold afterwards (a file outside ``--out`` unchanged, nothing half-replaced). The
rules: ``printing`` (text from a file shown escaped), ``writing`` (temporary + rename, never
through a link, sets whole, destination first), ``reading`` (regular files only, bounded),
``session`` (a session's members, numbers and types, and the corpus it names), ``messages``.

Cases marked ``big`` make files sized by the real ceilings (a 16 MiB line, ten hours of audio): the script
``tests/benchmarks/hostile_files.py`` runs them as they are, each in its own process with its peak
memory measured; the tests lower the ceilings instead (``Stage(big=False)`` sizes files by them).
"""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from models.printable import printable
from tests.fuzz.hostile import repeat_zip_entry

RULES = ("printing", "writing", "reading", "session", "messages")
# Words a vocabulary or a database can hold, each an attack on whatever shows it.
HOSTILE_WORDS = {
    "an ESC sequence that retitles the terminal": "title\x1b]0;owned\x07",
    "ESC sequences that clear the screen": "clear\x1b[2J\x1b[H",
    "a carriage return": "back\rover",
    "a NUL byte": "nul\x00byte",
    "a right-to-left override": "rlo\u202eevil",
    "a line break forging a result line": "forged\n0.9999\tline",
    "a C1 control sequence introducer": "csi\x9b31m",
    "a Unicode line separator": "sep\u2028line",
    "a bidi isolate": "iso\u2066late",
    "a zero-width space": "zw\u200bsp",
}
PLAIN_WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
OUTSIDE = b"a file outside the output folder, never to be written\n"
N = len(PLAIN_WORDS) + len(HOSTILE_WORDS)      # the words of the hostile-word model


@dataclass
class Run:
    argv: list[str]                  # explorer's command line; ["session", PATH] opens a session file
    expect: str = "error"            # "error" or "ok"
    names: list[str] = field(default_factory=list)     # what the error line must hold (paths as shown)
    lines: int | None = None         # "ok": result lines on stdout
    after: Callable[[], list[str]] | None = None       # problems left once it ran


@dataclass(frozen=True)
class Case:
    rule: str
    name: str
    build: Callable[["Stage"], Run]
    big: bool = False


class Stage:
    """A folder of crafted files; models and recordings are made once and shared by the cases."""

    def __init__(self, root: Path, big: bool = True):
        self.root, self.big, self._made = Path(root), big, {}
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.root / name

    def file(self, name: str, data: bytes) -> Path:
        p = self.path(name)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return p

    def fifo(self, name: str) -> Path:
        p = self.path(name)
        p.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(p)
        return p

    def link(self, name: str, target) -> Path:
        p = self.path(name)
        p.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, p)
        return p

    def folder(self, name: str) -> Path:
        p = self.path(name)
        p.mkdir(parents=True)
        return p

    def outside(self, name: str = "outside.txt") -> tuple[Path, Callable[[], list[str]]]:
        """A file that must stay as it is, and the check that it did."""
        p = self.file(name, OUTSIDE)

        def unchanged() -> list[str]:
            return [] if p.read_bytes() == OUTSIDE else [f"{p.name} outside the output was written"]
        return p, unchanged

    def _once(self, key: str, make):
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    # --- shared models and files -------------------------------------------------------------
    def words_model(self) -> Path:
        """An sgns model folder whose vocabulary holds every hostile word."""
        return self._once("words", lambda: self.save_embedding("words-model", {}))

    def plain_model(self) -> Path:
        """An sgns model folder of plain words, which every vector format can hold."""
        return self._once("plain", lambda: self.save_embedding("plain-model", {}, words=PLAIN_WORDS))

    def save_embedding(self, name: str, damage: dict, dim: int = 4, words: list[str] | None = None) -> Path:
        """An sgns model folder over ``words`` (every hostile word and some plain ones), its tensors
        replaced by ``damage``."""
        from models.core.checkpoint import WEIGHTS, Checkpoint, checkpoint_bytes
        from models.registry import get
        from models.text.embedding import TrainedEmbedding
        from models.text.vocab import Vocabulary

        words = words or PLAIN_WORDS + list(HOSTILE_WORDS.values())
        rng = np.random.default_rng(7)
        tensors = {"input": rng.normal(size=(len(words), dim)).astype(np.float32),
                   "output": rng.normal(size=(len(words), dim)).astype(np.float32)}
        model = TrainedEmbedding("sgns", get("sgns").config_cls(dim=dim),
                                 Vocabulary(words, np.arange(len(words), 0, -1, dtype=np.int64)), tensors,
                                 {"seconds": 1.0})
        # Written as an attacker would, past the checks of the program's own save (which refuses to
        # write a word with a line break into vectors.txt): the checkpoint is what loading reads.
        folder = self.path(name)
        folder.mkdir()
        ck = model.checkpoint()
        (folder / WEIGHTS).write_bytes(checkpoint_bytes(Checkpoint(ck.model, ck.config, {**tensors, **damage},
                                                                   ck.extra)))
        return folder

    def dc_model(self) -> Path:
        from tests.fuzz.seeds import tiny_dc

        return self._once("dc", lambda: tiny_dc().save(self.path("dc-model")))

    def matcher(self) -> Path:
        from tests.fuzz.seeds import tiny_matcher

        return self._once("siamese", lambda: tiny_matcher(list(HOSTILE_WORDS.values())[:4]).save(
            self.path("siamese-model")))

    def recording(self, name: str = "mix.wav", seconds: float = 0.5, rate: int = 8000) -> Path:
        import soundfile

        t = np.arange(int(seconds * rate)) / rate
        p = self.path(name)
        soundfile.write(str(p), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate, subtype="PCM_16")
        return p

    def corpus(self) -> Path:
        return self._once("corpus", lambda: self.file("corpus.txt", b"alpha beta gamma delta epsilon zeta\n" * 200))

    def too_long_recording(self, name: str) -> Path:
        """An 8-bit WAV at 1 kHz lasting past the ceiling (ten hours when big): a few bytes a sample."""
        import soundfile

        from models.audio import wav

        seconds = 36_000 if self.big else max(wav.MAX_SECONDS, wav.MAX_MIXTURE_SECONDS) + 2
        p = self.path(name)
        with soundfile.SoundFile(str(p), "w", 1000, 1, subtype="PCM_U8") as f:
            block = np.zeros(1 << 20, np.float32)
            for _ in range(seconds * 1000 // len(block)):
                f.write(block)
            f.write(block[:seconds * 1000 % len(block)])
        return p

    def session(self, name: str, state: dict | None = None, notes: list | None = None, repeat: int = 0,
                edit_index=None, stats: dict | None = None) -> Path:
        """A session holding the hostile-word model (its run statistics ``stats``, if given);
        ``edit_index(index)`` alters its session.json; ``repeat``: its model member listed that many
        more times in the zip's directory."""
        from models.core.checkpoint import load_checkpoint
        from models.core.session import SavedModel, Session, save_session

        ckpt = load_checkpoint(self.words_model())
        if stats is not None:
            ckpt.extra["stats"] = stats
        base = {"current": 0, "shown": "pca", "selected": None, "search": "", "count": 100, "group": None,
                "tab": "Map", "compare": [0, 0, None], "corpus": None, "layouts": {}}
        saved = [SavedModel(ckpt, n) for n in (notes or [{"name": "1 · sgns", "added": "12:00"}])]
        p = save_session(self.path(name), Session(saved, {}, {**base, **(state or {})}))
        if edit_index is not None or repeat:
            p.write_bytes(_rebuild_session(p.read_bytes(), edit_index, repeat))
        return p


def _rebuild_session(data: bytes, edit_index, repeat: int) -> bytes:
    import io

    src = zipfile.ZipFile(io.BytesIO(data))
    members = {i.filename: src.read(i) for i in src.infolist()}
    if edit_index is not None:
        index = json.loads(members["session.json"])
        edit_index(index)
        members["session.json"] = json.dumps(index).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in members.items():
            z.writestr(name, body, zipfile.ZIP_STORED)
    blob = out.getvalue()
    return repeat_zip_entry(blob, None, "models/0.safetensors", repeat)[0] if repeat else blob


def _absent(*paths: Path) -> Callable[[], list[str]]:
    return lambda: [f"{p.name} was written" for p in paths if os.path.lexists(p) and not p.is_symlink()]


def _all(*checks) -> Callable[[], list[str]]:
    return lambda: [problem for check in checks for problem in check()]


def _mode(path: Path, mode: int) -> Callable[[], list[str]]:
    def check():
        got = path.stat().st_mode & 0o777
        return [] if got == mode else [f"{path.name} has mode {got:o}, not {mode:o}"]
    return check


# --- printing ----------------------------------------------------------------------------------
def _neighbours_of(word: str):
    if "\x00" in word:     # no command line can hold a NUL: the word is asked for among all the answers
        return lambda s: Run(["neighbours", str(s.words_model()), "alpha", "-k", str(N - 1)], "ok", lines=N - 1)
    return lambda s: Run(["neighbours", str(s.words_model()), word, "-k", "5"], "ok", lines=5)


PRINTING = [Case("printing", f"neighbours of a word holding {what}", _neighbours_of(word))
            for what, word in HOSTILE_WORDS.items()]
PRINTING += [
    Case("printing", "analogy answers holding every hostile word",
         lambda s: Run(["analogy", str(s.words_model()), "alpha", "beta", "gamma", "-k", "12"], "ok", lines=12)),
    Case("printing", "eval: questions and pairs of hostile words, JSON out",
         lambda s: Run(["eval", str(s.words_model()), "--analogies", str(s.file(
             "q.txt", ": hostile\nalpha beta title\x1b]0;owned\x07 rlo\u202eevil\n".encode())),
             "--pairs", str(s.file("p.tsv", "title\x1b]0;owned\x07\trlo\u202eevil\t5\nalpha\tbeta\t3\n".encode()))],
             "ok")),
    Case("printing", "an error naming a path with ESC and a line break",
         lambda s: Run(["neighbours", str(s.path("m\x1b[2J\nerror: forged")), "alpha"],
                       names=[printable(s.path("m\x1b[2J\nerror: forged"))])),
    Case("printing", "an error quoting an unknown word with an ESC sequence",
         lambda s: Run(["neighbours", str(s.words_model()), "zz\x1b]0;owned\x07"], names=["zz\\x1b]0;owned\\x07"])),
    Case("printing", "match: database item names with control characters",
         lambda s: Run(["match", str(s.recording("q.wav")), "--model", str(s.matcher()), "-k", "3"], "ok", lines=3)),
    Case("printing", "vectors convert: a file name with a bidi override",
         lambda s: Run(_convert(s, s.path("out\u202etxt.npy")), "ok", lines=0)),
]


# --- writing -----------------------------------------------------------------------------------
def _separate(s: Stage, out: Path) -> list[str]:
    return ["separate", str(s.recording()), "--model", str(s.dc_model()), "--out", str(out)]


def _separate_through_link(s: Stage) -> Run:
    target, unchanged = s.outside()
    out = s.folder("sep-link")
    s.link("sep-link/mix_source1.wav", target)
    return Run(_separate(s, out), names=[str(out)], after=_all(unchanged, _absent(out / "mix_source2.wav")))


def _separate_second_link(s: Stage) -> Run:
    target, unchanged = s.outside()
    out = s.folder("sep-link2")
    s.link("sep-link2/mix_source2.wav", target)
    return Run(_separate(s, out), names=[str(out)], after=_all(unchanged, _absent(out / "mix_source1.wav")))


def _separate_folder_in_way(s: Stage) -> Run:
    out = s.folder("sep-dir")
    s.folder("sep-dir/mix_source1.wav")
    return Run(_separate(s, out), names=["mix_source1.wav"], after=_absent(out / "mix_source2.wav"))


def _separate_out_is_link(s: Stage) -> Run:
    real = s.folder("sep-real")
    out = s.link("sep-out-link", real)
    return Run(_separate(s, out), names=[str(out)], after=_absent(real / "mix_source1.wav"))


def _train(s: Stage, out: Path, *extra: str) -> list[str]:
    return ["train", "onehot", "--corpus", str(s.corpus()), "--out", str(out), *extra]


def _train_foreign(s: Stage) -> Run:
    out = s.folder("foreign")
    mine = s.file("foreign/thesis.tex", b"years of work\n")
    return Run(_train(s, out), names=[str(out), "thesis.tex", "--force"],
               after=_all(lambda: [] if mine.read_bytes() == b"years of work\n" else ["thesis.tex changed"],
                          _absent(out / "model.safetensors")))


def _train_foreign_forced(s: Stage) -> Run:
    out = s.folder("forced")
    s.file("forced/notes.txt", b"old\n")
    return Run(_train(s, out, "--force"), "ok", lines=0,
               after=lambda: [] if sorted(p.name for p in out.iterdir()) == ["config.json", "model.safetensors",
                                                                           "run.json", "vectors.txt"]
               else [f"holds {sorted(p.name for p in out.iterdir())}"])


def _train_out_link(s: Stage) -> Run:
    real = s.folder("train-real")
    out = s.link("train-link", real)
    return Run(_train(s, out), names=[str(out)], after=_absent(real / "model.safetensors"))


def _train_out_file(s: Stage) -> Run:
    target, unchanged = s.outside("train-out-file")
    return Run(_train(s, target), names=[str(target)], after=unchanged)


def _train_out_unwritable(s: Stage) -> Run:
    return Run(_train(s, Path("/proc/hostile-model")), names=["/proc/hostile-model"])


def _train_over_model(s: Stage) -> Run:
    out = s.path("again")
    s.save_embedding("again", {})
    s.file("again/vectors.txt", b"1 1\nx 1\n").chmod(0o640)
    stale = [s.file(".again.x1y2z3.tmp", b"left by a killed save" * 1000), s.folder(".again.k1l2m3.tmp")]

    def check():
        left = [p.name for p in stale if os.path.lexists(p)]
        return ([f"stale temporaries left: {left}"] if left else []) + _mode(out / "vectors.txt", 0o640)()
    return Run(_train(s, out), "ok", lines=0, after=check)


def _convert(s: Stage, target: Path, *extra: str) -> list[str]:
    return ["vectors", "convert", str(s.plain_model()), str(target), *extra]


def _npy_vocab_link(s: Stage) -> Run:
    target, unchanged = s.outside()
    s.link("v.vocab.txt", target)
    return Run(_convert(s, s.path("v.npy")), names=["v.vocab.txt"], after=_all(unchanged, _absent(s.path("v.npy"))))


def _npy_folder_in_way(s: Stage) -> Run:
    s.folder("w.npy")
    return Run(_convert(s, s.path("w.npy"), "--to", "npy"), names=["w.npy"], after=_absent(s.path("w.vocab.txt")))


def _tsv_metadata_link(s: Stage) -> Run:
    target, unchanged = s.outside()
    out = s.folder("tsv")
    s.link("tsv/metadata.tsv", target)
    return Run(_convert(s, out, "--to", "tsv"), names=["metadata.tsv"],
               after=_all(unchanged, _absent(out / "vectors.tsv")))


def _text_link(s: Stage) -> Run:
    target, unchanged = s.outside()
    link = s.link("t.txt", target)
    return Run(_convert(s, link), names=["t.txt"], after=unchanged)


def _keeps_mode(s: Stage) -> Run:
    old = s.file("kept.txt", b"1 1\nx 1\n")
    old.chmod(0o640)
    return Run(_convert(s, old), "ok", lines=0, after=_mode(old, 0o640))


def _missing_folder(s: Stage) -> Run:
    return Run(_convert(s, s.path("no/such/folder/x.txt")), names=["x.txt", "does not exist"])


WRITING = [
    Case("writing", "separate --out: a link to a file outside stands where a source goes", _separate_through_link),
    Case("writing", "separate --out: a link where the second source goes (the first must not be written)",
         _separate_second_link),
    Case("writing", "separate --out: a folder stands where a source goes", _separate_folder_in_way),
    Case("writing", "separate --out is a link to a folder", _separate_out_is_link),
    Case("writing", "train --out: a folder holding a thesis, not a model", _train_foreign),
    Case("writing", "train --out --force: a foreign folder replaced whole", _train_foreign_forced),
    Case("writing", "train --out is a link to a folder", _train_out_link),
    Case("writing", "train --out is a file", _train_out_file),
    Case("writing", "train --out where nothing may be written (checked before training)", _train_out_unwritable),
    Case("writing", "train --out over a model: permissions kept, stale temporaries removed", _train_over_model),
    Case("writing", "vectors convert .npy: the vocabulary's name is a link outside", _npy_vocab_link),
    Case("writing", "vectors convert .npy: a folder where the matrix goes (the vocabulary must not be written)",
         _npy_folder_in_way),
    Case("writing", "vectors convert tsv: metadata.tsv is a link outside", _tsv_metadata_link),
    Case("writing", "vectors convert: the output is a link outside", _text_link),
    Case("writing", "vectors convert over a 0640 file: permissions kept", _keeps_mode),
    Case("writing", "vectors convert into a folder that does not exist", _missing_folder),
]


# --- reading -----------------------------------------------------------------------------------
def _model_with_weights(kind: str):
    def build(s: Stage) -> Run:
        folder = s.folder(f"weights-{kind.replace('/', '-')}")
        s.file(f"weights-{kind.replace('/', '-')}/config.json", b"{}")
        weights = folder / "model.safetensors"
        if kind == "fifo":
            s.fifo(str(weights.relative_to(s.root)))
        elif kind == "folder":
            weights.mkdir()
        else:
            os.symlink(kind, weights)
        return Run(["neighbours", str(folder), "alpha"], names=[str(weights)])
    return build


def _corpus_case(make, *words: str):
    def build(s: Stage) -> Run:
        path, out = make(s), s.path(f"never-{len(os.listdir(s.root))}")
        return Run(["train", "onehot", "--corpus", str(path), "--out", str(out)], names=[str(path), *words],
                   after=_absent(out))
    return build


def _long_line(s: Stage) -> Path:
    from models.text import corpus

    p = s.path("long-line.txt")
    with open(p, "wb") as f:
        f.write(b"word " * (corpus.MAX_LINE_BYTES // 5 + 1000))
    return p


def _sparse(s: Stage, name: str, size: int) -> Path:
    p = s.path(name)
    with open(p, "wb") as f:
        f.truncate(size)
    return p


def _eval_with(flag: str, make):
    def build(s: Stage) -> Run:
        path = make(s)
        return Run(["eval", str(s.words_model()), flag, str(path)], names=[str(path)])
    return build


def _big_benchmark(s: Stage) -> Path:
    from models.vectors import evaluation

    return _sparse(s, "huge-questions.txt", evaluation.MAX_BENCHMARK_BYTES + 1)


def _audio(verb: str, make):
    def build(s: Stage) -> Run:
        path = make(s)
        argv = (["match", str(path), "--model", str(s.matcher())] if verb == "match"
                else ["separate", str(path), "--model", str(s.dc_model()), "--out", str(s.path("sep-never"))])
        return Run(argv, names=[str(path)], after=_absent(s.path("sep-never")))
    return build


def _convert_from(make):
    def build(s: Stage) -> Run:
        path = make(s)
        return Run(["vectors", "convert", str(path), str(s.path("conv-never.txt"))], names=[str(path)],
                   after=_absent(s.path("conv-never.txt")))
    return build


READING = [
    Case("reading", "model.safetensors is a link to /dev/zero", _model_with_weights("/dev/zero")),
    Case("reading", "model.safetensors is a link to /dev/urandom", _model_with_weights("/dev/urandom")),
    Case("reading", "model.safetensors is a FIFO", _model_with_weights("fifo")),
    Case("reading", "model.safetensors is a folder", _model_with_weights("folder")),
    Case("reading", "the model given is a FIFO",
         lambda s: Run(["neighbours", str(s.fifo("model-fifo")), "alpha"], names=["model-fifo"])),
    Case("reading", "corpus /dev/zero", _corpus_case(lambda s: Path("/dev/zero"), "character device")),
    Case("reading", "corpus a FIFO", _corpus_case(lambda s: s.fifo("corpus-fifo"), "named pipe")),
    Case("reading", "corpus a folder", _corpus_case(lambda s: s.folder("corpus-dir"), "folder")),
    Case("reading", "corpus a link to /dev/urandom",
         _corpus_case(lambda s: s.link("corpus-random", "/dev/urandom"), "character device")),
    Case("reading", "corpus one line longer than the line ceiling", _corpus_case(_long_line, "line 1"), big=True),
    Case("reading", "eval --analogies /dev/zero", _eval_with("--analogies", lambda s: Path("/dev/zero"))),
    Case("reading", "eval --analogies a FIFO", _eval_with("--analogies", lambda s: s.fifo("questions-fifo"))),
    Case("reading", "eval --pairs /dev/urandom", _eval_with("--pairs", lambda s: Path("/dev/urandom"))),
    Case("reading", "eval --analogies past the benchmark ceiling (sparse)", _eval_with("--analogies", _big_benchmark)),
    Case("reading", "match: the query is a FIFO", _audio("match", lambda s: s.fifo("query-fifo"))),
    Case("reading", "match: the query is /dev/zero", _audio("match", lambda s: Path("/dev/zero"))),
    Case("reading", "separate: the mixture is a FIFO", _audio("separate", lambda s: s.fifo("mix-fifo"))),
    Case("reading", "separate: ten hours at 1 kHz", _audio("separate", lambda s: s.too_long_recording("long.wav")),
         big=True),
    Case("reading", "match: ten hours at 1 kHz", _audio("match", lambda s: s.too_long_recording("long-q.wav")),
         big=True),
    Case("reading", "vectors convert from a FIFO", _convert_from(lambda s: s.fifo("vectors-fifo"))),
    Case("reading", "vectors convert from /dev/zero", _convert_from(lambda s: Path("/dev/zero"))),
    Case("reading", "vectors convert from a link to /dev/urandom",
         _convert_from(lambda s: s.link("vectors-random.txt", "/dev/urandom"))),
]


# --- sessions ----------------------------------------------------------------------------------
def _session_error(make, *words: str):
    def build(s: Stage) -> Run:
        path = make(s)
        return Run(["session", str(path)], names=[str(path), *words])
    return build


def _scores(n: int) -> dict:
    return {f"section: s{i}": 0.5 for i in range(n)}


def _one_file_many_times(index: dict) -> None:
    index["models"] = index["models"] * 4000


def _models_a_dict(index: dict) -> None:
    index["models"] = {"0": index["models"][0]}


def _session_corpus(corpus: str):
    def build(s: Stage) -> Run:
        path = s.session(f"corpus-{abs(hash(corpus))}.eesession", {"corpus": corpus})
        return Run(["session", str(path)], "ok", lines=1)
    return build


SESSION = [
    Case("session", "the session file is a FIFO", _session_error(lambda s: s.fifo("s-fifo.eesession"), "named pipe")),
    Case("session", "the session file is a link to /dev/zero",
         _session_error(lambda s: s.link("s-zero.eesession", "/dev/zero"), "character device")),
    Case("session", "session.json lists one model file 4,000 times",
         _session_error(lambda s: s.session("many.eesession", edit_index=_one_file_many_times), "more than once")),
    Case("session", "the zip's directory lists one member 3,000 times",
         _session_error(lambda s: s.session("repeat.eesession", repeat=3000), "more than")),
    Case("session", "the map's word count is 10**30",
         _session_error(lambda s: s.session("count.eesession", {"count": 10**30}), "number of words")),
    Case("session", "a score that is a list", _session_error(lambda s: s.session(
        "score.eesession", notes=[{"name": "m", "added": "", "scores": {"analogy": [1, 2]}}]), "scores")),
    Case("session", "3,000 score sections", _session_error(lambda s: s.session(
        "sections.eesession", notes=[{"name": "m", "added": "", "scores": _scores(3000)}]), "scores")),
    Case("session", "a model's name that is a number", _session_error(lambda s: s.session(
        "name.eesession", notes=[{"name": 5, "added": ""}]), "text")),
    Case("session", "a model's seconds that is text", _session_error(lambda s: s.session(
        "seconds.eesession", stats={"seconds": "fast"}), "seconds")),
    Case("session", "the current model is a string",
         _session_error(lambda s: s.session("current.eesession", {"current": "0"}), "current")),
    Case("session", "session.json's models are a record, not a list",
         _session_error(lambda s: s.session("dict.eesession", edit_index=_models_a_dict), "list of models")),
    Case("session", "its corpus is /etc/shadow: opened without reading it", _session_corpus("/etc/shadow")),
    Case("session", "its corpus is /dev/zero: opened without reading it", _session_corpus("/dev/zero")),
]


# --- messages ----------------------------------------------------------------------------------
def _damaged_weights(tensors: dict, *words: str):
    def build(s: Stage) -> Run:
        folder = s.save_embedding(f"damaged-{len(os.listdir(s.root))}", tensors)
        return Run(["neighbours", str(folder), "alpha"], names=[str(folder), *words])
    return build


def _bf16(s: Stage) -> Run:
    folder = s.save_embedding("bf16", {})
    weights = folder / "model.safetensors"
    blob = weights.read_bytes()
    size = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + size])
    header["output"]["dtype"] = "BF16"          # half as wide a number: twice as many in the same bytes
    header["output"]["shape"][1] *= 2
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    weights.write_bytes(len(text).to_bytes(8, "little") + text + blob[8 + size:])
    return Run(["neighbours", str(folder), "alpha"], names=[str(weights), "BF16"])


MESSAGES = [
    Case("messages", "neighbours -k 0", lambda s: Run(["neighbours", str(s.words_model()), "alpha", "-k", "0"],
                                                      names=["-k"])),
    Case("messages", "neighbours -k -5", lambda s: Run(["neighbours", str(s.words_model()), "alpha", "-k", "-5"],
                                                       names=["-k"])),
    Case("messages", "analogy -k -5", lambda s: Run(["analogy", str(s.words_model()), "alpha", "beta", "gamma",
                                                     "-k", "-5"], names=["-k"])),
    Case("messages", "match -k 0", lambda s: Run(["match", str(s.recording("q0.wav")), "--model", str(s.matcher()),
                                                  "-k", "0"], names=["-k"])),
    Case("messages", "eval --restrict -5", lambda s: Run(["eval", str(s.words_model()), "--restrict", "-5"],
                                                         names=["--restrict"])),
    Case("messages", "word vectors stored as F64",
         _damaged_weights({"input": np.zeros((N, 4), np.float64)}, "float64")),
    Case("messages", "word vectors stored as BOOL", _damaged_weights({"input": np.ones((N, 4), bool)}, "bool")),
    Case("messages", "word vectors wider than the config says",
         _damaged_weights({"input": np.ones((N, 16), np.float32)}, "16 numbers wide")),
    Case("messages", "a tensor type NumPy lacks (BF16)", _bf16),
]

CASES = PRINTING + WRITING + READING + SESSION + MESSAGES


# --- judging -----------------------------------------------------------------------------------
def judge(run: Run, code: int, out: str, err: str) -> list[str]:
    """What broke the promise, if anything (an empty list: kept)."""
    problems = []
    if "Traceback" in out + err:
        problems.append("a traceback")
    for stream, text in (("stdout", out), ("stderr", err)):
        # Tabs separate a result's fields; anything else that printable() would escape got through raw.
        bad = [line for line in text.split("\n") if any(printable(f) != f for f in line.split("\t"))]
        if bad:
            problems.append(f"{stream} holds unescaped control characters: {bad[0][:80]!r}")
    if run.expect == "error":
        lines = [line for line in err.split("\n") if line]
        if code != 2:
            problems.append(f"exit code {code}, not 2")
        if len(lines) != 1 or not lines[0].startswith("error: "):
            problems.append(f"stderr is not one 'error:' line: {err[:200]!r}")
        missing = [w for w in run.names if w not in err]
        if missing:
            problems.append(f"the error does not name {missing}")
        if out:
            problems.append(f"stdout not empty: {out[:80]!r}")
    else:
        if code != 0:
            problems.append(f"exit code {code}, not 0: {err[:200]!r}")
        got = len(out.splitlines())
        if run.lines is not None and got != run.lines:
            problems.append(f"{got} result lines, not {run.lines}")
    if run.after is not None:
        problems += run.after()
    return problems


def run_here(run: Run) -> tuple[int, str, str]:
    """Run a case's command in this process: (exit code, stdout, stderr)."""
    import contextlib
    import io

    from explorer.cli.main import main
    from tests.hostile.session_opener import open_session

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = open_session(run.argv[1]) if run.argv[0] == "session" else main(run.argv)
    return code, out.getvalue(), err.getvalue()
