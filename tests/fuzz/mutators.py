"""Damage to valid files: blind byte edits any format gets, and edits that know a format's structure.

Blind edits (bit flips, truncation, inserted random or binary bytes, deleted or repeated spans)
find what nobody thought of; structured edits reach what blind ones rarely do: a header that
promises a billion rows, a NaN written as text or as float32 bits, a repeated or empty word, a
WAV whose sample rate, channel count, data size or format code lies (the edits of the binary
containers, model checkpoints, session zips, FLAC and Ogg, are in :mod:`tests.fuzz.containers`).
:func:`damage` applies one to three of them, chosen by a :class:`random.Random`, so a file is
rebuilt from its seed and index.
"""
from __future__ import annotations

import gzip
import random
import re
import struct
import zipfile
import zlib

import numpy as np
from safetensors import SafetensorError

from tests.fuzz import containers, hostile

Files = dict[str, bytes]

# Tokens that have broken readers before: number edge cases, separators, control and non-UTF-8 bytes.
TOKENS = [b" ", b"\n", b"\t", b"\r", b"\r\n", b"\x00", b"\xff", b"\xc3", b"\xef\xbb\xbf", b"nan", b"NaN", b"inf",
          b"-inf", b"Infinity", b"1e39", b"-1e39", b"1e-50", b"9" * 40, b"-", b"+", b".", b"e", b"0x1F", b"1,5",
          b"#", b"\x0b", b"\x0c", b"\x1c", "\u2028".encode()]
NUMBER_TOKENS = [b"nan", b"NaN", b"-nan", b"inf", b"-inf", b"Infinity", b"1e39", b"-3.5e38", b"1e-50", b"", b"-",
                 b"1..2", b"0x10", b"1,5", b"1e", b"\xff", b"12345678901234567890123", b"+-1", b"\x00",
                 b"9" * 30000 + b"x"]
HEADER_COUNTS = [0, -1, -5, 1, 2, 10**6, 10**9, 2**31, 2**32 + 1, 2**63, 2**64 + 7, 10**30]
# Fields of a WAV "fmt " chunk: (offset from the chunk's start, struct code, values to try).
WAV_FIELDS = {
    "format code": (8, "<H", [0, 1, 2, 3, 6, 7, 0x11, 0x55, 0xFFFE, 0xFFFF]),
    "channels": (10, "<H", [0, 1, 2, 3, 8, 255, 1024, 1025, 65535]),
    "sample rate": (12, "<I", [0, 1, 7, 999, 1000, 4000, 8001, 44101, 192000, 384000, 767999, 768001,
                               10**9, 2**31, 2**32 - 1]),
    "byte rate": (16, "<I", [0, 1, 2**32 - 1]),
    "block align": (20, "<H", [0, 1, 3, 7, 65535]),
    "bits per sample": (22, "<H", [0, 1, 7, 8, 12, 16, 24, 31, 32, 33, 64, 65535]),
    "fmt size": (4, "<I", [0, 14, 15, 18, 40, 2**31, 2**32 - 1]),
}


# --- blind edits -------------------------------------------------------------------------------
def flip_bits(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    b = bytearray(data)
    k = rng.choice([1, 1, 2, 4, 8, 32])
    for _ in range(k):
        if b:
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    return bytes(b), f"flipped {k} bits"


def truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    # Half the cuts fall in the first 64 bytes, where the headers are.
    at = rng.randrange(min(len(data), 64) + 1) if rng.random() < 0.5 else rng.randrange(len(data) + 1)
    return data[:at], f"truncated at byte {at}"


def insert_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    at = rng.randrange(len(data) + 1)
    if rng.random() < 0.5:
        blob = rng.randbytes(rng.choice([1, 2, 4, 16, 64, 300]))
        what = f"{len(blob)} random bytes"
    else:
        blob = rng.choice(TOKENS) * rng.choice([1, 1, 3, 50])
        what = f"token {blob[:12]!r}"
    return data[:at] + blob + data[at:], f"inserted {what} at byte {at}"


def delete_span(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    at = rng.randrange(len(data) + 1)
    n = rng.choice([1, 2, 3, 4, 8, 100])
    return data[:at] + data[at + n:], f"deleted {n} bytes at {at}"


def repeat_span(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    a = rng.randrange(len(data) + 1)
    span = data[a:a + rng.choice([4, 32, 200])]
    at = rng.randrange(len(data) + 1)
    return data[:at] + span + data[at:], f"repeated {len(span)} bytes from {a} at {at}"


BLIND = (flip_bits, truncate, insert_bytes, delete_span, repeat_span)


# --- text vector files: word2vec, .vec, GloVe, projector vectors.tsv and metadata.tsv ----------------
def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def edit_header(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A ``ROWS DIM`` first line that lies: huge, negative, zero, off by one, mangled, or gone."""
    head, sep, rest = data.partition(b"\n")
    parts = head.split()
    n, dim = (int(parts[0]), int(parts[1])) if len(parts) == 2 and all(p.isdigit() for p in parts) else (3, 3)
    choices = [f"{rng.choice(HEADER_COUNTS)} {dim}", f"{n} {rng.choice(HEADER_COUNTS)}",
               f"{n + rng.choice([-1, 1])} {dim}", f"{n} {dim + rng.choice([-1, 1])}", f"{dim} {n}",
               f"{n}", f"{n} {dim} 7", f"{n}.5 {dim}", f"  {n}   {dim}  ", f"{n}\t{dim}", f"0x{n:x} {dim}",
               f"{n} {dim}\r", f"-{n} -{dim}", f"{n:_} {dim}", f"\u0661\u0662 {dim}"]
    if rng.random() < 0.1:
        return rest, "removed the header line"
    if rng.random() < 0.1:
        return head + b" " + rest, "joined the header to the first row"
    new = rng.choice(choices).encode()
    return new + sep + rest, f"header {new!r}"


def _row_index(lines: list[bytes], rng: random.Random, first: int) -> int | None:
    rows = [i for i in range(first, len(lines)) if lines[i].strip()]
    return rng.choice(rows) if rows else None


def edit_text_row(data: bytes, rng: random.Random, first: int = 0, sep: bytes = b" ",
                  has_word: bool = True) -> tuple[bytes, str]:
    """One row's word or values: a repeat, an empty word, NaN/inf text, a value too many or too few."""
    lines = _lines(data)
    i = _row_index(lines, rng, first)
    if i is None:
        return data, "no row to edit"
    fields = lines[i].split(sep)
    kind = rng.choice(["value", "value", "drop value", "add value", "duplicate row", "empty word",
                       "same word", "blank lines", "crlf", "bom", "word only"])
    if kind == "value":
        j = rng.randrange(1 if has_word and len(fields) > 1 else 0, len(fields))
        tok = rng.choice(NUMBER_TOKENS)
        fields[j] = tok
        lines[i] = sep.join(fields)
        return b"\n".join(lines), f"line {i + 1}: value {j} -> {tok[:24]!r}"
    if kind == "drop value" and len(fields) > 1:
        del fields[rng.randrange(1 if has_word else 0, len(fields))]
        lines[i] = sep.join(fields)
    elif kind == "add value":
        lines[i] = lines[i] + sep + rng.choice([b"0.5", b"nan", b"1"])
    elif kind == "duplicate row":
        lines.insert(rng.randrange(first, len(lines) + 1), lines[i])
    elif kind == "empty word" and has_word:
        lines[i] = sep + sep.join(fields[1:])
    elif kind == "same word" and has_word:
        j = _row_index(lines, rng, first)
        lines[i] = sep.join([lines[j].split(sep)[0], *fields[1:]])
    elif kind == "blank lines":
        lines[i:i] = [b"", b"   ", b"\t"][:rng.randrange(1, 4)]
    elif kind == "crlf":
        return data.replace(b"\n", b"\r\n"), "CRLF line ends"
    elif kind == "bom":
        return b"\xef\xbb\xbf" + data, "byte-order mark"
    elif kind == "word only" and has_word:
        lines[i] = fields[0]
    return b"\n".join(lines), f"line {i + 1}: {kind}"


# --- word2vec binary ----------------------------------------------------------------------------
def _binary_rows(data: bytes) -> list[tuple[int, int, int]]:
    """(word start, space, end of the floats) of each row of an undamaged word2vec binary file."""
    head, _, _ = data.partition(b"\n")
    n, dim = map(int, head.split())
    pos, rows = len(head) + 1, []
    for _ in range(n):
        while pos < len(data) and data[pos] in b"\r\n":
            pos += 1
        sp = data.index(b" ", pos)
        rows.append((pos, sp, sp + 1 + 4 * dim))
        pos = sp + 1 + 4 * dim
    return rows


def edit_binary_row(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    rows = _binary_rows(data)
    r = rng.randrange(len(rows))
    start, sp, end = rows[r]
    kind = rng.choice(["special float", "special float", "duplicate word", "empty word", "bad utf-8 word",
                       "drop line breaks", "cut float", "junk after rows"])
    if kind == "special float":
        value = rng.choice([np.nan, np.inf, -np.inf, 3e38, 1e-45])
        at = sp + 1 + 4 * rng.randrange((end - sp - 1) // 4)
        return data[:at] + struct.pack("<f", value) + data[at + 4:], f"row {r + 1}: float {value}"
    if kind == "duplicate word":
        other = rows[rng.randrange(len(rows))]
        return data[:start] + data[other[0]:other[1]] + data[sp:], f"row {r + 1}: duplicate word"
    if kind == "empty word":
        return data[:start] + data[sp:], f"row {r + 1}: empty word"
    if kind == "bad utf-8 word":
        return data[:start] + b"\xff\xfe" + data[sp:], f"row {r + 1}: word not UTF-8"
    if kind == "drop line breaks":
        return data.replace(b"\n", b""), "line breaks between rows removed"
    if kind == "cut float":
        return data[:end - 2] + data[end:], f"row {r + 1}: 2 bytes of a float removed"
    return data + rng.choice([b"x 1234", b"\x00" * 9, b"\n\n", rng.randbytes(20)]), "junk after the rows"


# --- .npy + vocabulary ------------------------------------------------------------------------
def edit_npy_header(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """The header dict's shape, dtype or order, the version, or the header length field."""
    kind = rng.choice(["shape", "shape", "descr", "descr", "fortran", "version", "length", "special float"])
    hlen = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + hlen].decode("latin1")
    body = data[10 + hlen:]
    if kind == "version":
        v = rng.choice([b"\x02\x00", b"\x03\x00", b"\x09\x09", b"\x00\x00"])
        return data[:6] + v + data[8:], f"version bytes {v!r}"
    if kind == "length":
        n = rng.choice([0, 1, hlen - 1, hlen + 1, 65535])
        return data[:8] + struct.pack("<H", n) + data[10:], f"header length {n}"
    if kind == "special float":
        at = 4 * rng.randrange(len(body) // 4)
        value = rng.choice([np.nan, np.inf, -np.inf])
        return data[:10 + hlen + at] + struct.pack("<f", value) + data[10 + hlen + at + 4:], f"float {value}"
    if kind == "shape":
        new = rng.choice(["(10**12, 8)", "(1000000000000, 8)", "(-1, 8)", "(60,)", "(60, 8, 2)", "(0, 8)",
                          "(61, 8)", "(59, 8)", "(2, 4000000000)", "()", "(60, 'x')"])
        header = re.sub(r"\(.*?\)", new, header, count=1)
    elif kind == "descr":
        new = rng.choice(["<f8", "|O", "<c8", ">f4", "<U4", "|b1", "<i2", "|V4", "garbage", "<f2"])
        header = re.sub(r"'descr': '[^']*'", f"'descr': '{new}'", header)
    else:
        header = header.replace("False", "True")
    raw = header.encode("latin1")
    return data[:8] + struct.pack("<H", len(raw)) + raw + body, f"npy header {header.strip()[:80]!r}"


# --- WAV ----------------------------------------------------------------------------------------
def riff_chunk(data: bytes, name: bytes) -> int | None:
    """Offset of a RIFF chunk by walking the chunk list (not a search: sample bytes may spell 'data')."""
    pos = 12
    while pos + 8 <= len(data):
        size = struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if data[pos:pos + 4] == name:
            return pos
        pos += 8 + size + (size & 1)
    return None


def edit_wav_header(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A field of the fmt chunk, the data chunk's size, the RIFF size or tags, or the sub-format GUID."""
    fmt, chunk = riff_chunk(data, b"fmt "), riff_chunk(data, b"data")
    kind = rng.choice(["fmt"] * 6 + ["data size", "data size", "riff", "guid"])
    if kind == "fmt":
        name = rng.choice(sorted(WAV_FIELDS))
        off, code, values = WAV_FIELDS[name]
        value = rng.choice(values)
        at = fmt + off
        return data[:at] + struct.pack(code, value) + data[at + struct.calcsize(code):], f"{name} = {value}"
    if kind == "data size":
        size = struct.unpack("<I", data[chunk + 4:chunk + 8])[0]
        value = rng.choice([0, 1, 3, size - 1, size + 1, size + 1000, 2 * size, 2**31 - 1, 2**32 - 1])
        return data[:chunk + 4] + struct.pack("<I", value) + data[chunk + 8:], f"data size {size} -> {value}"
    if kind == "riff":
        edit = rng.choice([(4, struct.pack("<I", 0)), (4, struct.pack("<I", 2**32 - 1)), (8, b"WAVX"), (0, b"RIFX"),
                           (0, b"RF64"), (fmt, b"fmt\x00")])
        return data[:edit[0]] + edit[1] + data[edit[0] + len(edit[1]):], f"RIFF bytes at {edit[0]} -> {edit[1]!r}"
    # WAVE_FORMAT_EXTENSIBLE keeps the real format code in the first bytes of a GUID at offset 32.
    if struct.unpack("<H", data[fmt + 8:fmt + 10])[0] != 0xFFFE:
        return edit_wav_header(data, rng)
    value = rng.choice([0, 2, 3, 7, 0xFFFF])
    at = fmt + 32
    return data[:at] + struct.pack("<H", value) + data[at + 2:], f"sub-format code {value}"


def edit_wav_samples(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Samples a float WAV can hold and a recording must not: NaN, infinity, far beyond full scale."""
    fmt, chunk = riff_chunk(data, b"fmt "), riff_chunk(data, b"data")
    code, bits = struct.unpack("<H", data[fmt + 8:fmt + 10])[0], struct.unpack("<H", data[fmt + 22:fmt + 24])[0]
    if code == 0xFFFE:
        code = struct.unpack("<H", data[fmt + 32:fmt + 34])[0]
    start, size = chunk + 8, struct.unpack("<I", data[chunk + 4:chunk + 8])[0]
    width = bits // 8
    if code != 3 or width not in (4, 8):     # integer PCM: full-scale extremes, the most negative code
        at = start + width * rng.randrange(size // width)
        value = rng.choice([b"\x00", b"\xff"]) * (width - 1) + rng.choice([b"\x80", b"\x7f"])
        return data[:at] + value + data[at + width:], f"PCM sample at byte {at} -> {value!r}"
    value = rng.choice([np.nan, np.inf, -np.inf, 1.5, -2.0, 1e30, 3e38])
    packed = struct.pack("<f" if width == 4 else "<d", value)
    out = bytearray(data)
    count = rng.choice([1, 1, 5, 100])
    for _ in range(count):
        at = start + width * rng.randrange(size // width)
        out[at:at + width] = packed
    return bytes(out), f"{count} float samples -> {value}"


# --- corpus text --------------------------------------------------------------------------------
def edit_text(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """What damaged text looks like: NUL bytes, legacy encodings, a cut character, no words at all."""
    at = rng.randrange(len(data) + 1)
    kind = rng.choice(["nul", "binary blob", "cp1252", "cut utf-8", "long line", "no words", "whitespace only",
                       "control chars", "utf-16"])
    if kind == "nul":
        return data[:at] + b"\x00" + data[at:], f"NUL at byte {at}"
    if kind == "binary blob":
        return data[:at] + rng.randbytes(rng.choice([16, 256, 4096])) + data[at:], f"binary blob at {at}"
    if kind == "cp1252":
        return data[:at] + "caf\u00e9 \u201cquoted\u201d".encode("cp1252") + data[at:], f"cp1252 bytes at {at}"
    if kind == "cut utf-8":
        return data[:at] + "東".encode()[:2] + data[at:], f"half a character at {at}"
    if kind == "long line":
        return data[:at] + b"word " * 30000 + data[at:], f"a 150 KB line at {at}"
    if kind == "no words":
        return re.sub(rb"[A-Za-z0-9]", b"", data), "every letter and digit removed"
    if kind == "whitespace only":
        return re.sub(rb"\S", b" ", data), "everything but whitespace blanked"
    if kind == "control chars":
        return bytes(b if rng.random() > 0.1 else rng.randrange(1, 32) for b in data), "control characters sprinkled"
    return data.decode("utf-8", "replace").encode("utf-16"), "re-encoded as UTF-16"


def edit_gzip(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """The gzip header's magic, method and flags, its CRC or size trailer, or a second member."""
    kind = rng.choice(["magic", "method", "flags", "crc", "isize", "second member", "trailing junk"])
    if kind == "magic":
        return b"\x1f\x8c" + data[2:], "gzip magic"
    if kind == "method":
        return data[:2] + bytes([rng.choice([0, 7, 9, 255])]) + data[3:], "gzip method"
    if kind == "flags":
        return data[:3] + bytes([rng.choice([0x04, 0x08, 0x10, 0x02, 0xE0, 0xFF])]) + data[4:], "gzip flags"
    if kind == "crc":
        return data[:-8] + rng.randbytes(4) + data[-4:], "gzip CRC"
    if kind == "isize":
        return data[:-4] + struct.pack("<I", rng.choice([0, 1, 2**32 - 1])), "gzip size trailer"
    if kind == "second member":
        return data + gzip.compress(rng.randbytes(64), mtime=0), "a second member of binary bytes"
    return data + rng.randbytes(rng.choice([1, 8, 100])), "junk after the member"


# --- choosing edits -----------------------------------------------------------------------------
def _structured(fmt: str, name: str):
    """The structure-aware edits that fit this file of this format."""
    if fmt == "corpus":
        return [edit_gzip] if name.endswith(".gz") else [edit_text]
    if fmt in ("word2vec", "vec"):
        return [edit_header, lambda d, r: edit_text_row(d, r, first=1)]
    if fmt == "glove":
        return [lambda d, r: edit_text_row(d, r)]
    if fmt == "word2vec-binary":
        return [edit_header, edit_binary_row]
    if fmt == "tsv":
        if name.startswith("vectors"):
            return [lambda d, r: edit_text_row(d, r, sep=b"\t", has_word=False)]
        return [lambda d, r: edit_text_row(d, r, sep=b"\t"), _metadata_header]
    if fmt == "npy":
        return [edit_npy_header] if name.endswith(".npy") else [lambda d, r: edit_text_row(d, r, sep=b"\t")]
    if fmt == "wav":
        return [edit_wav_header, edit_wav_header, edit_wav_samples]
    if fmt == "flac":
        return [containers.edit_flac]
    if fmt == "ogg":
        return [containers.edit_ogg]
    if fmt == "model":
        # The app reads only the checkpoint; the readable copies beside it get blind edits.
        return ([containers.edit_safetensors, containers.edit_safetensors, hostile.edit_checkpoint_hostile]
                if name.endswith(".safetensors") else list(BLIND))
    if fmt == "session":
        return [containers.edit_session, containers.edit_session, hostile.edit_session_hostile]
    raise ValueError(fmt)


def _metadata_header(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Add or remove the projector's header row, the thing that decides how metadata is read."""
    if rng.random() < 0.5:
        return b"word\n" + data, "metadata header row added"
    return data.partition(b"\n")[2], "first metadata row removed"


HOSTILE_KIND_SHARE = 0.08     # files whose last edit makes one of the set something other than a file


def damage(fmt: str, files: Files, main: str, rng: random.Random) -> tuple[Files, list[str]]:
    """One to three edits, structured (gated on the file still having its structure) or blind;
    then, now and then, one file of the set replaced by a FIFO, a device link, a folder or a loop."""
    files = dict(files)
    done: list[str] = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        name = main if len(files) == 1 or rng.random() < 0.6 else rng.choice(sorted(files))
        data = files[name]
        blind = rng.random() < 0.45 or not data
        edit = rng.choice(BLIND) if blind else rng.choice(_structured(fmt, name))
        try:
            new, what = edit(data, rng)
        except (ValueError, IndexError, TypeError, KeyError, AttributeError, struct.error, UnicodeDecodeError,
                zlib.error, zipfile.BadZipFile, SafetensorError, NotImplementedError, RuntimeError, EOFError,
                OSError, RecursionError):
            # A structured edit on a file an earlier edit already broke: a blind one instead.
            new, what = rng.choice(BLIND)(data, rng)
        files[name] = new
        done.append(f"{name}: {what}")
    if rng.random() < HOSTILE_KIND_SHARE:
        files, what = hostile.edit_file_kind(files, main, rng)
        done.append(what)
    return files, done
