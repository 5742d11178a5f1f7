"""Command-line verbs for word-vector files: convert between formats, evaluate, answer analogies.

    python -m explorer vectors convert IN OUT [--from FMT] [--to FMT]
    python -m explorer eval MODEL_OR_FILE [--analogies FILE] [--pairs FILE ...]   JSON on stdout
    python -m explorer analogy MODEL_OR_FILE a b c [-k N] [--method 3cosadd|3cosmul]

MODEL_OR_FILE is a folder written by ``train`` or any vector file the readers understand.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from explorer.cli_run import at_least_one, run_with_bar
from models.errors import UserError
from models.loading import open_vectors_steps
from models.printable import printable
from models.vectors.evaluation import (DEFAULT_ANALOGIES, DEFAULT_PAIRS, DEFAULT_RESTRICT, METHODS, analogy,
                                       evaluate_analogies_steps, evaluate_word_pairs)
from models.vectors.formats import ALIASES, EXTENSIONS, NAMES, check_destination, write_vectors_steps

FORMAT_CHOICES = ["auto", *NAMES, *ALIASES]


def add_vector_commands(sub) -> None:
    vec = sub.add_parser("vectors", help="work with word-vector files")
    verbs = vec.add_subparsers(dest="vectors_command", required=True, metavar="VERB")
    conv = verbs.add_parser("convert", help="convert between vector formats",
                            description=f"Formats: {', '.join(NAMES)}. 'auto' reads the format from the "
                                        f"file (in) or its name (out: {' '.join(EXTENSIONS)}, a folder is tsv).")
    conv.add_argument("source", type=Path, help="vector file, projector folder, or model folder")
    conv.add_argument("target", type=Path, help="file (or folder for tsv) to write")
    conv.add_argument("--from", dest="from_fmt", default="auto", choices=FORMAT_CHOICES, metavar="FMT")
    conv.add_argument("--to", dest="to_fmt", default="auto", choices=FORMAT_CHOICES, metavar="FMT")

    ev = sub.add_parser("eval", help="analogy accuracy and word-pair correlations, as JSON")
    ev.add_argument("source", type=Path, help="model folder or vector file")
    ev.add_argument("--analogies", type=Path, default=DEFAULT_ANALOGIES,
                    help="questions-words file (default: the bundled Google analogies)")
    ev.add_argument("--pairs", type=Path, nargs="+", default=list(DEFAULT_PAIRS),
                    help="word-pair files (default: the bundled WordSim353 and SimLex-999)")
    ev.add_argument("--method", choices=METHODS, default="3cosadd")
    ev.add_argument("--restrict", type=int, default=DEFAULT_RESTRICT,
                    help=f"use only the most frequent N words (default {DEFAULT_RESTRICT:,}; 0 for all)")
    ev.add_argument("--failures", action="store_true", help="list every wrong analogy answer in the JSON")
    ev.add_argument("--from", dest="from_fmt", default="auto", choices=FORMAT_CHOICES, metavar="FMT")

    an = sub.add_parser("analogy", help="a is to b as c is to ?")
    an.add_argument("source", type=Path, help="model folder or vector file")
    an.add_argument("a")
    an.add_argument("b")
    an.add_argument("c")
    an.add_argument("-k", type=int, default=10, help="how many answers (default 10)")
    an.add_argument("--method", choices=METHODS, default="3cosadd")
    an.add_argument("--from", dest="from_fmt", default="auto", choices=FORMAT_CHOICES, metavar="FMT")


def _load(path: Path, fmt: str):
    return run_with_bar(open_vectors_steps(path, fmt), f"reading {path.name}")


def cmd_vectors(args) -> int:
    check_destination(args.target, args.to_fmt)     # a bad name or destination fails before a long read
    vectors = _load(args.source, args.from_fmt)
    written = run_with_bar(write_vectors_steps(vectors, args.target, args.to_fmt), f"writing {args.target.name}")
    print(f"{len(vectors):,} words x {vectors.dim} dimensions written to {printable(', '.join(map(str, written)))}",
          file=sys.stderr)
    return 0


def cmd_eval(args) -> int:
    if args.restrict < 0:
        raise UserError(f"--restrict must be 0 (all words) or more, not {args.restrict}.",
                        "Give the number of most frequent words to use, e.g. --restrict 30000.")
    vectors = _load(args.source, args.from_fmt)
    restrict = args.restrict or None
    report = run_with_bar(evaluate_analogies_steps(vectors, args.analogies, args.method, restrict), "analogies")
    pairs = {p.name: evaluate_word_pairs(vectors, p, restrict=restrict).to_dict() for p in args.pairs}
    out = {"vectors": str(args.source), "words": len(vectors), "dimensions": vectors.dim,
           "analogies": report.to_dict(failures=args.failures), "pairs": pairs}
    print(json.dumps(out, indent=2))      # ASCII: a word's control or bidi characters stay escaped
    return 0


def _known(vectors, word: str) -> str:
    """The word as typed, else in lower case (vocabularies are usually lower-cased)."""
    return word if word in vectors or word.lower() not in vectors else word.lower()


def cmd_analogy(args) -> int:
    k = at_least_one("-k", args.k)
    vectors = _load(args.source, args.from_fmt)
    a, b, c = (_known(vectors, w) for w in (args.a, args.b, args.c))
    for word, score in analogy(vectors, a, b, c, k=k, method=args.method):
        print(f"{printable(word)}\t{score:.4f}")
    return 0


VECTOR_COMMANDS = {"vectors": cmd_vectors, "eval": cmd_eval, "analogy": cmd_analogy}
