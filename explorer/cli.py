"""The command line: the same engine as the window, with a progress bar on stderr.

    python -m explorer                       open the window
    python -m explorer train sgns --out DIR  train and save (see --help of each model)
    python -m explorer neighbours DIR WORD   nearest words with cosine similarities
    python -m explorer warm-up               compile the kernels of a first Train and map (install step)
    python -m explorer vectors convert IN OUT / eval DIR / analogy DIR a b c   (see explorer/cli_vectors.py)
    python -m explorer separate MIX.wav --model DIR --out DIR   two voices apart (see explorer/cli_audio.py)
    python -m explorer match Q.wav --model DIR / contextual DIR --word W ...   (see explorer/cli_matching.py)
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import signal
import sys
import threading
import time
from pathlib import Path

from explorer.cli_audio import AUDIO_COMMANDS, add_audio_commands
from explorer.cli_matching import MATCHING_COMMANDS, add_matching_commands
from explorer.cli_vectors import VECTOR_COMMANDS, add_vector_commands
from explorer.figures import describe_result
from models.core.events import STOP, Progress, relay
from models.core.params import describe, validate
from models.errors import UserError
from models.printable import printable
from models.registry import all_models, check_resumable, get
from models.text.corpus import DEFAULT_CORPUS


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_config_flags(parser: argparse.ArgumentParser, config_cls) -> None:
    for p in describe(config_cls):
        if not p.cli:
            continue
        text = p.help.replace("%", "%%")      # argparse formats help with %; "15% of tokens" would crash --help
        # No default in the namespace: only the flags given appear there, so --resume can tell
        # which settings to change and which to keep from the model being continued.
        kwargs = {"type": p.type, "default": argparse.SUPPRESS, "help": f"{text} (default: {p.default})"}
        if p.type is bool:
            kwargs = {"action": argparse.BooleanOptionalAction, "default": argparse.SUPPRESS, "help": text}
        elif p.choices:
            kwargs["choices"] = p.choices
        parser.add_argument(_flag(p.name), dest=f"cfg_{p.name}", **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="explorer", description="Embedding Explorer: train and explore embeddings.")
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="train a model and save it into a folder")
    models = train.add_subparsers(dest="model", required=True, metavar="MODEL")
    for spec in all_models():
        mp = models.add_parser(spec.name, help=spec.label, description=spec.description)
        if spec.uses_corpus:
            mp.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                            help="plain-text or .gz file, one sentence or document per line, or a folder of .txt and "
                                 ".txt.gz files (default: bundled corpus)")
        mp.add_argument("--out", type=Path, required=True, help="folder for the model, vectors and run.json")
        mp.add_argument("--force", action="store_true",
                        help="replace --out even if it holds files that are not a model's")
        if spec.resumable:
            mp.add_argument("--resume", type=Path, metavar="DIR",
                            help="continue the model saved in DIR (stopped early, or for more --epochs or "
                                 "--steps); its settings are kept unless given here")
        _add_config_flags(mp, spec.config_cls)
    nb = sub.add_parser("neighbours", help="print the nearest words of a word with cosine similarities")
    nb.add_argument("model", type=Path, help="model folder written by 'train'")
    nb.add_argument("word")
    nb.add_argument("-k", type=int, default=10, help="how many neighbours (default 10)")
    sub.add_parser("warm-up", help="compile the kernels a first Train and a first map need into numba's "
                                    "on-disk cache (the install step does this once)")
    add_vector_commands(sub)
    add_audio_commands(sub)
    add_matching_commands(sub)
    return parser


@contextlib.contextmanager
def ctrl_c_stops():
    """While in the block, a first Ctrl+C sets the yielded event instead of raising, so the trainer
    can be told to stop and return the model trained so far; a second Ctrl+C quits at once."""
    asked = threading.Event()

    def first(signum, frame):
        asked.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    old = signal.signal(signal.SIGINT, first)
    try:
        yield asked
    finally:
        signal.signal(signal.SIGINT, old)


def run_with_bar(gen, desc: str, stop: threading.Event | None = None):
    """Drive a progress generator with a tqdm bar on stderr; returns the generator's result.
    Once ``stop`` is set, STOP is sent at each event, and the generator returns what it has."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0     # no monitor thread: the bar is refreshed by our own updates
    bar, kind = None, None
    try:
        while True:
            try:
                ev = gen.send(STOP if stop is not None and stop.is_set() else None)
            except StopIteration as end:
                return end.value
            if not isinstance(ev, Progress):
                continue
            if bar is not None and kind[1] == ev.unit and kind[0] != ev.total_steps and ev.step > 0:
                kind = (ev.total_steps, ev.unit)      # the same stage, re-planned (a time budget)
                bar.total = ev.total_steps
            if kind != (ev.total_steps, ev.unit):     # a new stage: reading, then training
                kind = (ev.total_steps, ev.unit)
                if bar is not None:
                    bar.close()
                bar = tqdm(total=ev.total_steps, unit=ev.unit, unit_scale=True, desc=printable(ev.message or desc),
                           file=sys.stderr, dynamic_ncols=True, mininterval=0.5,
                           disable=None)  # a bar on a terminal; nothing in logs and pipes
            bar.n = ev.step
            post = {}
            if ev.epochs:
                post["epoch"] = f"{ev.epoch}/{ev.epochs}"
            if ev.loss == ev.loss:
                post["loss"] = f"{ev.loss:.3f}"
            bar.set_postfix(post, refresh=False)
            bar.update(0)
    finally:
        if bar is not None:
            bar.close()


def at_least_one(flag: str, n: int) -> int:
    """A count the user gave (-k): 0 or less would print nothing and look like success."""
    if n < 1:
        raise UserError(f"{flag} must be at least 1, not {n}.", f"Give a positive number, e.g. {flag} 10.")
    return n


def _say_at_first_epoch(gen, text: str):
    """``gen``'s events, with ``text`` written to stderr when the first training event arrives:
    after the corpus stages, whose errors must stay one line."""
    said = []

    def watch(ev):
        if not said and getattr(ev, "epochs", 0):
            print(text, file=sys.stderr, flush=True)
            said.append(True)
        return ev
    return relay(gen, watch)


def cmd_train(args) -> int:
    from models.core.checkpoint import check_model_folder
    from models.text.corpus import read_corpus_steps

    check_model_folder(args.out, args.force)     # before any reading or training: none of it is lost
    spec = get(args.model)
    given = {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg_")}
    resume = None
    if getattr(args, "resume", None) is not None:
        from models.core.checkpoint import load_checkpoint
        from models.registry import result_from_checkpoint

        resume = result_from_checkpoint(load_checkpoint(args.resume))
        config = dataclasses.replace(resume.config, **given) if resume.model == spec.name else spec.config_cls(**given)
    else:
        config = spec.config_cls(**given)
    validate(config)      # before the corpus is read: a typo costs no waiting
    if resume is not None:
        check_resumable(spec, resume, config)
    corpus = run_with_bar(read_corpus_steps(args.corpus), "reading corpus") if spec.uses_corpus else None
    for note in corpus.notes if corpus else []:
        print(f"note: {printable(note)}", file=sys.stderr)
    gen = spec.train(config, corpus, resume=resume) if resume is not None else spec.train(config, corpus)
    with ctrl_c_stops() as stopped:
        hinted = _say_at_first_epoch(gen, f"training {spec.name}: Ctrl+C stops and saves the model trained so far")
        model = run_with_bar(hinted, f"training {spec.name}", stop=stopped)
    model.save(args.out, force=args.force)
    if stopped.is_set():
        again = (f"; continue it with: python -m explorer train {spec.name} --resume {printable(args.out)} --out DIR"
                 if spec.resumable else "")
        print(f"interrupted: saved the model trained so far to {printable(args.out)}{again}", file=sys.stderr)
        return 130
    if hasattr(model, "summary"):       # models that are not word vectors say what matters for them
        print(f"{model.summary()}; saved to {printable(args.out)}", file=sys.stderr)
        return 0
    print(f"{spec.label}: {describe_result(model.stats)}; saved to {printable(args.out)}", file=sys.stderr)
    return 0


def cmd_neighbours(args) -> int:
    from models.text.embedding import load_embedding

    vectors = load_embedding(args.model).vectors
    word = args.word if args.word in vectors else args.word.lower()     # vocabularies are mostly lower case
    for word, sim in vectors.nearest(word, at_least_one("-k", args.k)):
        print(f"{printable(word)}\t{sim:.4f}")
    return 0


def cmd_warm_up(args) -> int:
    from models.warm_up import ready_kernels

    t0 = time.perf_counter()
    print("Compiling the kernels of a first Train and a first map (once; later starts load them)...",
          file=sys.stderr, flush=True)
    run_with_bar(ready_kernels(), "Warm-up")
    print(f"Ready in {time.perf_counter() - t0:.1f} s.", file=sys.stderr)
    return 0


COMMANDS = {"train": cmd_train, "neighbours": cmd_neighbours, "warm-up": cmd_warm_up, **VECTOR_COMMANDS,
            **AUDIO_COMMANDS, **MATCHING_COMMANDS}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        from explorer.app import run_gui

        return run_gui()
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except UserError as e:
        print(f"error: {printable(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
