"""Edits that know the binary containers the app reads: safetensors (a model folder's
``model.safetensors``, a session's members), zip (a session file), FLAC and Ogg (Vorbis, Opus).

Each edit takes valid bytes and a :class:`random.Random` and returns ``(bytes, what it did)``; one
that meets bytes an earlier edit broke raises, and :func:`tests.fuzz.mutators.damage` falls back on
a blind edit. Where the format guards its bytes with a checksum (Ogg pages, FLAC frames, zip
members), the edit recomputes it: a reader must then meet the lie itself, not a checksum error.
"""
from __future__ import annotations

import functools
import json
import random
import struct
import zlib

import numpy as np

# --- safetensors ---------------------------------------------------------------------------------
HUGE = [0, 1, 7, 2**31, 2**32 + 8, 2**40, 2**62, 2**63, 2**64 - 1]


def _split_safetensors(data: bytes) -> tuple[dict, bytes]:
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def _join_safetensors(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + body


def _resave(tensors: dict, meta: dict | None) -> bytes:
    from safetensors.numpy import save

    return save({k: np.ascontiguousarray(v) for k, v in tensors.items()}, metadata=meta)


def _tensor_names(header: dict) -> list[str]:
    return sorted(k for k in header if k != "__metadata__")


def edit_safetensors(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """The header's length field, a tensor's dtype, shape or data offsets (lies: the bytes stay),
    NaN and inf in the weights, a tensor removed, renamed or with a row more or less, or the
    JSON the app keeps in the header's metadata (model name, config, vocabulary)."""
    kind = rng.choice(["length", "dtype", "shape", "shape", "offsets", "special float", "special float",
                       "metadata", "metadata", "metadata", "metadata", "rows", "rows", "drop tensor",
                       "rename tensor", "extra tensor"])
    if kind == "length":
        n = struct.unpack("<Q", data[:8])[0]
        value = rng.choice([0, 1, 7, n - 1, n + 1, n + 8, len(data), len(data) - 8, 100_000_001, *HUGE])
        return struct.pack("<Q", value % 2**64) + data[8:], f"safetensors header length {n} -> {value}"
    header, body = _split_safetensors(data)
    names = _tensor_names(header)
    if kind in ("dtype", "shape", "offsets"):
        name = rng.choice(names)
        info = header[name]
        if kind == "dtype":
            info["dtype"] = rng.choice(["F64", "F16", "BF16", "I64", "I32", "U8", "BOOL", "F8_E4M3", "C64", "XYZ",
                                        "", 5, None])
        elif kind == "shape":
            shape = list(info["shape"]) or [1]
            n, d = shape[0], shape[-1]
            info["shape"] = rng.choice([[2**40, d], [0, d], [-1, d], [n + 1, d], [n - 1, d], [d, n], [n * d], [],
                                        [*shape, 1], [2**32, 2**32], [2**63, 2], [str(n), d], [n, 1.5], None])
        else:
            a, b = info["data_offsets"]
            other = header[rng.choice(names)]["data_offsets"]
            info["data_offsets"] = rng.choice([[a, b + 4], [a + 4, b], [b, a], [0, 2**64 - 1], [a, 2**62], other,
                                               [a, len(body) + 1], [-4, b], [a]])
        return _join_safetensors(header, body), f"tensor {name!r}: {kind} -> {info.get(kind, info)!r:.60}"
    if kind == "special float":
        floats = [k for k in names if header[k]["dtype"] == "F32" and header[k]["shape"] != [0]]
        name = rng.choice(floats)
        a, b = header[name]["data_offsets"]
        value = rng.choice([np.nan, np.inf, -np.inf])
        out = bytearray(body)
        count = rng.choice([1, 1, 4])
        for _ in range(count):
            at = a + 4 * rng.randrange((b - a) // 4)
            out[at:at + 4] = struct.pack("<f", value)
        return _join_safetensors(header, bytes(out)), f"tensor {name!r}: {count} values -> {value}"
    if kind == "metadata":
        return edit_metadata(data, rng)
    from safetensors.numpy import load

    tensors, meta = load(data), header.get("__metadata__")
    name = rng.choice(names)
    if kind == "rows":
        t = tensors[name]
        if t.ndim == 0 or len(t) == 0:
            return data, "no rows to edit"
        t = t[:-1] if rng.random() < 0.5 else np.concatenate([t, t[-1:]])
        tensors[name] = t
        what = f"tensor {name!r}: now {t.shape}"
    elif kind == "drop tensor":
        del tensors[name]
        what = f"tensor {name!r} removed"
    elif kind == "rename tensor":
        tensors[name + rng.choice(["_", ".x", "2"])] = tensors.pop(name)
        what = f"tensor {name!r} renamed"
    else:
        tensors["extra." + name] = np.zeros(rng.choice([(0,), (3, 3), (1 << 16,)]), np.float32)
        what = "a tensor the model does not have added"
    return _resave(tensors, meta), what


# Values a header's JSON may hold where a number, a string or a list should be.
ODD_VALUES = [None, True, -1, 0, 1.5, 10**9, 2**63, 1e308, "x", "", [], {}, [1, 2], "nan"]


def _vary(value, rng: random.Random):
    """A nearby or odd replacement for one JSON value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return rng.choice(ODD_VALUES)
    return rng.choice([value + 1, value - 1, -value, value * 1000, value * 10**6, 0, *ODD_VALUES])


def _edit_word_list(words: list, rng: random.Random) -> tuple[list, str]:
    words = list(words)
    kind = rng.choice(["drop", "add", "repeat", "empty", "not text", "swap", "whitespace", "control"])
    i = rng.randrange(len(words)) if words else 0
    if kind == "drop" and words:
        del words[i]
    elif kind == "add":
        words.insert(i, rng.choice(["extra", "zzz", "the"]))
    elif kind == "repeat" and len(words) > 1:
        words[i] = words[(i + rng.randrange(1, len(words))) % len(words)]
    elif kind == "empty" and words:
        words[i] = ""
    elif kind == "not text" and words:
        words[i] = rng.choice([5, None, ["a"], 1.5])
    elif kind == "swap" and len(words) > 1:
        j = rng.randrange(len(words))
        words[i], words[j] = words[j], words[i]
    elif kind == "whitespace" and words:
        words[i] = rng.choice([" ", "a b", "\t", "w\n"])
    elif kind == "control" and words:
        words[i] = rng.choice(["\x00", "\x1b[2J", "\u202e"]) + str(words[i])
    return words, f"word {i}: {kind}"


def edit_metadata(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """The app's JSON in a safetensors header: the model's name, its config, its vocabulary (or
    word and item names), counts, sample rate, statistics, or the metadata itself."""
    header, body = _split_safetensors(data)
    meta = header.get("__metadata__")
    if not isinstance(meta, dict):
        raise ValueError("no metadata")
    kind = rng.choice(["model", "version", "config", "config", "extra", "extra", "extra", "extra", "not json",
                       "not text", "drop key", "drop metadata"])
    what = kind
    if kind == "model":
        meta["model"] = rng.choice(["sgns", "cbow", "fasttext", "glove", "dc", "siamese", "mlm", "vectors", "onehot",
                                    "", "no-such-model", "SGNS", "sgns "])
        what = f"model name {meta['model']!r}"
    elif kind == "version":
        meta["format_version"] = rng.choice(["2", "99", "0", "-1", "x", ""])
        what = f"format version {meta['format_version']!r}"
    elif kind == "config":
        config = json.loads(meta["config"])
        key = rng.choice(sorted(config) or ["dim"])
        if rng.random() < 0.2:
            config.pop(key, None)
            what = f"config {key!r} removed"
        else:
            config[key] = _vary(config.get(key), rng)
            what = f"config {key} = {config[key]!r:.40}"
        meta["config"] = json.dumps(config if rng.random() > 0.05 else [config])
    elif kind == "extra":
        extra = json.loads(meta.get("extra", "{}"))
        what = _edit_extra(extra, rng)
        meta["extra"] = json.dumps(extra)
    elif kind == "not json":
        key = rng.choice(["config", "extra"])
        meta[key] = rng.choice(["{", "", "null", "[1]", '"x"', "NaN", "{" * 100_000, "[" * 100_000 + "]" * 100_000])
        what = f"{key} -> {meta[key][:12]!r}"
    elif kind == "not text":
        meta[rng.choice(sorted(meta))] = rng.choice([5, None, ["a"], {"a": "b"}])
    elif kind == "drop key":
        key = rng.choice(sorted(meta))
        del meta[key]
        what = f"metadata {key!r} removed"
    else:
        del header["__metadata__"]
    return _join_safetensors(header, body), what


def _edit_extra(extra: dict, rng: random.Random) -> str:
    """One field of the checkpoint's ``extra``: vocabulary words or counts, a folder's item names,
    the sample rate, statistics and loss curves, or the field gone."""
    keys = sorted(extra)
    if "vocab" in extra and isinstance(extra["vocab"], dict) and rng.random() < 0.6:
        vocab = extra["vocab"]
        part = rng.choice(["words", "words", "words", "counts", "counts", "whole"])
        if part == "words":
            vocab["words"], what = _edit_word_list(vocab["words"], rng)
            return f"vocabulary {what}"
        if part == "counts":
            counts = list(vocab["counts"])
            i = rng.randrange(len(counts))
            how = rng.choice(["drop", "negative", "huge", "float", "text", "add"])
            if how == "drop":
                del counts[i]
            elif how == "add":
                counts.append(1)
            else:
                counts[i] = {"negative": -5, "huge": 2**70, "float": 1.5, "text": "7"}[how]
            vocab["counts"] = counts
            return f"vocabulary count {i}: {how}"
        extra["vocab"] = rng.choice([None, [], {"words": "the of and"}, {"words": []}, {"counts": []}])
        return f"vocabulary -> {extra['vocab']!r}"
    for name in ("words", "names"):
        if name in extra and isinstance(extra[name], list) and rng.random() < 0.6:
            extra[name], what = _edit_word_list(extra[name], rng)
            return f"{name}: {what}"
    key = rng.choice(keys or ["stats"])
    if rng.random() < 0.2:
        extra.pop(key, None)
        return f"extra {key!r} removed"
    value = extra.get(key)
    if key == "sample_rate":
        extra[key] = rng.choice([0, -8000, 1, 999, 7999, 8001, 16000, 768001, 10**12, 8000.5, "8000", None])
    elif isinstance(value, list) and value and rng.random() < 0.5:
        value[rng.randrange(len(value))] = rng.choice([["a", "b"], [1], 5, None, [1, "nan"], [1, 2, 3]])
    elif isinstance(value, dict) and value and rng.random() < 0.5:
        value[rng.choice(sorted(value))] = rng.choice(ODD_VALUES)
    else:
        extra[key] = rng.choice(ODD_VALUES)
    return f"extra {key!r} edited"


# --- zip (session files) -----------------------------------------------------------------------
class Member:
    """One zip member as it is stored: name, method, the stored bytes, and what the headers say."""

    def __init__(self, name: str, raw: bytes, method: int, crc: int, size: int, plain: bytes = b""):
        self.name, self.raw, self.method, self.crc, self.size, self.plain = name, raw, method, crc, size, plain

    @classmethod
    def of(cls, name: str, data: bytes, method: int = 0) -> "Member":
        raw = data if method == 0 else _deflate(data)
        return cls(name, raw, method, zlib.crc32(data), len(data), data)


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def read_members(data: bytes) -> list[Member]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if any(i.file_size > 1 << 26 for i in z.infolist()):
            raise ValueError("a member an earlier edit made a bomb: not inflated here")
        return [Member.of(i.filename, z.read(i), i.compress_type) for i in z.infolist()]


def build_zip(members: list[Member]) -> bytes:
    """A plain zip (no zip64) of ``members`` with the headers they state, lies included."""
    out, central = bytearray(), bytearray()
    for m in members:
        name = m.name.encode()
        offset = len(out)
        sizes = (m.crc, len(m.raw) % 2**32, m.size % 2**32)
        out += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, m.method, 0, 0x21, *sizes, len(name), 0) + name + m.raw
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, m.method, 0, 0x21, *sizes, len(name), 0, 0, 0,
                               0, 0, offset % 2**32) + name
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


@functools.cache
def _bomb(size: int) -> tuple[bytes, int]:
    """A deflate stream of ``size`` spaces and its CRC, made without ever holding ``size`` bytes: after
    a full flush the compressor starts afresh, so one compressed block repeats as often as wanted."""
    chunk = b" " * (1 << 24)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    count = size // len(chunk)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    return block * count + c.flush(), crc


# (offset in the local header, offset in the central directory, struct code, name) of fields both hold.
ZIP_FIELDS = [(6, 8, "<H", "flags"), (8, 10, "<H", "method"), (14, 16, "<I", "crc"), (18, 20, "<I", "compressed size"),
              (22, 24, "<I", "size"), (26, 28, "<H", "name length"), (28, 30, "<H", "extra length")]
ZIP_VALUES = {"flags": [1, 8, 0x41, 0x800, 0xFFFF], "method": [1, 6, 9, 12, 14, 93, 95, 98, 99, 0xFFFF],
              "crc": [0, 0xFFFFFFFF], "compressed size": [0, 1, 2**31, 2**32 - 2, 0xFFFFFFFF],
              "size": [0, 1, 2**31, 2**32 - 2, 0xFFFFFFFF], "name length": [0, 1, 0xFFFF],
              "extra length": [4, 9, 0xFFFF]}
END_FIELDS = [(8, "<H", "entries on this disk"), (10, "<H", "entries"), (12, "<I", "directory size"),
              (16, "<I", "directory offset"), (20, "<H", "comment length"), (4, "<H", "disk number")]


def _headers(data: bytes, tag: bytes) -> list[int]:
    found, at = [], data.find(tag)
    while at != -1:
        found.append(at)
        at = data.find(tag, at + 1)
    return found


def edit_zip_headers(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A field of a local header, of the central directory or of its end record that lies."""
    where = rng.choice(["local", "central", "central", "end"])
    if where == "end":
        at = data.rindex(b"PK\x05\x06")
        off, code, name = rng.choice(END_FIELDS)
        old = struct.unpack_from(code, data, at + off)[0]
        value = rng.choice([0, 1, old - 1, old + 1, old + 1000, 2**16 - 1 if code == "<H" else 2**32 - 1])
    else:
        at = rng.choice(_headers(data, b"PK\x03\x04" if where == "local" else b"PK\x01\x02"))
        local_off, central_off, code, name = rng.choice(ZIP_FIELDS)
        off = local_off if where == "local" else central_off
        old = struct.unpack_from(code, data, at + off)[0]
        value = rng.choice(ZIP_VALUES[name] + [old + 1, max(old - 1, 0)])
        if where == "central" and rng.random() < 0.15:
            off, code, name, value = 42, "<I", "local header offset", rng.choice([0, 1, 2**31, len(data), 0xFFFFFFFF])
    value %= 2**16 if code == "<H" else 2**32
    out = bytearray(data)
    struct.pack_into(code, out, at + off, value)
    return bytes(out), f"zip {where} {name} -> {value}"


def edit_zip_members(data: bytes, rng: random.Random, edit_member=None) -> tuple[bytes, str]:
    """Members removed, repeated or renamed, one of them damaged by ``edit_member(name, bytes, rng)``
    and stored again with a true CRC, compressed where it was stored, or a decompression bomb: a
    member that inflates to gigabytes, its size stated truly or as a few bytes."""
    members = read_members(data)
    kind = rng.choice(["drop", "duplicate", "rename", "member", "member", "member", "member", "deflate", "bomb",
                       "junk before"])
    i = rng.randrange(len(members))
    m = members[i]
    if kind == "drop":
        del members[i]
        what = f"member {m.name} removed"
    elif kind == "duplicate":
        copy = Member.of(m.name, b"{}" if m.name.endswith(".json") else m.plain)
        members.insert(rng.randrange(len(members) + 1), copy)
        what = f"member {m.name} twice"
    elif kind == "rename":
        members[i] = Member(rng.choice(["../" + m.name, "/" + m.name, m.name.upper(), m.name + "\x00", ""]),
                            m.raw, m.method, m.crc, m.size, m.plain)
        what = f"member {m.name} renamed {members[i].name!r}"
    elif kind in ("member", "deflate"):
        plain = m.plain
        if kind == "member" and edit_member is not None:
            plain, what = edit_member(m.name, plain, rng)
            what = f"{m.name}: {what}"
        else:
            what = f"member {m.name} deflated"
        members[i] = Member.of(m.name, plain, 8 if kind == "deflate" else m.method)
    elif kind == "bomb":
        size = rng.choice([1 << 30, 3 << 30])
        raw, crc = _bomb(size)
        stated = rng.choice([size, size, 100, 0])
        members[i] = Member(m.name, raw, 8, crc, stated)
        what = f"member {m.name}: {len(raw):,} bytes inflating to {size:,}, stated {stated:,}"
    else:
        return rng.randbytes(rng.choice([1, 30, 4096])) + data, "bytes before the archive"
    return build_zip(members), what


def edit_session_index(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """``session.json`` of a session: its format and version, its list of models, the window's state."""
    index = json.loads(data)
    kind = rng.choice(["format", "version", "models", "models", "model entry", "state", "state", "state", "deep",
                       "not json"])
    if kind == "format":
        index["format"] = rng.choice(["other", "", None, 5])
    elif kind == "version":
        index["version"] = rng.choice([0, -1, 2, 99, "1", 1.0, True, None, 2**70])
    elif kind == "models":
        models = index.get("models")
        how = rng.choice(["drop", "repeat", "not a list", "missing file", "empty"])
        if how == "not a list" or not isinstance(models, list) or not models:
            index["models"] = rng.choice([None, {}, "models/0.safetensors", [1]])
        elif how == "drop":
            del models[rng.randrange(len(models))]
        elif how == "repeat":
            models.append(models[rng.randrange(len(models))])
        elif how == "missing file":
            models[rng.randrange(len(models))]["file"] = rng.choice(["models/9.safetensors", "", "session.json",
                                                                    "arrays.safetensors", "../x"])
        else:
            index["models"] = []
        kind = f"models: {how}"
    elif kind == "model entry":
        models = index.get("models") or [{}]
        entry = models[rng.randrange(len(models))]
        key = rng.choice(["file", "note", "note", "view", "name", "scores"])
        target = entry if key in ("file", "note") else entry.setdefault("note", {})
        if isinstance(target, dict):
            target[key] = rng.choice(ODD_VALUES + ["Separation", "Matching", "Contextual", "Map", {"a": 1.5}])
        kind = f"model entry {key} -> {target.get(key) if isinstance(target, dict) else target!r:.30}"
    elif kind == "state":
        state = index.setdefault("state", {})
        if not isinstance(state, dict):
            index["state"] = {}
            state = index["state"]
        key = rng.choice(sorted(state) + ["current", "layouts", "compare", "group"] if state else ["current"])
        value = state.get(key)
        if key == "layouts" and isinstance(value, dict) and value and rng.random() < 0.7:
            name = rng.choice(sorted(value))
            layout = value[name]
            if isinstance(layout, dict) and isinstance(layout.get("words"), list):
                layout["words"], what = _edit_word_list(layout["words"], rng)
                kind = f"layout {name} {what}"
            else:
                value[name] = rng.choice(ODD_VALUES)
        else:
            odd = [[0, 99, None], [-1, 0, "x"], {"x": 1}]
            state[key] = _vary(value, rng) if rng.random() < 0.8 else rng.choice(odd)
            kind = f"state {key} -> {state[key]!r:.40}"
    elif kind == "deep":
        return b"[" * 200_000 + b"]" * 200_000, "session.json nested 200,000 deep"
    else:
        return rng.choice([b"", b"{", b"\xff\xfe{}", b"null", b"[]", b"NaN"]), "session.json not an object"
    return json.dumps(index).encode(), kind


def edit_session_arrays(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """The map's saved coordinates: NaN or infinite, another shape or type, one more or fewer."""
    from safetensors.numpy import load

    arrays = load(data)
    if not arrays:
        arrays["layout.pca"] = np.zeros((3, 2), np.float32)
        return _resave(arrays, None), "a layout added to a session that had none"
    name = rng.choice(sorted(arrays))
    a = arrays[name]
    kind = rng.choice(["nan", "inf", "rows", "columns", "float64", "int", "flat", "rename"])
    if kind in ("nan", "inf"):
        a = a.copy()
        a.flat[rng.randrange(a.size)] = np.nan if kind == "nan" else -np.inf
    elif kind == "rows":
        a = a[:-1] if rng.random() < 0.5 else np.concatenate([a, a[:1]])
    elif kind == "columns":
        a = np.concatenate([a, a[:, :1]], axis=1)
    elif kind == "float64":
        a = a.astype(np.float64)
    elif kind == "int":
        a = a.astype(np.int32)
    elif kind == "flat":
        a = a.ravel()
    else:
        arrays[name + "x"] = arrays.pop(name)
        return _resave(arrays, None), f"array {name} renamed"
    arrays[name] = a
    return _resave(arrays, None), f"array {name}: {kind}"


def edit_session_member(name: str, data: bytes, rng: random.Random) -> tuple[bytes, str]:
    if name.endswith(".json"):
        return edit_session_index(data, rng)
    if name == "arrays.safetensors" and rng.random() < 0.7:
        return edit_session_arrays(data, rng)
    return edit_safetensors(data, rng)


def edit_session(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    if rng.random() < 0.3:
        return edit_zip_headers(data, rng)
    return edit_zip_members(data, rng, edit_session_member)


# --- FLAC ----------------------------------------------------------------------------------------
def _crc(data: bytes, poly: int, width: int) -> int:
    """MSB-first CRC with zero initial value, as FLAC's frame CRC-8 and CRC-16 and Ogg's CRC-32 are."""
    top, mask, crc = 1 << (width - 1), (1 << width) - 1, 0
    for byte in data:
        crc ^= byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & mask if crc & top else (crc << 1) & mask
    return crc


@functools.cache
def _crc_table(poly: int, width: int) -> tuple[int, ...]:
    return tuple(_crc(bytes([i]), poly, width) for i in range(256))


def crc_msb(data: bytes, poly: int, width: int) -> int:
    table, shift, mask, crc = _crc_table(poly, width), width - 8, (1 << width) - 1, 0
    for byte in data:
        crc = ((crc << 8) & mask) ^ table[((crc >> shift) ^ byte) & 0xFF]
    return crc


def flac_blocks(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, type, length) of each metadata block; raises on bytes that are not FLAC."""
    if data[:4] != b"fLaC":
        raise ValueError("not FLAC")
    pos, blocks = 4, []
    while True:
        head = data[pos]
        length = int.from_bytes(data[pos + 1:pos + 4], "big")
        blocks.append((pos, head & 0x7F, length))
        pos += 4 + length
        if head & 0x80 or pos >= len(data):
            return blocks


def flac_frames(data: bytes) -> list[int]:
    """Offsets of the audio frames: a sync code whose header's CRC-8 holds."""
    pos, length = flac_blocks(data)[-1][0], flac_blocks(data)[-1][2]
    start = pos + 4 + length
    frames = []
    at = data.find(b"\xff", start)
    while at != -1 and at + 6 <= len(data):
        if data[at + 1] in (0xF8, 0xF9):
            end = _frame_header_end(data, at)
            if end and crc_msb(data[at:end], 0x07, 8) == data[end]:
                frames.append(at)
        at = data.find(b"\xff", at + 1)
    return frames


def _frame_header_end(data: bytes, at: int) -> int | None:
    """Offset of a frame header's CRC-8 byte, from its variable-length fields."""
    b2 = data[at + 2]
    pos = at + 4
    first = data[pos]
    extra = next((n for n, m in ((0, 0x80), (1, 0xE0), (2, 0xF0), (3, 0xF8), (4, 0xFC), (5, 0xFE), (6, 0xFF))
                  if (first & m) == ((m << 1) & 0xFF)), None)
    if extra is None:
        return None
    pos += 1 + extra
    pos += {6: 1, 7: 2}.get(b2 >> 4, 0) + {12: 1, 13: 2, 14: 2}.get(b2 & 0x0F, 0)
    return pos if pos < len(data) else None


def _reseal_frame(data: bytearray, at: int, end: int) -> None:
    """Recompute a frame's header CRC-8 and its CRC-16 (the frame runs to ``end``)."""
    head_end = _frame_header_end(data, at)
    if head_end is not None and head_end < end - 2:
        data[head_end] = crc_msb(bytes(data[at:head_end]), 0x07, 8)
    struct.pack_into(">H", data, end - 2, crc_msb(bytes(data[at:end - 2]), 0x8005, 16))


def edit_flac(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """STREAMINFO's fields (rate, channels, bits, total samples, block and frame sizes), metadata
    block headers and blocks whose lengths lie, or audio frames: their header fields, their coded
    samples (checksums made to hold), dropped or repeated."""
    kind = rng.choice(["streaminfo", "streaminfo", "streaminfo", "block header", "new block", "frame header",
                       "frame body", "frame order", "id3"])
    out = bytearray(data)
    blocks = flac_blocks(data)
    if kind == "streaminfo":
        pos = blocks[0][0] + 4          # STREAMINFO is the first block
        bits = int.from_bytes(out[pos + 10:pos + 18], "big")     # rate 20, channels-1 3, bps-1 5, total 36
        field = rng.choice(["rate", "channels", "bits", "total", "total", "block size", "frame size", "md5"])
        if field == "rate":
            value = rng.choice([0, 1, 7, 999, 1000, 8001, 44101, 192000, 655350, 2**20 - 1])
            bits = (bits & ~(((1 << 20) - 1) << 44)) | (value << 44)
        elif field == "channels":
            value = rng.randrange(8)
            bits = (bits & ~(7 << 41)) | (value << 41)
            value += 1
        elif field == "bits":
            value = rng.randrange(32)
            bits = (bits & ~(31 << 36)) | (value << 36)
            value += 1
        elif field == "total":
            total = bits & ((1 << 36) - 1)
            value = rng.choice([0, 1, total - 1, total + 1, total * 2, total // 2, 2**36 - 1])
            bits = (bits & ~((1 << 36) - 1)) | (value % 2**36)
        if field in ("rate", "channels", "bits", "total"):
            out[pos + 10:pos + 18] = bits.to_bytes(8, "big")
        elif field == "block size":
            value = rng.choice([0, 1, 15, 16, 4095, 65535])
            struct.pack_into(">H", out, pos + rng.choice([0, 2]), value)
        elif field == "frame size":
            value = rng.choice([0, 1, 2**24 - 1])
            out[pos + rng.choice([4, 7]):pos + rng.choice([4, 7]) + 3] = value.to_bytes(3, "big")
        else:
            value = "random"
            out[pos + 18:pos + 34] = rng.randbytes(16)
        return bytes(out), f"STREAMINFO {field} -> {value}"
    if kind == "block header":
        pos, btype, length = rng.choice(blocks)
        how = rng.choice(["length", "type", "last"])
        if how == "length":
            value = rng.choice([0, 1, length - 1, length + 1, 33, 2**24 - 1])
            out[pos + 1:pos + 4] = value.to_bytes(3, "big")
        elif how == "type":
            value = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 126, 127])
            out[pos] = (out[pos] & 0x80) | value
        else:
            value = out[pos] ^ 0x80
            out[pos] = value
        return bytes(out), f"metadata block {btype} {how} -> {value}"
    if kind == "new block":
        btype = rng.choice([1, 3, 4, 6, 2, 0])
        if btype == 4:      # VORBIS_COMMENT: little-endian lengths that lie
            body = struct.pack("<I", rng.choice([5, 2**31, 2**32 - 1])) + b"vendo" + struct.pack(
                "<I", rng.choice([1, 2**31, 2**32 - 1])) + struct.pack("<I", 3) + b"a=b"
        elif btype == 6:    # PICTURE: big-endian lengths that lie
            body = struct.pack(">II", 3, rng.choice([9, 2**31, 2**32 - 1])) + b"image/png" + struct.pack(
                ">I", 0) + struct.pack(">5I", 1, 1, 24, 0, rng.choice([4, 2**31, 2**32 - 1])) + b"\x89PNG"
        elif btype == 3:    # SEEKTABLE: points past the end, or not a multiple of 18 bytes
            body = struct.pack(">QQH", rng.choice([0, 2**63]), rng.choice([0, 2**40]), 4096) * rng.choice([1, 3])
            body = body[:rng.choice([len(body), len(body) - 5])]
        else:
            body = bytes(rng.choice([0, 16, 34, 40]))
        declared = rng.choice([len(body), len(body), 2**24 - 1, len(body) + 100])
        first = blocks[0][0] + 4 + blocks[0][2]
        block = bytes([btype]) + declared.to_bytes(3, "big") + body
        what = f"metadata block {btype} of {len(body)} bytes, stated {declared}"
        return bytes(out[:first]) + block + bytes(out[first:]), what
    if kind == "id3":
        size = rng.choice([0, 10, 2**28 - 1])
        syncsafe = bytes((size >> s) & 0x7F for s in (21, 14, 7, 0))
        return b"ID3\x04\x00\x00" + syncsafe + bytes(10) + data, f"ID3v2 tag stating {size} bytes"
    frames = flac_frames(data)
    i = rng.randrange(len(frames))
    at, end = frames[i], frames[i + 1] if i + 1 < len(frames) else len(data)
    if kind == "frame header":
        byte = rng.choice([2, 3])
        value = rng.randrange(256)
        out[at + byte] = value
        _reseal_frame(out, at, end)
        return bytes(out), f"frame {i} header byte {byte} -> {value:#04x}"
    if kind == "frame body":
        head_end = _frame_header_end(data, at)
        count = rng.choice([1, 4, 32])
        for _ in range(count):
            out[rng.randrange(head_end + 1, end - 2)] = rng.randrange(256)
        _reseal_frame(out, at, end)
        return bytes(out), f"frame {i}: {count} coded bytes changed, checksums kept"
    how = rng.choice(["drop", "repeat", "swap"])
    frame = data[at:end]
    if how == "drop":
        return data[:at] + data[end:], f"frame {i} removed"
    if how == "repeat":
        return data[:end] + frame * rng.choice([1, 50]) + data[end:], f"frame {i} repeated"
    j = rng.randrange(len(frames))
    at2, end2 = frames[j], frames[j + 1] if j + 1 < len(frames) else len(data)
    if j <= i:
        raise ValueError("swap needs a later frame")
    return data[:at] + data[at2:end2] + data[end:at2] + frame + data[end2:], f"frames {i} and {j} swapped"


# --- Ogg (Vorbis, Opus) ------------------------------------------------------------------------------
def ogg_pages(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each page: a capture pattern whose segment table fits."""
    pages, at = [], data.find(b"OggS")
    while at != -1 and at + 27 <= len(data):
        n = data[at + 26]
        length = 27 + n + sum(data[at + 27:at + 27 + n])
        pages.append((at, length))
        at = data.find(b"OggS", at + length)
    if not pages:
        raise ValueError("not Ogg")
    return pages


def _reseal_page(page: bytearray) -> bytearray:
    page[22:26] = b"\x00\x00\x00\x00"
    struct.pack_into("<I", page, 22, crc_msb(bytes(page), 0x04C11DB7, 32))
    return page


def edit_ogg(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A page's granule position (the stream's length is read from the last), flags, serial,
    sequence number or segment table; the Vorbis or Opus header's channels, rate, pre-skip, gain
    or block sizes; coded audio; pages dropped, repeated or swapped. Page checksums made to hold."""
    pages = ogg_pages(data)
    kind = rng.choice(["granule", "granule", "flags", "serial", "sequence", "segments", "codec header",
                       "codec header", "codec header", "audio", "page order"])
    i = len(pages) - 1 if kind == "granule" and rng.random() < 0.5 else rng.randrange(len(pages))
    at, length = pages[i]
    page = bytearray(data[at:at + length])
    if kind == "page order":
        how = rng.choice(["drop", "repeat", "swap"])
        chunks = [data[a:a + n] for a, n in pages]
        j = rng.randrange(len(chunks))
        if how == "drop":
            del chunks[i]
        elif how == "repeat":
            chunks.insert(i, chunks[i])
        else:
            chunks[i], chunks[j] = chunks[j], chunks[i]
        return b"".join(chunks), f"page {i} {how}" + (f" with {j}" if how == "swap" else "")
    if kind == "granule":
        old = struct.unpack_from("<q", page, 6)[0]
        value = rng.choice([0, -1, 1, old - 1, old + 1, old * 2, old // 2, 2**62, -2**63, 2**63 - 1])
        struct.pack_into("<q", page, 6, value)
        what = f"page {i} granule {old} -> {value}"
    elif kind == "flags":
        page[5] = rng.choice([0, 1, 2, 4, 6, 7, 0xFF])
        what = f"page {i} flags -> {page[5]}"
    elif kind == "serial":
        page[14:18] = rng.randbytes(4)
        what = f"page {i} serial changed"
    elif kind == "sequence":
        value = rng.choice([0, 1, i + 1, i + 5, 2**32 - 1])
        struct.pack_into("<I", page, 18, value)
        what = f"page {i} sequence -> {value}"
    elif kind == "segments":
        n = page[26]
        j = rng.randrange(n) if n else 0
        if n:
            page[27 + j] = rng.choice([0, 1, 254, 255])
        what = f"page {i} segment {j} length -> {page[27 + j] if n else None}"
    elif kind == "codec header":
        return _edit_codec_header(data, pages, rng)
    else:
        start = 27 + page[26]
        count = rng.choice([1, 4, 32])
        for _ in range(count):
            if len(page) > start:
                page[rng.randrange(start, len(page))] = rng.randrange(256)
        what = f"page {i}: {count} coded bytes changed"
    return data[:at] + bytes(_reseal_page(page)) + data[at + length:], what


def _edit_codec_header(data: bytes, pages, rng: random.Random) -> tuple[bytes, str]:
    at, length = pages[0]
    page = bytearray(data[at:at + length])
    body = 27 + page[26]
    head = bytes(page[body:body + 8])
    if head.startswith(b"\x01vorbis"):
        # version 4, channels 1, rate 4, bitrates 12, block sizes 1, framing 1 (after the 7-byte tag)
        field, off, code, values = rng.choice([
            ("version", 7, "<I", [1, 2**32 - 1]), ("channels", 11, "<B", [0, 2, 3, 8, 255]),
            ("rate", 12, "<I", [0, 1, 999, 8001, 768001, 2**31, 2**32 - 1]),
            ("nominal bitrate", 20, "<i", [0, -1, 2**31 - 1]),
            ("block sizes", 28, "<B", [0x00, 0x66, 0xBB, 0xDD, 0xFF, 0x5B]), ("framing", 29, "<B", [0, 2])])
    elif head.startswith(b"OpusHead"):
        # version 1, channels 1, pre-skip 2, input rate 4, output gain 2 (Q7.8 dB), mapping family 1
        field, off, code, values = rng.choice([
            ("version", 8, "<B", [0, 2, 16, 255]), ("channels", 9, "<B", [0, 2, 3, 8, 9, 255]),
            ("pre-skip", 10, "<H", [0, 3840, 48000, 65535]), ("input rate", 12, "<I", [0, 1, 8000, 2**32 - 1]),
            ("output gain", 16, "<h", [-32768, 256 * 6, 256 * 40, 32767]), ("mapping family", 18, "<B", [1, 2, 255])])
    else:
        raise ValueError("no codec header in the first page")
    value = rng.choice(values)
    struct.pack_into(code, page, body + off, value)
    return data[:at] + bytes(_reseal_page(page)) + data[at + length:], f"{head[:8]!r} {field} -> {value}"
