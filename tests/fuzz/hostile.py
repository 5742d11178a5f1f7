"""Edits that found the hostile-file failures: files that are not files, and containers that lie.

- A file of the set replaced by something that is not a regular file: a FIFO (opening it for reading
  waits for a writer), a link to ``/dev/zero`` or ``/dev/urandom`` (reads that never end), a folder,
  a link to itself (ELOOP), a link to a FIFO beside it. They are written by :func:`materialize`.
- A session's zip directory listing one member many times, every entry pointing at the same data,
  so that each passes a member's own size check; its index naming one model file many times.
- Huge counts (10**30, 2**63, -10**30, 1e308) and values of the wrong JSON type (a list where a
  number goes, a string for a model's seconds, a number for a name) anywhere in a session's state
  and notes, or in a checkpoint's JSON.
"""
from __future__ import annotations

import json
import os
import random
import struct
from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.containers import _join_safetensors, _split_safetensors


@dataclass(frozen=True)
class Fifo:
    """A named pipe stands where the file was."""


@dataclass(frozen=True)
class Link:
    """A symbolic link to ``target`` (absolute, or a name in the same folder) stands where the file was."""
    target: str


@dataclass(frozen=True)
class Folder:
    """A folder stands where the file was."""


def materialize(path: Path, data) -> None:
    """Write one entry of a damaged file set: bytes, or one of the kinds above."""
    if isinstance(data, Fifo):
        os.mkfifo(path)
    elif isinstance(data, Link):
        os.symlink(data.target, path)
    elif isinstance(data, Folder):
        path.mkdir()
    else:
        path.write_bytes(data)


KINDS = {"a FIFO": lambda name: Fifo(), "a link to /dev/zero": lambda name: Link("/dev/zero"),
         "a link to /dev/urandom": lambda name: Link("/dev/urandom"), "a folder": lambda name: Folder(),
         "a link to itself": lambda name: Link(name)}


def edit_file_kind(files: dict, main: str, rng: random.Random) -> tuple[dict, str]:
    """One file of the set (the main one more often) replaced by something that is not a regular file."""
    files = dict(files)
    name = main if len(files) == 1 or rng.random() < 0.7 else rng.choice(sorted(files))
    if rng.random() < 0.15:         # a link to a FIFO beside it: the link looks like a file by its name
        files[name + ".pipe"] = Fifo()
        files[name] = Link(name + ".pipe")
        return files, f"{name}: a link to a FIFO"
    kind = rng.choice(sorted(KINDS))
    files[name] = KINDS[kind](name)
    return files, f"{name}: {kind}"


# --- zip directories that list a member many times ----------------------------------------------
def repeat_zip_entry(data: bytes, rng: random.Random, name: str | None = None,
                     times: int | None = None) -> tuple[bytes, str]:
    """The zip with the central-directory entry of one member (``name``, or one chosen) repeated
    ``times`` more times, every copy pointing at the same data."""
    end = data.rindex(b"PK\x05\x06")
    entries, size, start = struct.unpack_from("<HII", data, end + 10)
    directory = data[start:start + size]
    found, at = [], 0
    while at + 46 <= len(directory):
        n, m, k = struct.unpack_from("<HHH", directory, at + 28)
        found.append((directory[at + 46:at + 46 + n].decode(errors="replace"), directory[at:at + 46 + n + m + k]))
        at += 46 + n + m + k
    chosen = next((e for e in found if e[0] == name), None) if name else rng.choice(found)
    times = times if times is not None else rng.choice([1, 2, 100, 3000, 60_000])
    directory += chosen[1] * times
    tail = bytearray(data[end:end + 22])
    total = min(entries + times, 0xFFFF)
    struct.pack_into("<HHII", tail, 8, total, total, len(directory), start)
    return data[:start] + directory + bytes(tail), f"zip directory lists {chosen[0]} {times:,} more times"


# --- huge counts and wrong JSON types -----------------------------------------------------------
HUGE_COUNTS = [10**30, 2**63, 2**64 + 1, -10**30, 1e308, -1e308]
OTHER_TYPES = [[1, 2], {"a": 1}, "12", "", None, True, 3.5, 7]


def _leaves(value, path=()):
    """Every place in a JSON value (dict key or list index paths) holding a number, text, bool or null."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:50]):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _set(value, path, new):
    for key in path[:-1]:
        value = value[key]
    value[path[-1]] = new


def edit_json_hostile(value, rng: random.Random) -> str:
    """In place: one number made huge, or one value replaced by one of another type."""
    places = [p for p in _leaves(value) if p]
    if not places:
        return "nothing to edit"
    numbers = [p for p in places if _get(value, p).__class__ in (int, float)]
    if numbers and rng.random() < 0.5:
        place, new = rng.choice(numbers), rng.choice(HUGE_COUNTS)
        what = "a huge count"
    else:
        place = rng.choice(places)
        old = _get(value, place)
        new = rng.choice([v for v in OTHER_TYPES if type(v) is not type(old)])
        what = "a value of the wrong type"
    _set(value, place, new)
    return f"{what}: {'/'.join(map(str, place))} -> {json.dumps(new)[:30]}"


def _get(value, path):
    for key in path:
        value = value[key]
    return value


def edit_session_hostile(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A session whose directory repeats a member, whose index names one model many times, or
    whose state and notes hold huge counts and values of the wrong type."""
    import io
    import zipfile

    kind = rng.choice(["repeated entry", "repeated model", "json", "json"])
    if kind == "repeated entry":
        return repeat_zip_entry(data, rng)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    index = json.loads(members["session.json"])
    if kind == "repeated model" and index.get("models"):
        times = rng.choice([2, 100, 4000])
        index["models"] = index["models"] * times
        what = f"session.json names its models {times:,} times each"
    else:
        what = "session.json: " + edit_json_hostile(index, rng)
    members["session.json"] = json.dumps(index).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in members.items():
            z.writestr(name, body, zipfile.ZIP_STORED)
    return out.getvalue(), what


def edit_checkpoint_hostile(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A checkpoint whose config or extra JSON holds a huge count or a value of the wrong type."""
    header, body = _split_safetensors(data)
    meta = header.setdefault("__metadata__", {})
    key = rng.choice([k for k in ("config", "extra") if k in meta] or ["config"])
    value = json.loads(meta.get(key, "{}"))
    what = edit_json_hostile(value, rng)
    meta[key] = json.dumps(value)
    return _join_safetensors(header, body), f"{key}: {what}"


# --- the tally of these edits -------------------------------------------------------------------
EDIT_CLASSES = {
    "not a regular file (FIFO, device link, folder, link loop)":
        lambda e: any(e.endswith(": " + k) for k in [*KINDS, "a link to a FIFO"]),
    "repeated zip members": lambda e: "zip directory lists" in e,
    "one model named many times": lambda e: "names its models" in e,
    "huge counts": lambda e: "a huge count" in e,
    "wrong JSON types": lambda e: "a value of the wrong type" in e,
}


def tally(results) -> str:
    """A Markdown table: for each class of edit above, the files that had one and how each ended."""
    from collections import Counter

    rows = ["| edit | files | refused | accepted, valid | crashes | hangs | silent accepts | bad errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, matches in EDIT_CLASSES.items():
        mine = [r for r in results if any(matches(e) for e in r.edits)]
        n = Counter(r.kind for r in mine)
        rows.append(f"| {name} | {len(mine):,} | {n['refused']:,} | {n['valid']:,} | {n['crash']} | {n['hang']} "
                    f"| {n['silent']} | {n['bad-error']} |")
    return "\n".join(rows)
