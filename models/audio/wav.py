"""Reading and writing audio files: any rate and channel count in, mono at the caller's rate out.

Every reader of a recording goes through :func:`read_mono`. Before a sample is read, the header is
checked: a sample rate no recording has, or more frames than the file's bytes can hold, is a
damaged header and is refused, never allocated. Samples are then read in blocks, so memory
follows what the file really holds. NaN or infinite samples are refused (a model or a loudspeaker
is no place to find them); samples beyond [-1, 1] are clipped and counted, and a WAV whose data
ends before its header says is read as far as it goes and reported as truncated; a file of zeros is
read and said to be silent. These land in :attr:`Recording.note`. Every problem is an
:class:`AudioFileError` naming the file.
"""
from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile

from models.core.reading import check_regular
from models.core import writing
from models.core.writing import staged, write_failure
from models.errors import UserError

MIN_RATE, MAX_RATE = 1_000, 768_000     # Hz: below, no recording; above, no converter made
BLOCK_SAMPLES = 1 << 20                 # read at most this many samples (all channels) at a time
MAX_RATIO_TERM = 10_000                 # resampling ratios up/down have no larger terms: filters stay short
# The longest recording read: separation and matching hold several float copies of it (spectrogram,
# embeddings, masks), so ten hours asked for gigabytes; the demo mixtures and queries last seconds.
MAX_SECONDS = 600
# A mixture to separate may last longer: it is read, resampled and separated a block and a chunk at
# a time, so memory follows the 8 kHz output (a mixture and two voices): two hours, about 1.2 GB.
MAX_MIXTURE_SECONDS = 2 * 3600
# Bytes per sample of the uncompressed subtypes, for checking a header's length against the file.
SAMPLE_BYTES = {"PCM_S8": 1, "PCM_U8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8,
                "ULAW": 1, "ALAW": 1}


class AudioFileError(UserError):
    """An audio file that is missing, unreadable, empty or damaged."""


@dataclass(frozen=True)
class Recording:
    """A file's audio as mono float32 in [-1, 1] at ``rate``, and what reading it had to change."""

    samples: np.ndarray             # (n,) float32
    rate: int
    clipped: int = 0                # samples of the file beyond [-1, 1], clipped to it
    notes: tuple[str, ...] = field(default=())

    @property
    def note(self) -> str:
        """"" for a clean file, else one line for a status bar or stderr."""
        return "; ".join(self.notes)


def read_mono(path: str | Path, sample_rate: int, max_seconds: int | None = None) -> Recording:
    """The file's channels averaged to mono and resampled to ``sample_rate``; longer than
    ``max_seconds`` (default :data:`MAX_SECONDS`), it is refused before its samples are read."""
    max_seconds = MAX_SECONDS if max_seconds is None else max_seconds
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise AudioFileError(f"Audio file not found: {path}.", "Check the path.")
    # libsndfile opens by name and would wait on a FIFO for ever: what the path is, is checked first.
    check_regular(path, "an audio file", AudioFileError, "Choose a .wav file (or FLAC/OGG).")
    try:
        with soundfile.SoundFile(str(path)) as f:
            _check_header(path, f, max_seconds)
            channels = f.channels
            mono, clipped = _read_mono_blocks(path, f, sample_rate, max_seconds)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as e:
        raise AudioFileError(f"{path} is not a readable audio file ({_reason(e)}).",
                             "Use a WAV (or FLAC/OGG) file.") from None
    except MemoryError:
        raise AudioFileError(f"{path}: not enough memory for its samples.",
                             "Use a shorter recording, or close other programs.") from None
    if len(mono) == 0:
        raise AudioFileError(f"{path} has no samples.", "Choose a recording with sound in it.")
    notes = []
    if not mono.any():
        # read as asked (a silent mixture separates into two silent voices), but said: a muted
        # export or an unplugged microphone is the likelier cause than a wish to separate silence
        notes.append(f"{path.name} is silent: every sample is zero")
    if channels > 1:
        notes.append(f"{path.name} has {channels} channels; they were mixed down to one")
    if clipped:
        notes.append(f"{clipped:,} samples of {path.name} were outside [-1, 1] and were clipped")
    missing = _riff_shortfall(path)
    if missing:
        notes.append(f"{path.name} ends {missing:,} bytes before its header says: it is probably truncated, "
                     "and only what it holds was read")
    return Recording(np.ascontiguousarray(mono, dtype=np.float32), int(sample_rate), clipped, tuple(notes))


def _check_header(path: Path, f: soundfile.SoundFile, max_seconds: int) -> None:
    """Refuse a header that cannot be true, before anything is sized by it."""
    if not MIN_RATE <= f.samplerate <= MAX_RATE:
        raise AudioFileError(f"{path}: a sample rate of {f.samplerate:,} Hz, outside what recordings use "
                             f"({MIN_RATE:,} to {MAX_RATE:,} Hz).", "The file's header is probably damaged.")
    # FLAC keeps PCM subtypes but compresses them: its size bounds nothing, and blocks bound memory.
    width = SAMPLE_BYTES.get(f.subtype) if f.format != "FLAC" else None
    size = path.stat().st_size
    if width and f.frames * f.channels * width > size:
        raise AudioFileError(f"{path}: the header claims {f.frames:,} frames of {f.channels} channels, more than "
                             f"the file's {size:,} bytes can hold.", "The file's header is damaged.")
    if f.frames > max_seconds * f.samplerate:
        _too_long(path, f.frames / f.samplerate, max_seconds)
    if f.format == "OGG":
        _check_ogg_positions(path)


def _too_long(path: Path, seconds: float, most: int) -> None:
    stated = f"{seconds / 3600:.1f} hours" if seconds >= 3600 else f"{seconds / 60:.1f} minutes"
    raise AudioFileError(f"{path} lasts {'at least ' if seconds == most else ''}{stated}, longer than the "
                         f"{most // 60:,} minutes a recording may last here.",
                         f"Cut it into pieces of at most {most // 60:,} minutes.")


def _check_ogg_positions(path: Path) -> None:
    """Refuse an Ogg stream whose page positions cannot be true: one going back in time, or an
    Opus stream ending before its own pre-skip. libsndfile 1.2.2 reads such a stream's length as
    negative and returns samples it never decoded, different at each read (zeros, 1e21, NaN).

    Only page headers are read (27 bytes and a segment table a page); where the pages stop making
    sense the walk stops and libsndfile's own checks take over."""
    last: dict[int, int] = {}           # the latest granule position of each logical stream
    pre_skip: dict[int, int] = {}       # Opus streams' pre-skip, from their OpusHead packet
    with open(path, "rb") as f:
        page = 0
        while len(head := f.read(27)) == 27 and head[:4] == b"OggS":
            granule, serial = struct.unpack_from("<qI", head, 6)
            table = f.read(head[26])
            body = sum(table)
            if head[5] & 0x02:          # beginning of a stream: its codec's identification header
                ident = f.read(min(body, 19))
                f.seek(body - len(ident), 1)
                if ident[:8] == b"OpusHead" and len(ident) >= 12:
                    pre_skip[serial] = struct.unpack_from("<H", ident, 10)[0]
            else:
                f.seek(body, 1)
            if granule != -1:
                before = last.get(serial, 0)
                if granule < before:
                    raise AudioFileError(
                        f"{path}: Ogg page {page} (byte {f.tell() - body - len(table) - 27:,}) goes back "
                        f"in time, to position {granule:,} after {before:,}.",
                        "The file is damaged; export or convert the recording again.")
                last[serial] = granule
            page += 1
    for serial, skip in pre_skip.items():
        if last.get(serial, 0) < skip:
            raise AudioFileError(
                f"{path}: its Opus stream ends at position {last.get(serial, 0):,}, before its own "
                f"pre-skip of {skip:,} samples, so its length cannot be read.",
                "The file is damaged; export or convert the recording again.")


def _read_mono_blocks(path: Path, f: soundfile.SoundFile, target: int, max_seconds: int) -> tuple[np.ndarray, int]:
    """(mono float32 at ``target`` Hz, samples clipped), read, checked, mixed down and resampled a
    block at a time: memory follows the output, not the file (an hour of 44.1 kHz stereo is 1.3 GB
    as float32; at 8 kHz mono it is 115 MB). A header that overstates the length costs nothing, and
    one that understates it (a stream of unknown length) stops at ``max_seconds``."""
    frames = max(1, BLOCK_SAMPLES // f.channels)
    most = max_seconds * f.samplerate
    resampler = BlockResampler(f.samplerate, target)
    out, clipped, done, bad, first = [], 0, 0, 0, -1
    while len(block := f.read(frames, dtype="float32", always_2d=True)):
        broken = ~np.isfinite(block)
        if broken.any() or bad:
            # counted to the end for the message; nothing more is kept
            first = first if bad else done + int(np.argmax(broken.any(axis=1)))
            bad += int(broken.sum())
            out = []
        else:
            clipped += int(np.count_nonzero(np.abs(block) > 1.0))
            out.append(resampler.push(np.clip(block, -1.0, 1.0).mean(axis=1)))
        done += len(block)
        if done > most:
            _too_long(path, max_seconds, max_seconds)
    if bad:
        raise AudioFileError(f"{path} holds {bad:,} NaN or infinite samples, the first at "
                             f"{first / f.samplerate:.3f} s (frame {first:,}).",
                             "The program that wrote it failed; export the recording again.")
    out.append(resampler.finish())
    return np.ascontiguousarray(np.concatenate(out), dtype=np.float32), clipped


class BlockResampler:
    """:func:`resample` of a stream given in blocks of any size, equal to resampling it whole (to
    float rounding): each run of input is resampled with enough of its neighbours on both sides
    for the filter, and only the outputs those neighbours fully determine are kept."""

    def __init__(self, rate: int, target: int, run: int = BLOCK_SAMPLES):
        self.rate, self.target = int(rate), int(target)
        self.up, self.down = resampling_ratio(rate, target)
        # scipy's filter spans 10 * max(up, down) upsampled samples each side of its centre
        context = -(-10 * max(self.up, self.down) // self.up) + 2
        self.context = -(-context // self.down) * self.down
        self.run = max(1, run // self.down) * self.down
        self.pending = np.zeros(self.context, np.float32)    # the zeros resample_poly pads with
        self.emitted = 0            # output samples given so far
        self.total = 0              # input samples pushed

    def push(self, x: np.ndarray) -> np.ndarray:
        self.total += len(x)
        if (self.up, self.down) == (1, 1):
            return np.clip(np.asarray(x, np.float32), -1.0, 1.0)
        self.pending = np.concatenate([self.pending, np.asarray(x, np.float32)])
        out = []
        while len(self.pending) >= 2 * self.context + self.run:
            out.append(self._emit(self.pending[:2 * self.context + self.run], self.run))
            self.pending = self.pending[self.run:]
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def finish(self) -> np.ndarray:
        """The rest, as long in all as the exact ratio makes the whole."""
        if (self.up, self.down) == (1, 1):
            return np.zeros(0, np.float32)
        left = len(self.pending) - self.context
        run = -(-max(0, left) // self.down) * self.down
        tail = np.concatenate([self.pending, np.zeros(run - left + self.context, np.float32)])
        y = self._emit(tail, run) if run else np.zeros(0, np.float32)
        missing = -(-self.total * self.target // self.rate) - (self.emitted - len(y))
        return np.pad(y[:max(0, missing)], (0, max(0, missing - len(y))))

    def _emit(self, window: np.ndarray, run: int) -> np.ndarray:
        y = scipy.signal.resample_poly(window[:2 * self.context + run], self.up, self.down)
        start = self.context * self.up // self.down
        out = np.clip(y[start:start + run * self.up // self.down], -1.0, 1.0).astype(np.float32)
        self.emitted += len(out)
        return out


def _reason(e: Exception) -> str:
    """libsndfile's words without the path it repeats: 'Format not recognised.'"""
    text = str(e)
    return text.rsplit(": ", 1)[-1].rstrip(".") if "Error opening" in text else text


def _riff_shortfall(path: Path) -> int:
    """Bytes a RIFF WAV's data chunk claims beyond the end of the file (0 when whole, or not RIFF WAV).

    libsndfile quietly reads a short data chunk as far as it goes; this is what says so."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        if f.read(12)[8:] != b"WAVE":
            return 0
        f.seek(0)
        if f.read(4) != b"RIFF":
            return 0
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            tag, length = struct.unpack("<4sI", f.read(8))
            if tag == b"data":
                return max(0, pos + 8 + length - size)
            pos += 8 + length + (length & 1)
    return 0


def resample(wave: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``wave`` at ``rate`` Hz, polyphase-resampled to ``target`` Hz and clipped to [-1, 1] (the
    anti-aliasing filter can overshoot a full-scale peak a little). The result is always as long
    as the exact ratio makes it, also where :func:`resampling_ratio` had to round the ratio."""
    up, down = resampling_ratio(rate, target)
    y = scipy.signal.resample_poly(wave, up, down) if (up, down) != (1, 1) else wave
    n = -(-len(wave) * int(target) // int(rate))
    y = np.pad(y[:n], (0, max(0, n - len(y))))
    return np.ascontiguousarray(np.clip(y, -1.0, 1.0), dtype=np.float32)


def resampling_ratio(rate: int, target: int) -> tuple[int, int]:
    """``(up, down)`` equal to target/rate for every common rate; for an odd one (44,101 Hz) the
    nearest ratio with terms up to :data:`MAX_RATIO_TERM`, within 10 parts per million (a fiftieth
    of a cent), instead of an exact one whose filter has millions of taps and takes seconds to design
    (767,999 to 16,000 Hz: 2.4 s for a 0.4 s clip, against 3 ms)."""
    exact = Fraction(int(target), int(rate))
    if max(exact.numerator, exact.denominator) <= MAX_RATIO_TERM:
        return exact.numerator, exact.denominator
    near = exact.limit_denominator(max(1, MAX_RATIO_TERM // math.ceil(exact)))
    return near.numerator, near.denominator


def wav_bytes(wave: np.ndarray, sample_rate: int) -> bytes:
    """A float32 WAV file's bytes: no clipping and no rounding of what the separation produced."""
    buffer = io.BytesIO()
    soundfile.write(buffer, np.asarray(wave, np.float32), sample_rate, subtype="FLOAT", format="WAV")
    return buffer.getvalue()


def check_outputs(paths: list[Path]) -> None:
    """:func:`models.core.writing.check_outputs`, as an AudioFileError."""
    try:
        writing.check_outputs(paths)
    except OSError as e:
        raise AudioFileError(*write_failure(e, str(e.filename or paths[0].parent), "nothing was written and "
                                            "every file already there is")) from None


def write_set(outputs: dict[Path, bytes]) -> None:
    """Write ``outputs`` (path -> bytes) into place together: all of them or, on any failure, none."""
    try:
        next(iter(outputs)).parent.mkdir(parents=True, exist_ok=True)
        with staged() as files:
            for path, data in outputs.items():
                files.write(path, data)
    except OSError as e:
        raise AudioFileError(*write_failure(e, ", ".join(map(str, outputs)), "every file already there is")) from None

