"""Playback through a real PortAudio stream (CI's ALSA default device is of type null)."""
import numpy as np
import pytest
import scipy.signal
import soundfile

from explorer import audio
from models.audio import wav

RATE = 8000


def tone(seconds=0.3, amplitude=0.5, rate=RATE):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.fixture
def player(qtbot):
    if audio.availability():
        pytest.skip(audio.availability())     # the machine has no PortAudio output at all
    p = audio.Player()
    yield p
    p.stop()


def test_a_clip_plays_through_a_real_stream_reports_its_end_and_leaves_no_stream_open(qtbot, player):
    x = tone(0.3)
    positions = []
    player.position_changed.connect(lambda tag, s: positions.append(s))
    with qtbot.waitSignal(player.finished, timeout=10_000) as finished:
        started = player.play(x, RATE, tag="tone")
        assert player.playing and audio.open_streams() == 1
    assert finished.args == ["tone"]
    assert started.seconds == pytest.approx(len(x) / RATE) and started.clipped == 0 and started.note() == ""
    assert positions and positions[-1] == pytest.approx(len(x) / RATE)   # the playhead ends at the end
    assert not player.playing and audio.open_streams() == 0


def test_nan_or_infinite_samples_are_refused_before_any_stream_opens(qtbot, player):
    x = tone()
    x[100] = np.nan
    with qtbot.assertNotEmitted(player.started):
        with pytest.raises(audio.BadAudio, match="NaN or infinite"):
            player.play(x, RATE)
        x[100] = np.inf
        with pytest.raises(audio.BadAudio, match="1 NaN or infinite"):
            player.play(x, RATE)
    assert audio.open_streams() == 0 and not player.playing


def test_samples_beyond_full_scale_are_clipped_and_the_count_reported(qtbot, player):
    x = tone(amplitude=1.5)
    over = int(np.count_nonzero(np.abs(x) > 1))
    with qtbot.waitSignal(player.finished, timeout=10_000):
        started = player.play(x, RATE)
    assert started.clipped == over > 0 and f"{over:,} samples" in started.note()
    sent = player._feed.samples
    assert sent.dtype == np.float32 and np.abs(sent).max() <= 1.0
    assert np.abs(x).max() == pytest.approx(1.5, rel=1e-3)      # the caller's array is untouched


def test_a_rate_the_device_refuses_is_resampled_to_its_default_rate(qtbot, player, monkeypatch):
    sd, info = audio.output_device()
    real = sd.check_output_settings

    def refuse_8k(**kw):
        if kw.get("samplerate") == RATE:
            raise sd.PortAudioError("Invalid sample rate")
        return real(**kw)

    monkeypatch.setattr(sd, "check_output_settings", refuse_8k)
    x = tone(0.25)
    with qtbot.waitSignal(player.finished, timeout=10_000):
        started = player.play(x, RATE)
    target = int(info["default_samplerate"])
    assert started.device_rate == target != RATE and "resampled" in started.note()
    assert len(player._feed.samples) == pytest.approx(len(x) * target / RATE, abs=2)
    assert started.seconds == pytest.approx(0.25, abs=1e-3) and audio.open_streams() == 0


def test_stop_closes_the_stream_at_once_and_reports_the_end_once(qtbot, player):
    ends = []
    player.finished.connect(ends.append)
    player.play(tone(5.0), RATE, tag="long")
    player.stop()
    player.stop()
    assert ends == ["long"] and audio.open_streams() == 0 and not player.playing
    with qtbot.waitSignal(player.finished, timeout=10_000):      # and the player plays again afterwards
        player.play(tone(0.1), RATE, tag="again")
    assert ends == ["long", "again"]


def test_without_portaudio_the_player_says_why_and_wav_export_still_works(qtbot, monkeypatch, tmp_path):
    """A machine without the PortAudio library cannot be arranged inside the test run (sounddevice
    is already imported), so the import is made to fail the way sounddevice fails there: OSError."""
    def no_library():
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(audio, "_import_sounddevice", no_library)
    assert audio.availability().startswith("No audio output: the PortAudio library could not be loaded")
    player = audio.Player()
    with pytest.raises(audio.AudioUnavailable, match="No audio output: .*PortAudio library not found.*libportaudio2"):
        player.play(tone(), RATE)
    assert audio.open_streams() == 0 and not player.playing
    x = tone()
    wav.write_set({tmp_path / "out.wav": wav.wav_bytes(x, RATE)})
    back, rate = soundfile.read(tmp_path / "out.wav", dtype="float32")
    assert rate == RATE and np.array_equal(back, x)


def test_without_an_output_device_the_player_says_so(qtbot, monkeypatch):
    """No output device cannot be arranged either (CI has the null one), so the query fails as
    PortAudio's does when the default output device is missing."""
    sd = audio._import_sounddevice()

    def no_device(*a, **kw):
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "query_devices", no_device)
    with pytest.raises(audio.AudioUnavailable, match="No audio output: no default output device"):
        audio.Player().play(tone(), RATE)
    assert audio.open_streams() == 0


# --- every common rate reaches the device at a rate it takes, and nothing out of range ------------
RATES = (8000, 22050, 44100, 48000, 96000)


def full_scale_square(rate, seconds=0.2):
    """A 441 Hz square wave at exactly full scale, with every 997th sample beyond it. Resampled, a
    square rings past [-1, 1] (Gibbs), so only a clip after resampling keeps the stream in range."""
    t = np.arange(int(seconds * rate)) / rate
    x = np.sign(np.sin(2 * np.pi * 441 * t) + 1e-9).astype(np.float32)
    x[::997] *= 1.5
    return x


@pytest.fixture
def sent(monkeypatch):
    """Every block the PortAudio callback hands to the device, copied as it leaves."""
    blocks = []
    feed = audio._Feed.__call__

    def recording(self, outdata, frames, time_info, status):
        try:
            feed(self, outdata, frames, time_info, status)
        finally:
            blocks.append(outdata[:, 0].copy())

    monkeypatch.setattr(audio._Feed, "__call__", recording)
    return blocks


@pytest.mark.parametrize("device", ["takes every rate", "takes only its default rate"])
@pytest.mark.parametrize("rate", RATES)
def test_common_rates_play_at_a_rate_the_device_takes_and_no_sample_beyond_full_scale_reaches_it(
        qtbot, player, sent, monkeypatch, rate, device):
    sd, info = audio.output_device()
    default = int(info["default_samplerate"])
    if device == "takes only its default rate":
        # CI's ALSA null device takes any rate; a sound card that takes only its own is arranged here.
        check = sd.check_output_settings

        def only_default(**kw):
            if kw.get("samplerate") != default:
                raise sd.PortAudioError("Invalid sample rate")
            return check(**kw)

        monkeypatch.setattr(sd, "check_output_settings", only_default)
    x = full_scale_square(rate)
    with qtbot.waitSignal(player.finished, timeout=10_000):
        started = player.play(x, rate)
    plays_at = rate if device == "takes every rate" else default
    assert started.device_rate == plays_at and ("resampled" in started.note()) == (plays_at != rate)
    assert started.clipped == np.count_nonzero(np.abs(x) > 1) > 0
    fed = player._feed.samples
    assert len(fed) == pytest.approx(len(x) * plays_at / rate, abs=2)
    out = np.concatenate(sent)
    assert len(out) >= len(fed) and np.array_equal(out[:len(fed)], fed)      # what was sent is the clip
    assert np.isfinite(out).all() and np.abs(out).max() == 1.0
    if plays_at != rate:     # the resampler does overshoot here, so the line above tests the clip
        assert np.abs(scipy.signal.resample_poly(np.clip(x, -1, 1), plays_at, rate)).max() > 1.01


def test_a_device_that_opens_at_no_rate_is_refused_clearly_and_nothing_is_sent(qtbot, player, sent, monkeypatch):
    """A device refusing every rate cannot be arranged with the null device, so the rate check and
    the stream fail the way PortAudio's do then."""
    sd, _ = audio.output_device()

    def invalid_rate(*a, **kw):
        raise sd.PortAudioError("Invalid sample rate [PaErrorCode -9997]")

    monkeypatch.setattr(sd, "check_output_settings", invalid_rate)
    monkeypatch.setattr(sd, "OutputStream", invalid_rate)
    with qtbot.assertNotEmitted(player.started):
        with pytest.raises(audio.AudioUnavailable, match="No audio output: the device would not open .*Invalid sample"):
            player.play(full_scale_square(96000), 96000)
        with pytest.raises(audio.BadAudio, match="sample rate of 0 Hz"):
            player.play(full_scale_square(8000), 0)
    assert not sent and audio.open_streams() == 0 and not player.playing
