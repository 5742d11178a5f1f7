"""Reading recordings: damaged headers refused before allocating, NaN refused, clipping counted."""
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile

from models.audio import wav
from models.audio.wav import AudioFileError, read_mono, resampling_ratio
from models.siamese.audio import load_wav


def tone(rate=8000, seconds=0.25, amplitude=0.5, channels=1):
    t = np.arange(int(rate * seconds)) / rate
    x = amplitude * np.sin(2 * np.pi * 440 * t)
    return np.stack([x] * channels, axis=1).astype(np.float32) if channels > 1 else x.astype(np.float32)


def write_float(path, x, rate=8000):
    soundfile.write(path, x, rate, subtype="FLOAT")
    return path


def test_a_clean_file_reads_as_mono_at_the_asked_rate_noting_only_the_mixdown(tmp_path):
    path = tmp_path / "a.wav"
    soundfile.write(path, tone(22050, channels=2), 22050, subtype="PCM_16")
    rec = read_mono(path, 8000)
    assert rec.samples.dtype == np.float32 and rec.samples.ndim == 1 and rec.rate == 8000
    assert abs(len(rec.samples) - 2000) <= 1
    assert rec.clipped == 0 and rec.note == "a.wav has 2 channels; they were mixed down to one"
    soundfile.write(path, tone(22050), 22050, subtype="PCM_16")
    assert read_mono(path, 8000).note == ""


def test_samples_beyond_full_scale_are_clipped_counted_and_noted(tmp_path):
    x = tone(amplitude=1.5)
    path = write_float(tmp_path / "loud.wav", x)
    rec = read_mono(path, 16000)             # resampling a clipped wave overshoots: clipped again
    over = int(np.count_nonzero(np.abs(x) > 1))
    assert rec.clipped == over > 0 and f"{over:,} samples of loud.wav" in rec.note and "clipped" in rec.note
    assert np.abs(rec.samples).max() <= 1.0
    assert load_wav(path).clipped == over       # the matcher's reader is the same reader


def test_a_silent_file_is_read_and_said_to_be_silent(tmp_path):
    path = write_float(tmp_path / "muted.wav", np.zeros(4000, np.float32))
    rec = read_mono(path, 16000)
    assert len(rec.samples) == 8000 and not rec.samples.any()
    assert rec.note == "muted.wav is silent: every sample is zero"
    assert read_mono(write_float(tmp_path / "quiet.wav", tone(amplitude=1e-6)), 8000).note == ""


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_samples_are_refused_naming_the_file_and_where(tmp_path, bad):
    x = tone()
    x[1000] = bad
    path = write_float(tmp_path / "broken.wav", x)
    with pytest.raises(AudioFileError, match=r"broken.wav holds 1 NaN or infinite samples, the first at 0.125 s"):
        read_mono(path, 8000)


def _field(path, offset, code, value):
    data = bytearray(path.read_bytes())
    data[offset:offset + struct.calcsize(code)] = struct.pack(code, value)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("rate", [1, 999, 768_001, 2**32 - 1])
def test_a_sample_rate_no_recording_has_is_refused_as_a_damaged_header(tmp_path, rate):
    path = tmp_path / "r.wav"
    soundfile.write(path, tone(), 8000, subtype="PCM_16")
    _field(path, 24, "<I", rate)           # the fmt chunk's sample rate, right after RIFF/WAVE/fmt
    with pytest.raises(AudioFileError, match=r"r.wav"):
        read_mono(path, 8000)


def test_a_data_chunk_running_past_the_end_is_read_as_far_as_it_goes_and_noted(tmp_path):
    path = tmp_path / "cut.wav"
    soundfile.write(path, tone(seconds=0.5), 8000, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:-2000])      # 1000 of 4000 frames gone
    rec = read_mono(path, 8000)
    assert len(rec.samples) == 3000 and "cut.wav ends 2,000 bytes before its header says" in rec.note


def test_a_header_claiming_more_frames_than_the_file_holds_is_refused_before_reading(tmp_path, monkeypatch):
    """libsndfile already trims a WAV's frame count to the file, so a header that lies past that
    (as another container's might) is arranged by making the subtype's sample size larger."""
    path = tmp_path / "h.wav"
    soundfile.write(path, tone(), 8000, subtype="PCM_16")
    monkeypatch.setitem(wav.SAMPLE_BYTES, "PCM_16", 1000)
    monkeypatch.setattr(wav, "_read_mono_blocks", lambda *a: pytest.fail("read before the header was checked"))
    with pytest.raises(AudioFileError, match=r"h.wav: the header claims 2,000 frames of 1 channels, more than"):
        read_mono(path, 8000)


@pytest.mark.parametrize("container, subtype", [("FLAC", "PCM_16"), ("FLAC", "PCM_24"), ("FLAC", "PCM_S8"),
                                                ("OGG", "VORBIS"), ("OGG", "OPUS")])
def test_flac_and_ogg_are_read_like_wav_though_smaller_than_their_samples(tmp_path, container, subtype):
    """A FLAC file was refused as a damaged header: its frames times the sample width of its PCM
    subtype are more bytes than it has, because FLAC compresses them."""
    path = tmp_path / f"a.{container.lower()}"
    rate = 48000 if subtype == "OPUS" else 16000       # Opus decodes at 48 kHz whatever it was made from
    soundfile.write(path, tone(rate=rate, seconds=0.5, channels=2), rate, subtype=subtype, format=container)
    assert path.stat().st_size < rate * 0.5 * 2 * 2        # under the bytes of its samples as 16-bit PCM
    rec = read_mono(path, 8000)
    assert len(rec.samples) == 4000 and rec.clipped == 0 and rec.note.endswith("2 channels; they were mixed down to one")
    assert np.isfinite(rec.samples).all() and 0.4 < np.abs(rec.samples).max() <= 0.55


def test_garbage_missing_and_empty_files_are_audio_file_errors(tmp_path):
    (tmp_path / "g.wav").write_bytes(b"RIFF not really" * 20)
    soundfile.write(tmp_path / "e.wav", np.zeros(0, np.float32), 8000)
    for name, phrase in [("g.wav", "is not a readable audio file"), ("e.wav", "has no samples"),
                         ("none.wav", "not found")]:
        with pytest.raises(AudioFileError, match=phrase) as info:
            read_mono(tmp_path / name, 8000)
        assert name in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("rate, target, ratio", [(44100, 8000, (80, 441)), (96000, 8000, (1, 12)),
                                                 (11025, 16000, (640, 441)), (8000, 48000, (6, 1))])
def test_common_rates_are_resampled_exactly(rate, target, ratio):
    assert resampling_ratio(rate, target) == ratio


@pytest.mark.parametrize("rate", [44101, 767_999, 1009, 8001])
def test_an_odd_rate_gets_a_short_filter_within_ten_parts_per_million_and_the_exact_length(rate):
    up, down = resampling_ratio(rate, 16000)
    assert max(up, down) <= wav.MAX_RATIO_TERM and abs(up / down * rate / 16000 - 1) < 1e-5
    for n in (1, 999, rate * 3 + 1):
        assert len(wav.resample(np.zeros(n, np.float32), rate, 16000)) == -(-n * 16000 // rate)


def _edited_opus(tmp_path, seconds, channels, edits) -> "Path":
    """An Opus file with page header fields replaced ({(page, "granule" or "sequence"): value}),
    checksums redone so that libogg takes the pages."""
    from tests.fuzz.containers import _reseal_page, ogg_pages

    path = tmp_path / "o.ogg"
    soundfile.write(path, tone(rate=48000, seconds=seconds, channels=channels), 48000, subtype="OPUS", format="OGG")
    data = path.read_bytes()
    for (i, field), value in edits.items():
        at, length = ogg_pages(data)[i]
        page = bytearray(data[at:at + length])
        struct.pack_into(*(("<q", page, 6) if field == "granule" else ("<I", page, 18)), value)
        data = data[:at] + bytes(_reseal_page(page)) + data[at + length:]
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("seconds, channels, edits, phrase", [
    # Two the fuzzer found accepted, read with values no file held:
    (0.2, 2, {(2, "granule"): 1, (1, "sequence"): 0}, "ends at position 1, before its own pre-skip"),
    (0.2, 2, {(2, "granule"): 0, (1, "sequence"): 0}, "ends at position 0, before its own pre-skip"),
    # libsndfile took this one (page 2 of 5 said 80,000; page 3 says 73,920) for 63,040 frames of 96,000:
    (2.0, 1, {(2, "granule"): 80_000}, "goes back in time")])
def test_ogg_positions_that_cannot_be_true_are_refused_naming_the_page(tmp_path, seconds, channels, edits, phrase):
    path = _edited_opus(tmp_path, seconds, channels, edits)
    with soundfile.SoundFile(path) as f:          # libsndfile opens each of them without complaint
        assert f.frames != seconds * 48000
    with pytest.raises(AudioFileError) as info:
        read_mono(path, 16000)
    assert phrase in str(info.value) and str(path) in str(info.value)
