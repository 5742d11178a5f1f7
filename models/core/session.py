"""Session files: every model a person trained or opened, and what was shown of them, in one file.

A session file (``NAME.eesession``) is a zip archive of

- ``session.json``: the format's name and version, one JSON note per model, and the state of the
  program that saved it (which model is current, selections: anything JSON holds);
- ``models/N.safetensors``: each model as its checkpoint, the same bytes a model folder's
  ``model.safetensors`` holds (tensors, with the model name, config and vocabulary in the header);
- ``arrays.safetensors``: named arrays kept beside the models (map coordinates, say).

Only JSON and safetensors are read back: nothing is unpickled. The archive is built in memory and
written by :func:`~models.core.writing.atomic_write_bytes` (a temporary file in the same
folder, fsynced, then renamed over the old one), so a save cut short at any point, by a kill, a
full disk or a denied rename, leaves the previous session file as it was.

Reading is bounded before anything is inflated: the file must be a regular file, its directory may
list at most :data:`MAX_MEMBERS` members, each once (by name and by where its data starts), holding
at most :data:`MAX_INFLATED` bytes in all, and each member may state no more than its compressed
size allows; ``session.json`` may name each model file once.
"""
from __future__ import annotations

import io
import json
import lzma
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as np_load
from safetensors.numpy import save as np_save

from models.core.checkpoint import Checkpoint, CheckpointError, checkpoint_bytes, checkpoint_from_bytes
from models.core.reading import open_regular, size_text
from models.core.writing import atomic_write_bytes, write_failure
from models.core.events import Progress, drain
from models.errors import UserError
from models.printable import one_line

SUFFIX = ".eesession"
FORMAT = "embedding-explorer-session"
VERSION = 1
INDEX = "session.json"
ARRAYS = "arrays.safetensors"
# A compressed member may inflate to this many times its size: JSON state and float weights come
# nowhere near it, while a decompression bomb inflates about a thousandfold. Below MIN_UNCHECKED
# bytes the ratio does not matter.
MAX_RATIO = 100
MIN_UNCHECKED = 1 << 20
# A session holds its models, the arrays and the index: a few dozen members. Each member is checked
# on its own above; these bound the whole, where one member listed thousands of times passes each
# member's check and still asks for gigabytes.
MAX_MEMBERS = 1000
MAX_INFLATED = 4 << 30


class SessionError(UserError):
    """A session file that cannot be read or written."""


@dataclass
class SavedModel:
    checkpoint: Checkpoint
    note: dict = field(default_factory=dict)   # what the program knows of the model besides its weights (JSON)


@dataclass
class Session:
    models: list[SavedModel] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    state: dict = field(default_factory=dict)   # JSON


# --- writing -----------------------------------------------------------------------------------
def save_session_steps(path: str | Path, session: Session):
    """Write ``session`` to ``path``, yielding :class:`Progress` (one step per model, then the
    arrays, then the write); returns the path. Closing the generator early writes nothing."""
    path = Path(path)
    total = len(session.models) + 2
    buffer = io.BytesIO()
    notes = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for i, saved in enumerate(session.models):
            yield Progress(i, total, unit="parts", message=f"saving model {i + 1} of {len(session.models)}")
            name = f"models/{i}.safetensors"
            # Stored, not deflated: float weights barely compress and storing is many times faster.
            archive.writestr(name, checkpoint_bytes(saved.checkpoint), zipfile.ZIP_STORED)
            notes.append({"file": name, "note": saved.note})
        yield Progress(total - 2, total, unit="parts", message="saving the map")
        arrays = {k: np.ascontiguousarray(v) for k, v in session.arrays.items()}
        archive.writestr(ARRAYS, np_save(arrays), zipfile.ZIP_STORED)
        index = {"format": FORMAT, "version": VERSION, "models": notes, "state": session.state}
        archive.writestr(INDEX, json.dumps(index), zipfile.ZIP_DEFLATED)
    yield Progress(total - 1, total, unit="parts", message=f"writing {path.name}")
    try:
        atomic_write_bytes(path, buffer.getbuffer())
    except OSError as e:
        raise SessionError(*write_failure(e, f"the session to {path}", "a session file already there is")) from e
    return path


def save_session(path: str | Path, session: Session) -> Path:
    return drain(save_session_steps(path, session))


# --- reading -----------------------------------------------------------------------------------
def _foreign(path: Path, why: str) -> SessionError:
    return SessionError(f"{path} is not an Embedding Explorer session file ({why}).",
                        "Choose a file saved with File > Save Session.")


def _damaged(path: Path, why: str) -> SessionError:
    return SessionError(f"The session file {path} is damaged ({one_line(why, 300)}).",
                        "Open another copy of it, or an earlier session.")


def _read_member(path: Path, archive: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes, no more than its header states, once that has been checked against the
    file: a few kilobytes of a compressed member can inflate to gigabytes."""
    info = archive.getinfo(name)
    size = os.fstat(archive.fp.fileno()).st_size
    packed = info.compress_size if info.compress_type == zipfile.ZIP_STORED else info.compress_size * MAX_RATIO
    if info.compress_size > size or info.file_size > max(packed, MIN_UNCHECKED):
        raise _damaged(path, f"{name} states {info.file_size:,} bytes from {info.compress_size:,}, more than "
                             "any session holds")
    # Not archive.read(): that inflates up to a gigabyte at a time whatever the header states.
    with archive.open(info) as member:
        data = member.read(info.file_size)
        member.read(1)          # at the stated end zipfile checks the CRC
    return data


def _check_directory(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse an archive whose directory lists too many members, one member twice (by name or by
    where its data starts), or more inflated bytes in all than a session holds."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise _damaged(path, f"it lists {len(members):,} members, more than the {MAX_MEMBERS:,} a session holds")
    names, starts = {}, {}
    for info in members:
        again = names.get(info.filename) or starts.get(info.header_offset)
        if again is not None:
            raise _damaged(path, f"it lists the member {info.filename} more than once")
        names[info.filename] = starts[info.header_offset] = info.filename
    total = sum(info.file_size for info in members)
    if total > MAX_INFLATED:
        raise _damaged(path, f"its members inflate to {size_text(total)} in all, more than the "
                             f"{size_text(MAX_INFLATED)} a session may hold")


def _read_index(path: Path, archive: zipfile.ZipFile) -> dict:
    try:
        index = json.loads(_read_member(path, archive, INDEX))
    except KeyError:
        raise _foreign(path, f"it has no {INDEX}") from None
    except (ValueError, RecursionError) as e:         # broken JSON or UTF-8, or nested past Python's limit
        raise _damaged(path, f"{INDEX}: {e}") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise _foreign(path, f"its {INDEX} is another program's")
    version = index.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise SessionError(f"{path} was saved by a newer Embedding Explorer (session format {version}).",
                           "Update Embedding Explorer to open it.")
    models, state = index.get("models"), index.get("state")
    if not isinstance(models, list) or not isinstance(state, dict) or not all(
            isinstance(m, dict) and isinstance(m.get("file"), str) and isinstance(m.get("note"), dict)
            for m in models):
        raise _damaged(path, f"{INDEX} lacks its list of models or its state")
    files = [m["file"] for m in models]
    if len(set(files)) != len(files):      # one member read as many models: memory without end
        raise _damaged(path, f"{INDEX} names one model file more than once")
    return index


def read_session_steps(path: str | Path):
    """Read a session file, yielding :class:`Progress` (one step per model); returns a
    :class:`Session`. Anything but a whole session file written by :func:`save_session_steps` is
    a :class:`SessionError` naming the file."""
    path = Path(path)
    file = open_regular(path, "a session file", SessionError, f"Choose a {SUFFIX} file.")
    try:
        with file, zipfile.ZipFile(file) as archive:
            _check_directory(path, archive)
            index = _read_index(path, archive)
            models = []
            for i, entry in enumerate(index["models"]):
                yield Progress(i, len(index["models"]) + 1, unit="parts",
                               message=f"reading model {i + 1} of {len(index['models'])}")
                ckpt = checkpoint_from_bytes(_read_member(path, archive, entry["file"]), entry["file"])
                models.append(SavedModel(ckpt, entry["note"]))
            arrays = np_load(_read_member(path, archive, ARRAYS))
            bad = [k for k, a in arrays.items() if a.dtype.kind == "f" and not np.isfinite(a).all()]
            if bad:     # coordinates of a map: a NaN is damage, as in a model's weights
                raise _damaged(path, f"{ARRAYS}: NaN or infinite values in '{bad[0]}'")
    except zipfile.BadZipFile as e:
        # A zip cut short has lost its directory, at the end, but still starts as a zip does.
        if _starts_as_zip(path):
            raise _damaged(path, f"cut short or altered: {e}") from None
        raise _foreign(path, "it is not a zip archive") from None
    except KeyError as e:           # a member the index names is missing
        raise _damaged(path, f"{e.args[0]}") from None
    except CheckpointError as e:
        raise _damaged(path, e.problem.rstrip(".")) from None
    except SafetensorError as e:
        raise _damaged(path, f"{ARRAYS}: {e}") from None
    except zlib.error as e:
        raise _damaged(path, f"compressed data is corrupt: {e}") from None
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError, ValueError, RuntimeError,
            lzma.LZMAError) as e:
        # What zipfile raises for altered archives besides BadZipFile: a cut stream, an unknown
        # compression method, a header field pointing outside the file, a member marked encrypted.
        raise _damaged(path, f"{type(e).__name__}: {e}") from None
    return Session(models, arrays, index["state"])


def _starts_as_zip(path: Path) -> bool:
    with open_regular(path, "a session file", SessionError, f"Choose a {SUFFIX} file.") as f:
        return f.read(4) == b"PK\x03\x04"


def read_session(path: str | Path) -> Session:
    return drain(read_session_steps(path))
