"""The command line: the same engine as the window, with a progress bar on stderr.

    python -m explorer                       open the window
    python -m explorer train sgns --out DIR  train and save (see --help of each model)
    python -m explorer neighbours DIR WORD   nearest words with cosine similarities
    python -m explorer warm-up               compile the kernels of a first Train and map (install step)
    python -m explorer vectors convert IN OUT / eval DIR / analogy DIR a b c   (see explorer/cli/vectors.py)
    python -m explorer separate MIX.wav --model DIR --out DIR   two voices apart (see explorer/cli/audio.py)
    python -m explorer match Q.wav --model DIR / contextual DIR --word W ...   (see explorer/cli/matching.py)
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from explorer.cli.audio import AUDIO_COMMANDS, add_audio_commands
from explorer.cli.matching import MATCHING_COMMANDS, add_matching_commands
from explorer.cli.run import at_least_one, ctrl_c_stops, run_with_bar
from explorer.cli.vectors import VECTOR_COMMANDS, add_vector_commands
from explorer.figures import describe_result
from explorer.tuning import tune_commands
from models.core.checkpoint import check_model_folder, load_checkpoint
from models.core.events import relay
from models.core.params import describe, validate
from models.errors import UserError
from models.loading import load_embedding
from models.printable import printable
from models.registry import all_models, check_resumable, get, result_from_checkpoint
from models.text.corpus import DEFAULT_CORPUS, read_corpus_steps
from models.warm_up import ready_kernels


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_config_flags(parser: argparse.ArgumentParser, config_cls, defaults: dict | None = None) -> None:
    """A flag for each of the config's parameters (``--chunk-seconds`` for ``chunk_seconds``) that
    lands in ``cfg_NAME`` only when given (see :func:`given_settings`); the help names the default,
    ``defaults[NAME]`` where a script starts from settings of its own."""
    defaults = defaults or {}
    for p in describe(config_cls):
        if not p.cli:
            continue
        text = p.help.replace("%", "%%")      # argparse formats help with %; "15% of tokens" would crash --help
        # No default in the namespace: only the flags given appear there, so --resume can tell
        # which settings to change and which to keep from the model being continued.
        kwargs = {"type": p.type, "default": argparse.SUPPRESS,
                  "help": f"{text} (default: {defaults.get(p.name, p.default)})"}
        if p.type is bool:
            kwargs = {"action": argparse.BooleanOptionalAction, "default": argparse.SUPPRESS, "help": text}
        elif p.choices:
            kwargs["choices"] = p.choices
        parser.add_argument(_flag(p.name), dest=f"cfg_{p.name}", **kwargs)


def given_settings(args: argparse.Namespace) -> dict:
    """The settings given as flags made by :func:`add_config_flags`, by parameter name."""
    return {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg_")}


class _ModelParser(argparse.ArgumentParser):
    """``train MODEL``'s parser, filled in from the model's spec when it is the model named (to
    parse or to show its help): building every model's flags would import every model module,
    and with them Torch, about 200 MB that training a word model on the CPU never uses."""

    def __init__(self, *args, spec=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec, self.filled = spec, False

    def fill(self) -> None:
        if self.filled:
            return
        self.filled, spec = True, self.spec
        self.description = spec.description
        if spec.uses_corpus:
            self.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                              help="plain-text or .gz file, one sentence or document per line, or a folder of .txt "
                                   "and .txt.gz files (default: bundled corpus)")
        self.add_argument("--out", type=Path, required=True, help="folder for the model, vectors and run.json")
        self.add_argument("--force", action="store_true",
                          help="replace --out even if it holds files that are not a model's")
        if spec.resumable:
            self.add_argument("--resume", type=Path, metavar="DIR",
                              help="continue the model saved in DIR (stopped early, or for more --epochs or "
                                   "--steps); its settings are kept unless given here")
        add_config_flags(self, spec.config_cls)

    def parse_known_args(self, args=None, namespace=None):
        self.fill()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self.fill()
        return super().format_help()

    def format_usage(self) -> str:
        self.fill()
        return super().format_usage()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="explorer", description="Embedding Explorer: train and explore embeddings.")
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="train a model and save it into a folder")
    models = train.add_subparsers(dest="model", required=True, metavar="MODEL", parser_class=_ModelParser)
    for spec in all_models():
        models.add_parser(spec.name, help=spec.label, spec=spec)
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
    check_model_folder(args.out, args.force)     # before any reading or training: none of it is lost
    spec = get(args.model)
    given = given_settings(args)
    resume = None
    if getattr(args, "resume", None) is not None:
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
    vectors = load_embedding(args.model).vectors
    word = args.word if args.word in vectors else args.word.lower()     # vocabularies are mostly lower case
    for word, sim in vectors.nearest(word, at_least_one("-k", args.k)):
        print(f"{printable(word)}\t{sim:.4f}")
    return 0


def cmd_warm_up(args) -> int:
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
        from explorer.window.app import run_gui      # deferred: the window's Qt is never loaded for a command

        return run_gui()
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return 2
    tune_commands()
    try:
        return COMMANDS[args.command](args)
    except UserError as e:
        print(f"error: {printable(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
