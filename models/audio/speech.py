"""Speech synthesis with eSpeak NG through ctypes, for demo mixtures that need no download.

The PyPI package ``espeakng-loader`` ships the shared library and its voice data, so nothing is
fetched at run time. eSpeak keeps global state, so there is one engine per process and calls are
serialised with a lock.

eSpeak's waveform generator carries its phase and pitch-flutter state from one utterance to the
next (even across ``espeak_Terminate``), so what :func:`synthesize` returns for a text depends on
what the process spoke before. :func:`synthesize_batches` gives byte-identical output for the
same jobs by speaking each batch in a fresh process, which also spreads the work over the cores.
"""
from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from models.errors import UserError

# espeak_AUDIO_OUTPUT, espeak_PARAMETER, espeak_POSITION_TYPE and flags from speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EE_OK = 0
_INITIALIZE_DONT_EXIT = 0x8000   # report errors instead of calling exit() inside the library

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class SpeechUnavailable(UserError):
    """eSpeak NG cannot be loaded."""


@dataclass(frozen=True)
class Voice:
    """An eSpeak voice: language plus variant (formants, breath), base pitch and speaking rate.

    ``pitch`` and ``range`` are eSpeak's 0-100 scales (50 = the variant's own); ``rate`` is in
    words per minute.
    """

    variant: str = "m1"
    pitch: int = 50
    range: int = 50
    rate: int = 165
    language: str = "en-us"

    @property
    def name(self) -> str:
        return f"{self.language}+{self.variant}"

    @property
    def label(self) -> str:
        return f"{self.variant} pitch {self.pitch} rate {self.rate}"


class _Engine:
    _lock = threading.Lock()
    _instance: "_Engine | None" = None

    def __init__(self):
        try:
            import espeakng_loader      # deferred: optional; without it there is no speech, and the error says so
        except ImportError as e:
            raise SpeechUnavailable("The speech synthesiser is not installed.",
                                    "Install it with: pip install espeakng-loader") from e
        try:
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data = espeakng_loader.get_data_path().encode()
        except (OSError, RuntimeError) as e:
            raise SpeechUnavailable(f"eSpeak NG could not be loaded ({e}).",
                                    "Reinstall it with: pip install --force-reinstall espeakng-loader") from e
        lib = self.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        # eSpeak seeds its noise generator from the clock; a fixed seed makes output repeatable
        self._set_seed = getattr(lib, "espeak_ng_SetRandSeed", None)
        if self._set_seed is not None:
            self._set_seed.argtypes = [ctypes.c_long]
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_DONT_EXIT)
        if self.sample_rate <= 0:
            raise SpeechUnavailable("eSpeak NG failed to start (its voice data was not found).",
                                    "Reinstall it with: pip install --force-reinstall espeakng-loader")
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced: eSpeak calls it later
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, n, events):
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    @classmethod
    def get(cls) -> "_Engine":
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def synth(self, text: str, voice: Voice) -> np.ndarray:
        lib = self.lib
        if lib.espeak_SetVoiceByName(voice.name.encode()) != _EE_OK:
            raise UserError(f"eSpeak has no voice '{voice.name}'.", "Pick another variant.")
        lib.espeak_SetParameter(_RATE, int(voice.rate), 0)
        lib.espeak_SetParameter(_PITCH, int(voice.pitch), 0)
        lib.espeak_SetParameter(_RANGE, int(voice.range), 0)
        lib.espeak_SetParameter(_VOLUME, 100, 0)
        if self._set_seed is not None:
            self._set_seed(1)
        raw = text.encode("utf-8") + b"\0"
        self._chunks = []
        lib.espeak_Synth(raw, len(raw), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        lib.espeak_Synchronize()
        pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        self._chunks = []
        return pcm


def synth_sample_rate() -> int:
    """eSpeak's native sample rate (22050 Hz)."""
    with _Engine._lock:
        return _Engine.get().sample_rate


def as_float(pcm: np.ndarray) -> np.ndarray:
    """16-bit PCM as float32 in [-1, 1); float32 as it is."""
    return pcm if pcm.dtype == np.float32 else pcm.astype(np.float32) / np.float32(32768.0)


def as_pcm16(wave: np.ndarray) -> np.ndarray:
    """A float waveform as 16-bit PCM, rounded and clipped to full scale."""
    return np.clip(np.round(wave * 32767.0), -32768, 32767).astype(np.int16)


def synthesize(text: str, voice: Voice = Voice()) -> tuple[np.ndarray, int]:
    """Speak ``text``; returns (float32 waveform in [-1, 1], sample rate)."""
    with _Engine._lock:
        engine = _Engine.get()
        pcm = engine.synth(text, voice)
        return as_float(pcm), engine.sample_rate


def available() -> bool:
    try:
        synth_sample_rate()
        return True
    except UserError:
        return False


# --- deterministic batches in fresh processes --------------------------------------------------

def _trim(wave: np.ndarray, margin: int) -> np.ndarray:
    """Drop the leading and trailing near-silence eSpeak adds, keeping ``margin`` samples."""
    loud = np.flatnonzero(np.abs(wave) > 0.01 * (np.abs(wave).max() + 1e-12))
    if len(loud) == 0:
        return wave
    return wave[max(0, loud[0] - margin):loud[-1] + 1 + margin]


def _to_rate(pcm: np.ndarray, rate: int, sample_rate: int) -> np.ndarray:
    """eSpeak's int16 at ``rate`` -> int16 at ``sample_rate``, trimmed."""
    import scipy.signal     # deferred: half a second to import, which every worker process would pay

    g = gcd(sample_rate, rate)
    wave = scipy.signal.resample_poly(as_float(pcm), sample_rate // g, rate // g)
    wave = _trim(wave, sample_rate // 20)
    return as_pcm16(wave)


def synthesize_batches(jobs: list[dict], sample_rate: int, batch: int = 200, workers: int = 0):
    """Speak ``jobs`` (``{"text": ..., "voice": {Voice fields}}``) in fresh worker processes,
    ``batch`` jobs each, ``workers`` at a time (0: one per core, at most 4); resample to
    ``sample_rate`` and trim the silence around each. A generator yielding the number of jobs
    done so far; returns ``(audio int16, offsets int64)``: utterance i is
    ``audio[offsets[i]:offsets[i + 1]]``. The same jobs always give the same samples.
    """
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    n_chunks = max(min(workers, len(jobs)), -(-len(jobs) // batch))
    bounds = np.linspace(0, len(jobs), n_chunks + 1).astype(int)
    pieces: list[np.ndarray] = []
    with tempfile.TemporaryDirectory(prefix="espeak-") as tmp:
        running: deque = deque()
        procs = []
        try:
            next_chunk = 0
            while next_chunk < n_chunks or running:
                while next_chunk < n_chunks and len(running) < workers:
                    base = Path(tmp) / f"{next_chunk:05d}"
                    chunk = jobs[bounds[next_chunk]:bounds[next_chunk + 1]]
                    base.with_suffix(".json").write_text(json.dumps(chunk))
                    with open(base.with_suffix(".log"), "wb") as log:
                        proc = subprocess.Popen([sys.executable, "-m", "models.audio.speech", str(base)],
                                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                                env=env, cwd=root)
                    procs.append(proc)
                    running.append((proc, base))
                    next_chunk += 1
                proc, base = running.popleft()      # chunks are alike in size: wait in order
                if proc.wait() != 0:
                    lines = base.with_suffix(".log").read_text(errors="replace").strip().splitlines()
                    raise SpeechUnavailable(f"The speech synthesiser failed ({lines[-1] if lines else proc.returncode}).",
                                            "Reinstall it with: pip install --force-reinstall espeakng-loader")
                pcm = np.load(base.with_suffix(".pcm.npy"), allow_pickle=False)
                offsets = np.load(base.with_suffix(".offsets.npy"), allow_pickle=False)
                rate = int(np.load(base.with_suffix(".rate.npy"), allow_pickle=False))
                for a, b in zip(offsets[:-1], offsets[1:]):
                    pieces.append(_to_rate(pcm[a:b], rate, sample_rate))
                yield len(pieces)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    offsets = np.zeros(len(pieces) + 1, np.int64)
    offsets[1:] = np.cumsum([len(p) for p in pieces])
    return (np.concatenate(pieces) if pieces else np.zeros(0, np.int16)), offsets


def _main(argv: list[str]) -> int:
    """Worker: ``python -m models.audio.speech BASE`` speaks BASE.json's jobs into
    BASE.pcm.npy (int16 end to end), BASE.offsets.npy and BASE.rate.npy. Only NumPy and
    ctypes are imported, so a worker starts quickly."""
    base = argv[0]
    with open(base + ".json", encoding="utf-8") as f:
        jobs = json.load(f)
    with _Engine._lock:
        engine = _Engine.get()
        pcm = [engine.synth(job["text"], Voice(**job["voice"])) for job in jobs]
        rate = engine.sample_rate
    offsets = np.zeros(len(pcm) + 1, np.int64)
    offsets[1:] = np.cumsum([len(p) for p in pcm])
    np.save(base + ".pcm.npy", np.concatenate(pcm) if pcm else np.zeros(0, np.int16))
    np.save(base + ".offsets.npy", offsets)
    np.save(base + ".rate.npy", np.int64(rate))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
