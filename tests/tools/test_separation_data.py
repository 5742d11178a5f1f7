"""The recorded clips of KDE's games, read into runs of one speaker per language."""
import importlib.util
from pathlib import Path

import numpy as np
import soundfile

from models.audio import demo

_spec = importlib.util.spec_from_file_location(
    "separation_data", Path(__file__).resolve().parents[2] / "tools" / "separation_data.py")
separation_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(separation_data)


def _word(path: Path, rate: int, seconds: float, level: float, seed: int) -> None:
    """A voiced burst between two stretches of silence, as a recorded word is."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(seed)
    voiced = level * np.sin(2 * np.pi * rng.uniform(100, 300) * t) * np.hanning(len(t))
    silence = np.zeros(rate // 4)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, np.concatenate([silence, voiced, silence]), rate)


def test_clips_become_runs_of_one_level_with_each_language_one_speaker_and_bad_files_left_out(tmp_path, monkeypatch):
    letters, toys = tmp_path / "letters", tmp_path / "toys"
    for i in range(8):
        _word(letters / "pt_BR" / "alpha" / f"{i}.wav", 44100, 0.6, 0.5, i)
        _word(toys / "pt" / f"{i}.ogg", 22050, 0.5, 0.05, 10 + i)
        _word(toys / "sr@latin" / f"{i}.wav", 16000, 0.7, 0.2, 20 + i)
        _word(toys / "nn" / f"{i}.wav", 48000, 0.7, 0.2, 30 + i)
    # the same clips under another spelling of the language's name: read once
    for i in range(8):
        (toys / "sr@ijekavian").mkdir(exist_ok=True)
        (toys / "sr@ijekavian" / f"{i}.wav").write_bytes((toys / "sr@latin" / f"{i}.wav").read_bytes())
    (toys / "pt" / "damaged.ogg").write_bytes(b"OggS" + bytes(200))
    soundfile.write(toys / "sr@latin" / "silent.wav", np.zeros(8000), 16000)
    # a header that claims 128 kHz, as a few of KLettres' Danish clips do: played at that rate it is noise
    soundfile.write(letters / "pt_BR" / "fast.wav", np.ones(128000) * 0.3, 128000)
    # a file far larger than any word, loud and 3 s long: never read
    soundfile.write(toys / "pt" / "huge.wav", np.full((48000 * 3, 8), 0.3), 48000, subtype="PCM_32")
    assert (toys / "pt" / "huge.wav").stat().st_size > separation_data.KDE_MAX_BYTES
    monkeypatch.setattr(separation_data, "KDE_FOLDERS", (letters, toys))
    monkeypatch.setattr(separation_data, "KDE_RUN_SECONDS", (1.0, 1.5))

    runs = separation_data.read_kde(np.random.default_rng(0))

    assert sorted(runs) == ["no", "pt", "sr"]          # pt_BR and pt one speaker, sr@latin is sr, nn is no
    rate = separation_data.SAMPLE_RATE
    for language, out in runs.items():
        assert out and all(len(r) >= rate // 2 for r in out)
        for r in out:
            # every clip brought to one level, whatever it was recorded at; the 128 kHz one never read
            loud = r[np.abs(r) > 1e-3]
            assert abs(np.sqrt(np.mean(loud ** 2)) / demo.LEVEL_RMS - 1.0) < 0.35
            assert np.max(np.abs(r)) < 0.2
    again = separation_data.read_kde(np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(runs["pt"], again["pt"]))
    # both games' Portuguese clips, 16 of 0.5-0.6 s, each once; the Serbian ones once, not twice
    sound = sum(np.count_nonzero(r) for r in runs["pt"]) / rate
    assert 16 * 0.4 < sound < 16 * 0.65
    sound = sum(np.count_nonzero(r) for r in runs["sr"]) / rate
    assert 8 * 0.5 < sound < 8 * 0.75

    # a speaker's runs stop at the cap
    monkeypatch.setattr(separation_data, "KDE_SECONDS", 2.0)
    capped = separation_data.read_kde(np.random.default_rng(0))["pt"]
    assert 2.0 * rate <= sum(map(len, capped)) < 3.6 * rate


def test_tux_paint_descriptions_are_one_speaker_per_language_and_a_stamp_s_copy_is_read_once(tmp_path, monkeypatch):
    stamps = tmp_path / "stamps"
    for i in range(6):
        _word(stamps / "animals" / f"frog{i}_desc_be.ogg", 44100, 0.6, 0.3, i)
        _word(stamps / "food" / f"cake{i}_desc.ogg", 44100, 0.5, 0.3, 10 + i)
        _word(stamps / "food" / f"cake{i}_desc_pt_BR.ogg", 8000, 0.5, 0.3, 20 + i)
        # a stamp's variant with the same recording: read once
        (stamps / "animals" / f"frog{i}-1_desc_be.ogg").write_bytes((stamps / "animals" / f"frog{i}_desc_be.ogg").read_bytes())
        _word(stamps / "animals" / f"frog{i}.ogg", 44100, 0.6, 0.3, 30 + i)     # a sound effect, not speech
    (stamps / "food" / "odd_desc_da.ogg.ogg").write_bytes((stamps / "food" / "cake0_desc.ogg").read_bytes() + b"x")
    monkeypatch.setattr(separation_data, "TUXPAINT", stamps)
    monkeypatch.setattr(separation_data, "KDE_RUN_SECONDS", (1.0, 1.5))

    names = {p.name: s for s, p in separation_data.tuxpaint_clips()}
    assert names["frog0_desc_be.ogg"] == "be" and names["cake0_desc.ogg"] == "en"
    assert names["cake0_desc_pt_BR.ogg"] == "pt" and names["odd_desc_da.ogg.ogg"] == "da"
    assert not any(name.startswith("frog0.") for name in names)

    runs = separation_data.read_tuxpaint(np.random.default_rng(0))
    assert sorted(runs) == ["be", "da", "en", "pt"]
    rate = separation_data.SAMPLE_RATE
    sound = sum(np.count_nonzero(r) for r in runs["be"]) / rate
    assert 6 * 0.45 < sound < 6 * 0.8              # six clips of 0.6 s (0.65 s with the codec's tails), not twelve
    monkeypatch.setattr(separation_data, "TUXPAINT_SECONDS", 1.0)
    capped = separation_data.read_tuxpaint(np.random.default_rng(0))["be"]
    assert rate <= sum(map(len, capped)) < 2.6 * rate
