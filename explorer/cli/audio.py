"""Command-line verb for audio: split a two-voice recording with a deep clustering model.

    python -m explorer separate MIX.wav --out DIR [--model DIR] [--reference A.wav B.wav]

Without ``--model``, the bundled model (``assets/separation``, trained on many voices) is used.
Any WAV, FLAC or Ogg file is accepted: channels are mixed down (said as a note) and the rate
converted to the model's, a block at a time; a long recording is separated in chunks with a
progress bar, so memory follows the output, not the file (an hour at 44.1 kHz in well under 2 GB).
The two voices are written as ``<mix>_source1.wav`` and ``<mix>_source2.wav``. With the two reference
voices, the sources are written in the references' order and ``metrics.json`` holds SI-SDR and
SDR per source, their improvements over the mixture, and the ideal binary / ratio mask ceilings.
What reading a recording had to change (samples beyond [-1, 1] clipped, a WAV cut short), or that
it is silent, is said on stderr as ``note: ...``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from explorer.cli.run import run_with_bar
from models.audio import wav
from models.printable import printable


def add_audio_commands(sub) -> None:
    sp = sub.add_parser("separate", help="split a two-voice recording into two WAV files (deep clustering)")
    sp.add_argument("mixture", type=Path, help="the recording (WAV, any rate, mono or stereo)")
    sp.add_argument("--model", type=Path, help="folder written by 'train dc' (default: the bundled model)")
    sp.add_argument("--out", type=Path, required=True, help="folder for the separated WAVs (and metrics.json)")
    sp.add_argument("--reference", type=Path, nargs=2, metavar=("A.wav", "B.wav"),
                    help="the two voices alone, to score the separation against")


def cmd_separate(args) -> int:
    # deferred: Torch, which every other command of the command line can do without (200 MB)
    from models.audio import deep_clustering, explore

    # The bundled model's folder is read when the command runs, so that another can stand in for it.
    args.model = args.model or deep_clustering.PRETRAINED
    wav.check_outputs([args.out / f"{args.mixture.stem}_source{k}.wav" for k in (1, 2)] + [args.out / "metrics.json"])
    model = deep_clustering.load_model(args.model)
    rate = model.sample_rate
    recordings = [wav.read_mono(p, rate, wav.MAX_MIXTURE_SECONDS) for p in [args.mixture, *(args.reference or [])]]
    for rec in recordings:
        if rec.note:
            print(f"note: {printable(rec.note)}", file=sys.stderr)
    mixture = recordings[0].samples
    refs = [rec.samples for rec in recordings[1:]] if args.reference else None
    sep = run_with_bar(model.separate_steps(mixture), "separating")
    sources = sep.sources
    report = None
    if refs is not None:
        n = min(len(mixture), *(len(r) for r in refs))
        # the estimates written are the ones scored (separating the cut mixture again could
        # order them differently); SDR only where BSS Eval's cost allows
        scores = deep_clustering.evaluate_with_oracles(sources[:, :n], np.stack([r[:n] for r in refs]), mixture[:n],
                                                       model.config.stft(), with_sdr=n <= explore.SDR_SECONDS * rate)
        sources = sources[scores["permutation"]]          # source k goes with reference k
        report = _report(scores, args)
    outputs = {args.out / f"{args.mixture.stem}_source{k}.wav": wav.wav_bytes(source, rate)
               for k, source in enumerate(sources, 1)}
    if report is not None:
        outputs[args.out / "metrics.json"] = json.dumps(report, indent=2).encode()
    wav.write_set(outputs)
    names = [p.name for p in outputs]
    if report is not None:
        sdr = f"; SDR improvement {report['sdr_improvement']:.1f} dB" if "sdr_improvement" in report else ""
        print(f"SI-SDR {report['si_sdr']:.1f} dB, improvement {report['si_sdr_improvement']:.1f} dB "
              f"(ideal binary mask {report['ibm_si_sdr_improvement']:.1f} dB){sdr}", file=sys.stderr)
    print(f"wrote {printable(', '.join(names))} to {printable(args.out)}", file=sys.stderr)
    return 0


def _report(scores: dict, args) -> dict:
    """metrics.json: the headline means (dB) at the top, then every figure per source."""
    top = ("si_sdr", "si_sdr_improvement", "sdr", "sdr_improvement", "mixture_si_sdr", "mixture_sdr")
    out = {k: scores[k] for k in top if k in scores}          # no SDR for a long recording
    for oracle in ("ibm", "irm"):
        for k in ("si_sdr", "si_sdr_improvement", "sdr", "sdr_improvement"):
            if k in scores[oracle]:
                out[f"{oracle}_{k}"] = scores[oracle][k]
    out["sources"] = [{"file": f"{args.mixture.stem}_source{j + 1}.wav", "reference": str(ref),
                       **s, "ibm": scores["ibm"]["sources"][j], "irm": scores["irm"]["sources"][j]}
                      for j, (s, ref) in enumerate(zip(scores["sources"], args.reference))]
    out.update(mixture=str(args.mixture), model=str(args.model), units="dB")
    return out


AUDIO_COMMANDS = {"separate": cmd_separate}
