"""Command-line verbs for the Siamese matcher and the masked language model.

    python -m explorer match QUERY.wav --model DIR [-k N]
        the N database items most like the recording, best first, with scores
    python -m explorer contextual DIR --word W "sentence one" "sentence two" ...
        JSON {"word": W, "similarity": [[...], ...]}: cosine similarity of W's vectors across sentences
        (with no sentences: the module's two "chicken" sentences)
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from explorer.cli.run import at_least_one
from models.printable import printable


def add_matching_commands(sub) -> None:
    mp = sub.add_parser("match", help="rank the items of a Siamese matcher's database by likeness to a recording")
    mp.add_argument("query", type=Path, help="the recording (WAV, FLAC or OGG; any rate, mono or stereo)")
    mp.add_argument("--model", type=Path, required=True, help="folder written by 'train siamese'")
    mp.add_argument("-k", type=int, default=5, help="how many matches (default 5)")

    cp = sub.add_parser("contextual", help="a word's contextual-vector similarity across sentences (mlm)")
    cp.add_argument("model", type=Path, help="folder written by 'train mlm'")
    cp.add_argument("sentences", nargs="*", help="sentences containing the word (default: the module's two)")
    # argparse leaves positionals after an option unparsed, so --word also takes the sentences that
    # follow it: "contextual DIR --word W 's1' 's2'" reads as the usage line says
    cp.add_argument("--word", nargs="+", metavar=("W", "SENTENCE"), default=["chicken"],
                    help="the word to compare (default: chicken), then optionally the sentences")


def cmd_match(args) -> int:
    # deferred: Torch, which every other command of the command line can do without (200 MB)
    from models.siamese import audio, model

    at_least_one("-k", args.k)
    matcher = model.load_matcher(args.model)
    query = audio.load_wav(args.query)
    if query.note:
        print(f"note: {printable(query.note)}", file=sys.stderr)
    for rank, (name, score) in enumerate(matcher.match(query.samples, args.k), start=1):
        print(f"{rank}\t{printable(name)}\t{score:.4f}")
    return 0


def cmd_contextual(args) -> int:
    from models.text import mlm         # deferred: Torch, as for cmd_match

    word, sentences = args.word[0], args.sentences + args.word[1:]
    sentences = sentences or list(mlm.CONTEXT_SENTENCES)
    sims = mlm.word_similarity(mlm.load_mlm(args.model), word, sentences)
    print(json.dumps({"word": word.lower(), "sentences": sentences,
                      "similarity": [[round(float(x), 6) for x in row] for row in sims]}))
    return 0


MATCHING_COMMANDS = {"match": cmd_match, "contextual": cmd_contextual}
