"""Separation of voices the model never heard, beside the ideal binary and ratio masks.

    .venv/bin/python tests/benchmarks/bench_separation.py [--model DIR] [--scratch-minutes 10]

Three test sets of two-voice mixtures at -5..+5 dB:
  (a) the demo test split: eSpeak voices kept out of every training set;
  (b) held-out synthesizers: Festival voices no training utterance comes from (one of them HTS,
      a kind of synthesis absent from training);
  (c) real recorded speech of speakers absent from training (tools/separation_data.py);
  (d) recordings of about ten more people, over the air and in rooms (as many mixtures as their
      pieces allow, each piece used once).
For each: SI-SDR improvement per source with the permutation solved, its mean, the same for the
ideal binary mask (IBM) and ideal ratio mask (IRM) of the model's STFT, the model's share of the
IBM's improvement and the worst single mixture (mean of its two sources). Then the time to
separate one minute of 16 kHz audio from its file, and, with ``--scratch-minutes``, a model trained
from scratch with the window's default settings for that long, scored on (a).

``--diagnose`` asks where the model falls short: k-means against the masks around the answer's own
centres (if those are no better, the embeddings hold the model back, not the clustering), and the
recorded training speakers, mixed from the sentences kept out of training for validation (if those
score no better than unseen speakers, more of the same speakers will not help).

``--training-memory`` instead reports only the time and peak memory of a one-batch training run on
the broad data (what loading its 22 hours costs).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from models.audio import broad, demo, metrics, wav  # noqa: E402
from models.audio import deep_clustering as dc  # noqa: E402
from models.audio.features import apply_masks, ideal_binary_mask, stft  # noqa: E402
from models.core.events import drain  # noqa: E402

MIXTURES = 40


def test_sets() -> dict[str, list[demo.Mixture]]:
    data = drain(demo.load_steps(dc.DeepClusteringConfig().demo_spec()))
    return {"(a) demo test voices": data.test,
            "(b) held-out synthesizers": broad.fixed_mixtures(broad.load_bank("heldout_synth"), MIXTURES, 1),
            "(c) held-out real speech": broad.fixed_mixtures(broad.load_bank("heldout_real"), MIXTURES, 2),
            "(d) other recordings": broad.fixed_mixtures(broad.load_bank("heldout_recordings"), MIXTURES, 3)}


def score(model: dc.DeepClusteringModel, mixtures: list[demo.Mixture]) -> dict:
    rows = [model.evaluate(m.mixture, m.sources, with_sdr=False) for m in mixtures]
    ours = np.array([r["si_sdr_improvement"] for r in rows])
    ibm = np.array([r["ibm"]["si_sdr_improvement"] for r in rows])
    irm = np.array([r["irm"]["si_sdr_improvement"] for r in rows])
    per_source = np.array([s["si_sdr_improvement"] for r in rows for s in r["sources"]])
    return {"n": len(rows), "ours": ours.mean(), "ibm": ibm.mean(), "irm": irm.mean(),
            "share": ours.mean() / ibm.mean(), "worst": ours.min(), "worst_source": per_source.min()}


def print_table(name: str, results: dict[str, dict]) -> None:
    print(f"\n{name}")
    print(f"{'test set':28s} {'n':>3s} {'model':>7s} {'IBM':>7s} {'IRM':>7s} {'share':>6s} {'worst mix':>9s} "
          f"{'worst src':>9s}")
    for label, r in results.items():
        print(f"{label:28s} {r['n']:3d} {r['ours']:7.2f} {r['ibm']:7.2f} {r['irm']:7.2f} {r['share']:6.0%} "
              f"{r['worst']:9.2f} {r['worst_source']:9.2f}", flush=True)


def true_centres(model: dc.DeepClusteringModel, mixtures: list[demo.Mixture]) -> float:
    """Mean SI-SDR improvement of masks around the answer's own centres: each voice's mean embedding
    (as k-means sees them) over the audible bins where it is the louder, in place of k-means'."""
    cfg, gains = model.config.stft(), []
    for m in mixtures:
        n = m.sources.shape[1]
        mix = m.mixture[:n]
        spec, v, _, active = model.heads(mix)
        clustered = model.clustered(spec, v)
        louder = ideal_binary_mask(stft(torch.from_numpy(m.sources), cfg))[0] > 0.5
        first, second = active & louder, active & ~louder
        if not first.any() or not second.any():
            continue        # one voice is nowhere the louder: no centre to give
        masks, _ = model.masks_around(clustered, torch.stack([clustered[first].mean(0), clustered[second].mean(0)]))
        est = apply_masks(spec, masks, cfg, n).numpy()
        gains.append(metrics.evaluate(est, m.sources, mix, with_sdr=False)["si_sdr_improvement"])
    return float(np.mean(gains))


def recorded_training_speakers(n: int = 30) -> list[demo.Mixture]:
    """Mixtures of the recorded people the model trained on (Asterisk's, KDE's, Tux Paint's and the
    actors of both games: broad.RECORDED), from the utterances kept out of training for validation."""
    _, valid = broad.split_validation(broad.load_bank("train"))
    recorded = broad.recorded(valid, broad.speaker_names("train"))
    return broad.fixed_mixtures(broad.subset(valid, np.flatnonzero(recorded)), n, 5)


def diagnose(model: dc.DeepClusteringModel, sets: dict[str, list[demo.Mixture]], scores: dict[str, dict]) -> None:
    print("\nk-means against the answer's own centres, dB")
    print(f"{'test set':28s} {'k-means':>8s} {'centres':>8s} {'IBM':>7s}")
    for label, mixtures in sets.items():
        r = scores[label]
        print(f"{label:28s} {r['ours']:8.2f} {true_centres(model, mixtures):8.2f} {r['ibm']:7.2f}", flush=True)
    print_table("recorded people the model trained on, sentences it did not",
                {"Asterisk, KDE, Tux Paint, games": score(model, recorded_training_speakers())})


def minute_at_16k(model: dc.DeepClusteringModel, mixtures: list[demo.Mixture]) -> float:
    """Seconds from a one-minute 16 kHz WAV on disk to two separated waveforms."""
    wave = np.concatenate([m.mixture for m in mixtures])
    wave = np.tile(wave, -(-60 * 8000 // len(wave)))[:60 * 8000]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "minute.wav"
        soundfile.write(str(path), wav.resample(wave, 8000, 16000), 16000, subtype="PCM_16")
        t = time.perf_counter()
        model.separate(wav.read_mono(path, model.sample_rate).samples)
        return time.perf_counter() - t


def long_recording(model_dir: Path, minutes: float, mixtures: list[demo.Mixture]) -> tuple[float, float, float]:
    """(seconds, peak resident GB, file GB) of `explorer separate` on a 44.1 kHz stereo 16-bit WAV of
    ``minutes``, in a child process so its peak memory is its own."""
    import resource
    import subprocess

    wave = np.concatenate([m.mixture for m in mixtures])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.wav"
        loop = wav.resample(wave, 8000, 44100)
        with soundfile.SoundFile(str(path), "w", 44100, 2, subtype="PCM_16") as f:
            total = int(minutes * 60 * 44100)
            while total > 0:
                part = loop[:total]
                f.write(np.stack([part, 0.8 * part], 1))
                total -= len(part)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "explorer", "separate", str(path), "--model", str(model_dir),
                        "--out", str(Path(tmp) / "out")], check=True, cwd=Path(__file__).resolve().parents[2])
        seconds = time.perf_counter() - t
        size = path.stat().st_size / 1e9
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6, size


def training_memory(share: float = 0.7) -> tuple[float, float]:
    """(seconds, peak resident GB) of `explorer train dc --data broad` for one batch, in a child process
    that reports its own peak: reading the demo and broad data, the draw odds, each utterance's level,
    the network, a step, validation, the test scoring and the save."""
    import subprocess

    code = ("import resource, runpy, sys\n"
            "sys.argv = ['explorer'] + sys.argv[1:]\n"
            "try:\n    runpy.run_module('explorer', run_name='__main__')\n"
            "except SystemExit as e:\n    if e.code:\n        raise\n"
            "print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code, "train", "dc", "--data", "broad", "--recorded-share",
                              str(share), "--steps", "1", "--out", str(Path(tmp) / "dc")], check=True,
                             capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2]).stdout
        seconds = time.perf_counter() - t
    return seconds, float(out.split()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=dc.PRETRAINED)
    ap.add_argument("--scratch-minutes", type=float, default=0.0)
    ap.add_argument("--long-minutes", type=float, default=0.0,
                    help="also separate a 44.1 kHz stereo recording this long and report time and peak memory")
    ap.add_argument("--diagnose", action="store_true",
                    help="also compare k-means with the answer's own centres, and score recorded training speakers")
    ap.add_argument("--training-memory", action="store_true",
                    help="only report the time and peak memory of a one-batch training run on the broad data")
    args = ap.parse_args(argv)
    if args.training_memory:
        seconds, peak = training_memory()
        print(f"train dc --data broad, one batch: {seconds:.0f} s, peak resident memory {peak:.2f} GB")
        return 0
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    sets = test_sets()
    model = dc.DeepClusteringModel.load(args.model)
    print(f"model: {args.model} ({model.config.layers}x{model.config.hidden} BLSTM, "
          f"{model.stats.get('seconds', 0) / 60:.0f} min of training)")
    scores = {label: score(model, mixtures) for label, mixtures in sets.items()}
    print_table("SI-SDR improvement, dB (mean over mixtures of the two sources' mean)", scores)
    if model.net.mask is not None:
        head, model.net.mask = model.net.mask, None     # the same embeddings, clustered by k-means instead
        print_table("the same network without its mask head: k-means on the embeddings",
                    {label: score(model, mixtures) for label, mixtures in sets.items()})
        model.net.mask = head
    if args.diagnose:
        diagnose(model, sets, scores)
    print(f"\none minute of 16 kHz audio, file to separated voices: {minute_at_16k(model, sets['(a) demo test voices']):.2f} s")
    if args.long_minutes:
        seconds, peak, size = long_recording(args.model, args.long_minutes, sets["(a) demo test voices"])
        print(f"{args.long_minutes:g} min at 44.1 kHz stereo ({size:.2f} GB file): {seconds:.0f} s, "
              f"peak resident memory {peak:.2f} GB")
    if args.scratch_minutes:
        config = replace(dc.DeepClusteringConfig(), minutes=args.scratch_minutes, start="scratch")
        fresh = drain(dc.train(config))
        print_table(f"trained from scratch with the default settings for {args.scratch_minutes:g} min "
                    f"({fresh.stats['steps']} batches)", {"(a) demo test voices": score(fresh, sets["(a) demo test voices"])})
    return 0


if __name__ == "__main__":
    sys.exit(main())
