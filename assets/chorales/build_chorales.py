#!/usr/bin/env python3
"""Rebuild ``assets/chorales/chorales.json.gz``: the soprano and bass lines of the Bach chorales
that the Siamese matching database renders.

The notes come from the MusicXML chorales (``bach/*.mxl``) in the corpus that ships inside the
music21 wheel; SOURCE.md beside this file names the encodings and their licence. Only a developer
runs this, once, with music21 installed (``pip install music21``); the app then reads the small
bundled file and needs no music21. music21 itself is never imported: its corpus folder is found
with ``importlib.util.find_spec`` and the MusicXML read with the standard library (importing
music21 is slow and its parser caches scores as pickles).

Usage (standard library only)::

    python build_chorales.py build              # write chorales.json.gz beside this file
    python build_chorales.py build --src DIR    # from another folder of *.mxl files
    python build_chorales.py stats chorales.json.gz

What is kept, per chorale (sorted by file name, as music21 lists them): the file's stem as name,
and for the soprano and the bass part (found by part name, else the first and last part) the
notes of the first voice as ``[MIDI pitch, start, length]``, start and length in quarter-note
beats from the first bar, tied notes merged, chords and other voices skipped. The whole chorale is
kept, so any item length the app offers can be cut from it. Files with no MusicXML inside (one
in music21 10.5) or with no notes are left out. The gzip header carries no file name and no time
stamp, so a rebuild from the same corpus is byte-identical.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
import json
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "chorales.json.gz"
FORMAT = 1

_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def music21_bach_folder() -> Path:
    spec = importlib.util.find_spec("music21")
    if spec is None or spec.origin is None:
        sys.exit("music21 is not installed: pip install music21 (only this script needs it).")
    folder = Path(spec.origin).parent / "corpus" / "bach"
    if not folder.is_dir():
        sys.exit(f"{folder} is missing: this music21 was installed without its corpus.")
    return folder


def music21_version() -> str:
    from importlib.metadata import version

    try:
        return version("music21")
    except Exception:   # a source checkout with no metadata
        return "unknown"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_mxl(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.endswith(".xml") and not n.startswith("META-INF")]
        if not names:
            raise ValueError(f"{path.name} holds no MusicXML")
        return ET.fromstring(z.read(names[0]))


def part_notes(part: ET.Element) -> list[tuple[float, float, float]]:
    """(pitch, start, length) of the first voice of a MusicXML part, in quarter-note beats, ties merged."""
    notes: list[tuple[float, float, float]] = []
    divisions, t = 1.0, 0.0
    for measure in part:
        if _local(measure.tag) != "measure":
            continue
        for el in measure:
            tag = _local(el.tag)
            if tag == "attributes":
                d = el.find("divisions")
                if d is not None and d.text:
                    divisions = float(d.text)
            elif tag in ("backup", "forward"):
                d = float(el.findtext("duration", "0")) / divisions
                t += d if tag == "forward" else -d
            elif tag == "note":
                if el.find("grace") is not None:
                    continue
                d = float(el.findtext("duration", "0")) / divisions
                if el.find("chord") is not None or el.findtext("voice", "1") != "1":
                    if el.find("chord") is None:
                        t += d
                    continue
                pitch = el.find("pitch")
                if pitch is not None:
                    midi = (12 * (int(pitch.findtext("octave", "4")) + 1) + _STEPS[pitch.findtext("step", "C")]
                            + float(pitch.findtext("alter", "0")))
                    tied = any(x.get("type") == "stop" for x in el.findall("tie"))
                    if tied and notes and notes[-1][0] == midi and abs(notes[-1][1] + notes[-1][2] - t) < 1e-6:
                        p, s, length = notes.pop()
                        notes.append((midi, s, length + d))
                    else:
                        notes.append((midi, t, d))
                t += d
    return notes


def read_chorale(path: Path) -> dict:
    root = read_mxl(path)
    names = {sp.get("id"): (sp.findtext("part-name") or "").lower() for sp in root.iter("score-part")}
    parts = list(root.iter("part"))
    if not parts:
        raise ValueError(f"{path.name} has no parts")

    def pick(word, fallback):
        for p in parts:
            if word in names.get(p.get("id"), ""):
                return p
        return fallback

    soprano = pick("soprano", parts[0])
    bass = pick("bass", parts[-1])
    out = {"name": path.stem, "soprano": [_compact(n) for n in part_notes(soprano)],
           "bass": [_compact(n) for n in part_notes(bass)] if bass is not soprano else []}
    if not out["soprano"] and not out["bass"]:
        raise ValueError(f"{path.name} has no notes")
    return out


def _compact(note: tuple[float, float, float]) -> list:
    # whole numbers as ints keep the file small; the reader turns every value back into a float,
    # and JSON writes the others with repr, which reads back to the identical float
    return [int(x) if float(x).is_integer() else x for x in note]


def build(src: Path, out: Path) -> None:
    files = sorted(src.glob("*.mxl"))
    chorales, skipped = [], []
    for path in files:
        try:
            chorales.append(read_chorale(path))
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as e:
            skipped.append(f"{path.name} ({e})")
    doc = {"format": FORMAT, "source": f"music21 {music21_version()} corpus/bach/*.mxl",
           "units": "note = [MIDI pitch, start, length]; start and length in quarter-note beats",
           "chorales": chorales}
    raw = json.dumps(doc, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as z:
        z.write(raw)
    out.write_bytes(buf.getvalue())
    print(f"{len(chorales)} chorales from {len(files)} files -> {out} ({out.stat().st_size:,} bytes, "
          f"sha256 {hashlib.sha256(buf.getvalue()).hexdigest()[:16]})")
    for s in skipped:
        print("  left out:", s)


def stats(path: Path) -> None:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        doc = json.load(f)
    ch = doc["chorales"]
    notes = sum(len(c["soprano"]) + len(c["bass"]) for c in ch)
    beats = [max((s + n for _, s, n in c["soprano"] + c["bass"]), default=0) for c in ch]
    print(f"{doc['source']}: {len(ch)} chorales, {notes:,} notes, {min(beats):g} to {max(beats):g} beats long")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--src", type=Path, default=None, help="folder of *.mxl (default: music21's corpus/bach)")
    b.add_argument("--out", type=Path, default=OUT)
    s = sub.add_parser("stats")
    s.add_argument("file", type=Path, nargs="?", default=OUT)
    args = ap.parse_args()
    if args.cmd == "build":
        build(args.src or music21_bach_folder(), args.out)
    else:
        stats(args.file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
