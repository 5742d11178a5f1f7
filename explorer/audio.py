"""Playback through sounddevice: it works, or it says clearly why not.

A :class:`Player` plays one float32 mono clip at a time through a PortAudio ``OutputStream``.
PortAudio pulls blocks from a callback on its own thread, so ``play`` and ``stop`` return at
once and no thread is started here. The callback only touches a plain :class:`_Feed` (the
samples and a frame counter); everything Qt happens in the GUI thread, where a timer reports
the position for a playhead and closes the stream once it has drained, so no stream outlives
its clip.

Samples are checked before they reach the device: NaN or infinite values are refused (a
speaker is no place to find out a model diverged), values outside [-1, 1] are clipped and
counted. A device that refuses the clip's rate gets it resampled to its own default rate.

Without PortAudio or an output device every call says "No audio output: ..." and why; nothing
else in the program depends on playback (WAV export goes through soundfile).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from models.audio.wav import resample       # clips the resampler's overshoot back into [-1, 1]
from models.errors import UserError

POLL_MS = 30                 # playhead refresh: smooth to the eye, negligible work
_open_streams: set = set()   # every stream opened here and not yet closed


class AudioUnavailable(UserError):
    """No PortAudio library, no output device, or a device that would not start."""


class BadAudio(UserError):
    """Samples that must not be sent to a loudspeaker."""


def open_streams() -> int:
    """How many output streams are open now (0 whenever nothing plays)."""
    return len(_open_streams)


def _import_sounddevice():
    # deferred: sounddevice loads the PortAudio library at import and raises OSError when it is
    # missing, which only playing a sound has to say
    import sounddevice

    return sounddevice


def output_device():
    """``(sounddevice module, default output device info)``, or :class:`AudioUnavailable`."""
    try:
        sd = _import_sounddevice()
    except (OSError, ImportError) as e:
        raise AudioUnavailable(f"No audio output: the PortAudio library could not be loaded ({e}).",
                               "Install it (Debian/Ubuntu: apt install libportaudio2) to listen; "
                               "Export WAV still works.") from e
    try:
        info = sd.query_devices(kind="output")
    except (sd.PortAudioError, ValueError) as e:
        raise AudioUnavailable(f"No audio output: no default output device ({e}).",
                               "Connect speakers or headphones, or pick an output in the system's "
                               "sound settings; Export WAV still works.") from e
    if not info or info.get("max_output_channels", 0) < 1:
        raise AudioUnavailable("No audio output: the default device has no output channels.",
                               "Pick an output in the system's sound settings; Export WAV still works.")
    return sd, info


def availability() -> str:
    """"" when audio can play, else the reason it cannot."""
    try:
        output_device()
    except AudioUnavailable as e:
        return str(e)
    return ""


def checked_samples(samples) -> tuple[np.ndarray, int]:
    """A float32 C-contiguous mono copy clipped to [-1, 1], and how many samples were clipped.
    NaN or infinity is refused with :class:`BadAudio`."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise BadAudio(f"Expected mono audio (one channel), got an array of shape {x.shape}.")
    if x.size == 0:
        raise BadAudio("There is no audio to play (0 samples).")
    x = x.astype(np.float32)
    bad = int(np.count_nonzero(~np.isfinite(x)))
    if bad:
        raise BadAudio(f"The audio holds {bad:,} NaN or infinite samples, so it was not played.",
                       "The model or file that made it is broken; retrain or re-export it.")
    clipped = int(np.count_nonzero(np.abs(x) > 1.0))
    return np.ascontiguousarray(np.clip(x, -1.0, 1.0)), clipped


@dataclass(frozen=True)
class Playback:
    """What :meth:`Player.play` started."""

    seconds: float         # length of the clip
    clipped: int           # samples that were outside [-1, 1] and were clipped
    rate: int              # the rate the clip was given at
    device_rate: int       # the rate the device plays it at (differs when it was resampled)

    def note(self) -> str:
        parts = []
        if self.clipped:
            parts.append(f"{self.clipped:,} samples were outside [-1, 1] and were clipped")
        if self.device_rate != self.rate:
            parts.append(f"resampled from {self.rate:,} Hz to the device's {self.device_rate:,} Hz")
        return "; ".join(parts)


class _Feed:
    """What the PortAudio thread reads: the samples and how far it has got. No Qt here."""

    def __init__(self, samples: np.ndarray, stop_exc: type):
        self.samples = samples
        self.frame = 0
        self._stop = stop_exc

    def __call__(self, outdata, frames, time_info, status) -> None:
        start = self.frame
        chunk = self.samples[start:start + frames]
        n = len(chunk)
        outdata[:n, 0] = chunk
        outdata[n:] = 0.0
        self.frame = start + n
        if n < frames:
            raise self._stop    # PortAudio plays what is queued, then the stream turns inactive


class Player(QObject):
    """Plays one clip at a time; a new ``play`` stops the one before.

    Signals: ``started(tag, seconds)``, ``position_changed(tag, seconds)`` every ~30 ms while
    playing, and ``finished(tag)`` once when the clip ends or is stopped (the stream is closed
    by then). ``tag`` is whatever the caller passed to ``play``, so a view knows which clip moved.
    """

    started = Signal(object, float)
    position_changed = Signal(object, float)
    finished = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._stream = None
        self._stream_error: type[Exception] = OSError    # sounddevice.PortAudioError once loaded
        self._feed: _Feed | None = None
        self._device_rate = 0
        self._latency = 0.0
        self.tag = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def playing(self) -> bool:
        return self._stream is not None

    @property
    def position(self) -> float:
        """Seconds into the clip that are being heard now (what was fed, less the output latency)."""
        if self._feed is None or not self._device_rate:
            return 0.0
        return max(0.0, self._feed.frame / self._device_rate - self._latency)

    def play(self, samples, rate: int, tag=None) -> Playback:
        """Start playing mono ``samples`` at ``rate`` Hz; returns at once.

        Raises :class:`BadAudio` for NaN/inf samples and :class:`AudioUnavailable` when there is
        no way to play; in both cases nothing was sent to a device."""
        x, clipped = checked_samples(samples)
        if not rate or rate < 1:
            raise BadAudio(f"A sample rate of {rate} Hz cannot be played.", "The clip's rate must be positive.")
        sd, info = output_device()
        self.stop()
        device_rate = int(rate)
        try:
            sd.check_output_settings(channels=1, dtype="float32", samplerate=device_rate)
        except (sd.PortAudioError, ValueError):
            device_rate = int(info["default_samplerate"])
            x = resample(x, int(rate), device_rate)
        feed = _Feed(x, sd.CallbackStop)
        try:
            stream = sd.OutputStream(samplerate=device_rate, channels=1, dtype="float32", callback=feed)
        except (sd.PortAudioError, ValueError) as e:
            raise AudioUnavailable(f"No audio output: the device would not open ({e}).",
                                   "Close other programs using it, or pick another output; "
                                   "Export WAV still works.") from e
        _open_streams.add(stream)
        try:
            stream.start()
        except sd.PortAudioError as e:
            self._close(stream, sd.PortAudioError)
            raise AudioUnavailable(f"No audio output: the device would not start ({e}).",
                                   "Close other programs using it; Export WAV still works.") from e
        self._stream, self._feed, self.tag = stream, feed, tag
        self._stream_error = sd.PortAudioError
        self._device_rate, self._latency = device_rate, float(stream.latency or 0.0)
        self._timer.start()
        seconds = len(x) / device_rate
        self.started.emit(tag, seconds)
        return Playback(seconds, clipped, int(rate), device_rate)

    def stop(self) -> None:
        """Silence now and close the stream; ``finished`` fires if something was playing."""
        if self._stream is None:
            return
        try:
            self._stream.abort()
        except self._stream_error:      # a device unplugged mid-clip: closing below still frees it
            pass
        self._end()

    close = stop

    def _poll(self) -> None:
        if self._stream is None:
            self._timer.stop()
            return
        if self._stream.active:
            self.position_changed.emit(self.tag, self.position)
        else:
            self.position_changed.emit(self.tag, len(self._feed.samples) / self._device_rate)
            self._end()

    def _end(self) -> None:
        stream, tag = self._stream, self.tag
        self._timer.stop()
        self._stream = None
        self._close(stream, self._stream_error)
        self.finished.emit(tag)

    @staticmethod
    def _close(stream, error: type[Exception]) -> None:
        _open_streams.discard(stream)
        try:
            stream.close()      # joins PortAudio's callback thread
        except error:
            pass
