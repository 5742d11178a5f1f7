"""The recorded speech of registry packages read into the broad data: KDE's and Tux Paint's clips into
runs of one speaker per language, the Amazon Queen's lines by speaker, Beneath a Steel Sky's in runs."""
import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import propack
import pytest
import soundfile

from models.audio import broad, demo
from models.core.writing import staged

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


def _bundle(path: Path, files: dict[str, bytes], cut: int = 0) -> None:
    """A rebuilt Flight of the Amazon Queen bundle ("QTBL" table, then the files), ``cut`` bytes short."""
    table = len(files) * separation_data.QUEEN_ENTRY
    head = b"QTBL" + b"CEM10\0" + b"\0\0" + b"\1" + len(files).to_bytes(2, "big")
    offset, rows, body = len(head) + table, b"", b""
    for name, data in files.items():
        rows += name.encode().ljust(12, b"\0") + b"\1" + offset.to_bytes(4, "big") + len(data).to_bytes(4, "big")
        offset += len(data)
        body += data
    blob = head + rows + body
    path.write_bytes(blob[:len(blob) - cut])


def _line(seconds: float, seed: int) -> bytes:
    buf = io.BytesIO()
    t = np.arange(int(seconds * 11025)) / 11025
    soundfile.write(buf, 0.3 * np.sin(2 * np.pi * (100 + 40 * seed) * t), 11025, format="WAV")
    return buf.getvalue()


def _queen_files() -> dict[str, bytes]:
    files = {f"1200{i:02X}P1.SB": _line(2.0, i) for i in range(20)}         # the person of dialogue 12: 40 s
    files |= {f"1200{i:02X}J1.SB": _line(1.5, i) for i in range(10)}        # Joe in that dialogue
    files |= {f"JOE{i:05d}.SB": _line(1.5, i) for i in range(10)}           # Joe's comments
    files |= {f"3300{i:02X}P2.SB": _line(2.0, i) for i in range(5)}         # dialogue 33: 10 s, too little
    files |= {"C18B_193.SB": _line(3.0, 1), "1000SSSS.SB": _line(3.0, 2),   # a cutaway line, a sound
              "1200FFP1.SB": _line(0.5, 3), "ROOM.PCX": b"\0" * 99}          # a line too short to overlap
    return files


def test_amazon_queen_lines_are_read_by_speaker_from_its_bundle(tmp_path, monkeypatch):
    bundle = tmp_path / "queen.1c"
    _bundle(bundle, _queen_files())
    monkeypatch.setattr(separation_data, "QUEEN", bundle)

    lines = separation_data.read_queen(np.random.default_rng(0))

    assert sorted(lines) == ["joe", "p12"]              # dialogue 33's 10 s left out, no cutaway speaker
    rate = separation_data.SAMPLE_RATE
    assert len(lines["p12"]) == 20 and all(len(x) == 2 * rate for x in lines["p12"])
    assert len(lines["joe"]) == 20 and all(len(x) == int(1.5 * rate) for x in lines["joe"])
    monkeypatch.setattr(separation_data, "QUEEN_SECONDS", 5.0)
    monkeypatch.setattr(separation_data, "QUEEN_MIN_SECONDS", 4.0)
    capped = separation_data.read_queen(np.random.default_rng(0))
    assert len(capped["p12"]) == 3 and len(capped["p33"]) == 3         # stops at the cap

    _bundle(bundle, _queen_files(), cut=1000)           # a cut bundle: its last file lies past the end
    try:
        separation_data.read_queen(np.random.default_rng(0))
    except SystemExit as e:
        assert str(bundle) in str(e) and "outside the file" in str(e)
    else:
        raise AssertionError("a cut bundle was read")
    bundle.write_bytes(b"RIFF" + bytes(40))
    try:
        separation_data.read_queen(np.random.default_rng(0))
    except SystemExit as e:
        assert "no rebuilt Flight of the Amazon Queen bundle" in str(e)
    else:
        raise AssertionError("a file of another kind was read as a bundle")


def _steel_sky(folder: Path, lines: list[float], cut: int = 0) -> None:
    """``sky.dnr`` and ``sky.dsk`` as the talkie edition ships them: a table of numbered files, each a
    header and packed data, speech among graphics; one speech file at an offset counted in 16-byte
    units; lines of ``lines`` seconds, unsigned 8-bit at 11,025 Hz; ``sky.dsk`` ``cut`` bytes short."""
    folder.mkdir(parents=True, exist_ok=True)
    rate = separation_data.SKY_RATE
    files = [(100, bytes(22) + propack.pack(bytes(range(256)) * 8))]        # a picture, not speech
    for k, seconds in enumerate(lines):
        t = np.arange(int(seconds * rate)) / rate
        pcm = np.round(128 + 60 * np.sin(2 * np.pi * (110 + 20 * k) * t)).astype(np.uint8)
        files.append((50000 + 3 * k, bytes(22) + propack.pack(pcm.tobytes())))
    rows, disk = b"", b""
    for i, (number, data) in enumerate(files):
        if i == 2:                       # this one's offset in 16-byte units, bit 23 set
            disk += bytes(-len(disk) % 16)
            offset = len(disk) // 16 | 1 << 23
        else:
            offset = len(disk)
        flags = len(data) | 1 << 22      # a flag above the size, as the game's files have
        rows += number.to_bytes(2, "little") + offset.to_bytes(3, "little") + flags.to_bytes(3, "little")
        disk += data
    (folder / "sky.dnr").write_bytes(len(files).to_bytes(4, "little") + rows)
    (folder / "sky.dsk").write_bytes(disk[:len(disk) - cut])


def test_steel_sky_lines_are_unpacked_and_taken_in_runs_of_consecutive_lines(tmp_path, monkeypatch):
    folder = tmp_path / "sky"
    _steel_sky(folder, [2.0, 3.0, 0.5, 2.5, 2.0, 1.5])
    monkeypatch.setattr(separation_data, "SKY", folder)
    monkeypatch.setattr(separation_data, "SKY_RUN_SECONDS", 4.5)
    runs = separation_data.read_sky()
    rate = separation_data.SAMPLE_RATE
    # the half-second line is too short to overlap; runs close once they reach 4.5 s, and the last,
    # under half that, joins the one before
    assert {k: [round(len(x) / rate, 2) for x in v] for k, v in runs.items()} == \
        {"00": [2.0, 3.0], "01": [2.5, 2.0, 1.5]}
    x = runs["00"][1]                    # unsigned bytes around 128 -> the tone, centred, at 8 kHz
    assert abs(float(np.mean(x))) < 0.01 and 0.4 < float(np.max(np.abs(x))) < 0.5
    spectrum = np.abs(np.fft.rfft(x))
    assert abs(np.argmax(spectrum) * rate / len(x) - 130) < 2

    utts, names = separation_data.sky_utterances()
    assert names == ["sky:00"] * 2 + ["sky:01"] * 3 and len(utts) == 5
    monkeypatch.setattr(separation_data, "SKY_RUN_SECONDS", 5.5)        # a last run of half or more stays
    assert [len(v) for v in separation_data.read_sky().values()] == [3, 2]


def test_damaged_steel_sky_files_stop_with_the_file_named(tmp_path, monkeypatch):
    folder = tmp_path / "sky"
    monkeypatch.setattr(separation_data, "SKY", folder)
    with pytest.raises(SystemExit, match="apt-get install beneath-a-steel-sky"):
        separation_data.read_sky()
    _steel_sky(folder, [2.0, 2.0], cut=100)              # the last file lies past the end
    with pytest.raises(SystemExit, match="file 50003 lies outside sky.dsk"):
        separation_data.read_sky()
    _steel_sky(folder, [2.0, 2.0])
    table = (folder / "sky.dnr").read_bytes()
    (folder / "sky.dnr").write_bytes(table[:-5])          # a table shorter than its count
    with pytest.raises(SystemExit, match="cut short"):
        separation_data.read_sky()
    _steel_sky(folder, [2.0, 2.0])
    disk = bytearray((folder / "sky.dsk").read_bytes())
    disk[-40:] = bytes(40)                                 # the last line's packed data spoiled
    (folder / "sky.dsk").write_bytes(bytes(disk))
    with pytest.raises(SystemExit, match="speech file 50003 does not unpack"):
        separation_data.read_sky()
    _steel_sky(folder, [2.0, 2.0])
    monkeypatch.setattr(separation_data, "SKY_LINE_MAX_BYTES", 20000)  # a line that would unpack too large
    with pytest.raises(SystemExit, match="speech file 50000 does not unpack .it claims more than 20,000 bytes"):
        separation_data.read_sky()
    monkeypatch.setattr(separation_data, "GAME_MAX_BYTES", 1000)       # a disk larger than a game's
    with pytest.raises(SystemExit, match="larger than the 1,000 bytes allowed"):
        separation_data.read_sky()
    monkeypatch.setattr(separation_data, "GAME_MAX_BYTES", 1 << 30)
    (folder / "sky.dsk").unlink()
    (folder / "sky.dsk").symlink_to("/dev/zero")                        # a device that never ends
    with pytest.raises(SystemExit, match="character device"):
        separation_data.read_sky()


def test_the_ninth_version_is_the_eighth_with_the_steel_sky_runs_appended(tmp_path, monkeypatch):
    folder, previous, out = tmp_path / "sky", tmp_path / "v8", tmp_path / "v9"
    _steel_sky(folder, [2.0] * 10)
    monkeypatch.setattr(separation_data, "SKY", folder)
    monkeypatch.setattr(separation_data, "SKY_RUN_SECONDS", 10.0)
    previous.mkdir()
    rng = np.random.default_rng(1)
    rate = separation_data.SAMPLE_RATE
    old = [rng.normal(0, 0.1, rate * (1 + i % 3)).astype(np.float32) for i in range(6)]
    old_speakers = ["tuxpaint:en", "espeak:a", "rhvoice:anna", "espeak:a", "tuxpaint:en", "rhvoice:anna"]
    old_names = sorted(set(old_speakers))
    with staged() as files:
        for split, speakers in (("train", old_speakers), ("heldout_synth", old_speakers[:2]),
                                ("heldout_real", old_speakers[:2]), ("heldout_recordings", old_speakers[:2])):
            separation_data.save_bank(files, previous / f"{split}.safetensors", old[:len(speakers)], speakers,
                                      old_names)
    index = {"seed": 1, "speakers": {s: old_names for s in separation_data.SPLITS}}
    (previous / "speakers.json").write_text(json.dumps(index))

    for wrong in (tmp_path / "nothing", previous):     # no data there; the data to extend written over
        with pytest.raises(SystemExit) as stopped:
            separation_data.extend(wrong, previous)
        assert str(wrong) in str(stopped.value)
    separation_data.extend(previous, out)

    before, after = broad.load_bank("train", previous), broad.load_bank("train", out)
    names = broad.speaker_names("train", out)
    assert names == sorted(old_names + ["sky:00", "sky:01"])
    assert len(after) == len(before) + 10
    for i in range(len(before)):             # the old utterances as they were, each by the same speaker
        assert np.array_equal(after.utterance(i), before.utterance(i))
        assert names[after.speaker[i]] == old_names[before.speaker[i]]
    added = [names[s] for s in after.speaker[len(before):]]
    assert added == ["sky:00"] * 5 + ["sky:01"] * 5
    assert broad.recorded(after, names)[len(before):].all()
    for split in ("heldout_synth", "heldout_real", "heldout_recordings"):
        assert (out / f"{split}.safetensors").read_bytes() == (previous / f"{split}.safetensors").read_bytes()
        assert broad.speaker_names(split, out) == old_names
