"""The broad speech data of the bundled separation model: many voices from several synthesizers and
real recordings, made by ``tools/separation_data.py`` from registry packages, and the augmentation
that makes training mixtures sound less like a studio.

Four banks of utterances (int16, 8 kHz), each a :class:`models.audio.demo.Bank`:

- ``train``: what the model learns from;
- ``heldout_synth``: Festival voices, one of them of a kind of synthesis no training voice uses;
- ``heldout_real``: recorded speakers no training utterance comes from;
- ``heldout_recordings``: about ten more recorded people, over the air and in rooms, in 2-4 s pieces.

The held-out test mixtures are fixed recipes drawn from a bank with a seed, so every run of the
benchmark scores the same mixtures.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.signal
from safetensors import SafetensorError
from safetensors.numpy import load_file

from models.audio import demo
from models.audio.speech import as_float
from models.core.reading import read_bounded
from models.errors import UserError

FOLDER_NAME = "dc-broad-9"
SAMPLE_RATE = 8000
SPLITS = ("train", "heldout_synth", "heldout_real", "heldout_recordings")
MAX_SPEAKERS_BYTES = 1 << 20   # speakers.json: a few hundred names
VALID_EVERY = 25          # every 25th training utterance is kept for validation


def folder() -> Path:
    return demo.cache_dir() / FOLDER_NAME


def load_bank(split: str, where: Path | None = None) -> demo.Bank:
    path = (where or folder()) / f"{split}.safetensors"
    try:
        return demo._bank(load_file(str(path)))
    except (OSError, SafetensorError, ValueError) as e:
        raise UserError(f"The broad speech data is missing or damaged ({path}: {e}).",
                        "Make it with: python tools/separation_data.py (see its docstring for the packages).") from e


def speaker_names(split: str, where: Path | None = None) -> list[str]:
    """The names of ``split``'s speakers ("source:name"), by speaker id, from ``speakers.json``."""
    path = (where or folder()) / "speakers.json"
    hint = "Make the data again with: python tools/separation_data.py."
    try:
        text = read_bounded(path, MAX_SPEAKERS_BYTES, "a list of speakers", UserError, hint)
        names = json.loads(text)["speakers"][split]
    except (ValueError, KeyError, TypeError) as e:
        raise UserError(f"{path} is damaged: no list of the {split} speakers ({e}).", hint) from e
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise UserError(f"{path} is damaged: the {split} speakers are not a list of names.", hint)
    return names


RECORDED = ("asterisk:", "kde:", "tuxpaint:", "queen:", "sky:")    # speaker names of people recorded, not synthesized


def recorded(bank: demo.Bank, names: list[str]) -> np.ndarray:
    """Which utterances of ``bank`` (speakers named ``names``) are recordings of people."""
    if len(bank) and int(bank.speaker.max()) >= len(names):
        raise UserError(f"The broad speech data names {len(names)} speakers and holds {int(bank.speaker.max()) + 1}.",
                        "Make it again with: python tools/separation_data.py.")
    return np.array([n.startswith(RECORDED) for n in names], bool)[bank.speaker]


def draw_odds(bank: demo.Bank, is_recorded: np.ndarray, share: float) -> np.ndarray:
    """Each utterance's chance of being drawn for a training mixture: the recorded ones together
    ``share`` of the draws, each recorded speaker alike however many prompts they spoke; the
    synthetic ones the rest, utterance by utterance.

    Mixtures of two recorded voices are what a model learns least from otherwise: synthetic voices
    are most of the data, and a pair with one of them can be told apart by how synthetic it sounds."""
    speakers = bank.speaker[is_recorded]
    if not len(speakers) or is_recorded.all():
        return np.full(len(bank), 1.0 / len(bank))
    odds = np.zeros(len(bank))
    counts = np.bincount(speakers)
    odds[is_recorded] = share / np.count_nonzero(counts) / counts[speakers]
    odds[~is_recorded] = (1.0 - share) / np.count_nonzero(~is_recorded)
    return odds / odds.sum()


def subset(bank: demo.Bank, keep: np.ndarray) -> demo.Bank:
    """The utterances ``keep`` (indices) of ``bank``, end to end again."""
    pieces = [bank.pcm(int(i)) for i in keep]
    offsets = np.zeros(len(pieces) + 1, np.int64)
    offsets[1:] = np.cumsum([len(p) for p in pieces])
    audio = np.concatenate(pieces) if pieces else np.zeros(0, bank.audio.dtype)
    return demo.Bank(audio, offsets, bank.speaker[keep])


def split_validation(bank: demo.Bank) -> tuple[demo.Bank, demo.Bank]:
    """(training utterances, validation utterances): the same speakers, other sentences."""
    index = np.arange(len(bank))
    held = index % VALID_EVERY == VALID_EVERY - 1
    return subset(bank, index[~held]), subset(bank, index[held])


def fixed_mixtures(bank: demo.Bank, n: int, seed: int) -> list[demo.Mixture]:
    """``n`` mixtures of two different speakers of ``bank``, at -5..+5 dB, each utterance used once
    at most while there are enough."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(bank))
    out, used = [], set()
    for i in order:
        if len(out) == n:
            break
        if i in used:
            continue
        partners = [j for j in order if j not in used and j != i and bank.speaker[j] != bank.speaker[i]]
        if not partners:
            continue
        j = partners[int(rng.integers(min(len(partners), 50)))]
        used.update((int(i), int(j)))
        out.append(demo.mix(bank.utterance(int(i)), bank.utterance(int(j)), float(rng.uniform(-5, 5)),
                            float(rng.random())))
    return out


# --- augmentation ------------------------------------------------------------------------------

def _room_response(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """A synthetic room: a direct path, then exponentially decaying noise with RT60 0.15-0.6 s."""
    rt60 = rng.uniform(0.15, 0.6)
    n = int(rt60 * sample_rate)
    t = np.arange(n) / sample_rate
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60) * rng.uniform(0.05, 0.3)
    tail[: int(0.002 * sample_rate)] = 0.0
    tail[0] = 1.0
    return tail.astype(np.float32)


def _tilt(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A first-order shelving filter: microphones and rooms that favour the lows or the highs."""
    pole = rng.uniform(-0.6, 0.6)
    return np.array([1.0, -pole * rng.uniform(0.3, 1.0)]), np.array([1.0, -pole * 0.2])


SPEED_STEPS = 20     # speeds are 20/d for whole d in 16..25: 0.8x to 1.25x


def change_speed(x: np.ndarray, speed: float) -> np.ndarray:
    """``x`` played ``speed`` times as fast (pitch, formants and pace all scaled by it), cut or
    zero-padded to its own length."""
    up = SPEED_STEPS
    down = int(round(speed * up))
    y = scipy.signal.resample_poly(x, up, down).astype(np.float32)
    out = np.zeros_like(x)
    out[:min(len(x), len(y))] = y[:len(x)]
    return out


def augment(sources: np.ndarray, rng: np.random.Generator, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """(batch, 2, samples) clean sources -> (batch, 3, samples): each source at another speed (half
    the time, 0.8x-1.25x), through its own room (half the time) and microphone colouring (half the
    time), with the two rescaled to their former level, and a third channel of noise 20-45 dB below
    the speech (half the time) that belongs to neither voice: the mixture is the sum of all three,
    the labels come from the first two.

    The speed change stands one voice in for several (as speed perturbation does in speech
    recognition): slowed by 0.8, a woman's voice has a man's pitch and a longer vocal tract's
    formants, which the recorded speech of the training data, nearly all women, lacks."""
    b, _, n = sources.shape
    out = np.zeros((b, 3, n), np.float32)
    for i in range(b):
        for j in range(2):
            x = sources[i, j]
            level = np.sqrt(np.mean(x ** 2)) + 1e-8
            if rng.random() < 0.5:
                x = change_speed(x, int(rng.integers(16, 26)) / SPEED_STEPS)
            if rng.random() < 0.5:
                x = scipy.signal.fftconvolve(x, _room_response(rng, sample_rate))[:n]
            if rng.random() < 0.5:
                x = scipy.signal.lfilter(*_tilt(rng), x)
            out[i, j] = x * (level / (np.sqrt(np.mean(x ** 2)) + 1e-8))
        if rng.random() < 0.5:
            speech_level = np.sqrt(np.mean(out[i, :2].sum(0) ** 2)) + 1e-8
            noise = scipy.signal.lfilter([1.0], [1.0, -rng.uniform(0.0, 0.95)], rng.standard_normal(n))
            noise *= speech_level * 10 ** (-rng.uniform(20, 45) / 20) / (np.sqrt(np.mean(noise ** 2)) + 1e-8)
            out[i, 2] = noise
    return out


def concat(*banks: demo.Bank) -> demo.Bank:
    """Banks end to end, each bank's speakers numbered after the previous bank's; 16-bit PCM where
    all of them are, else float32."""
    pcm = all(bank.audio.dtype == np.int16 for bank in banks)
    audio, offsets, speakers, base = [], [np.zeros(1, np.int64)], [], 0
    end = 0
    for bank in banks:
        audio.append(bank.audio if pcm else as_float(bank.audio))
        offsets.append(bank.offsets[1:] + end)
        end += int(bank.offsets[-1])
        speakers.append(bank.speaker + base)
        base += int(bank.speaker.max()) + 1 if len(bank) else 0
    return demo.Bank(np.concatenate(audio), np.concatenate(offsets), np.concatenate(speakers))
