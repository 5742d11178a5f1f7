import json

import numpy as np
import pytest
import soundfile

from explorer.cli.main import build_parser, main
from models.audio import demo
from models.audio.deep_clustering import DeepClusteringConfig, train
from models.core.events import drain

TINY = dict(steps=3, minutes=5, hidden=8, layers=1, embedding_dim=4, batch_size=2, chunk_seconds=0.3,
            kmeans_inits=2, threads=1, device="cpu", train_per_voice=2, valid_mixtures=2, test_mixtures=2)


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    """One tiny demo-data cache for the module: speaking it takes seconds."""
    mp = pytest.MonkeyPatch()
    mp.setenv(demo.CACHE_ENV, str(tmp_path_factory.mktemp("dc-cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    config = DeepClusteringConfig(**TINY)
    folder = tmp_path_factory.mktemp("dc-model")
    drain(train(config, None)).save(folder)
    return folder, demo.load(config.demo_spec()).test[0]


def test_train_dc_takes_no_corpus_and_its_flags_come_from_the_config():
    parser = build_parser()
    args = parser.parse_args(["train", "dc", "--minutes", "0.5", "--device", "cpu", "--out", "x"])
    assert args.cfg_minutes == 0.5 and args.cfg_device == "cpu" and not hasattr(args, "corpus")
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "dc", "--corpus", "c.txt", "--out", "x"])


def test_train_dc_from_the_command_line_saves_model_and_test_figures(tmp_path, capsys):
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in TINY.items()]
    assert main(["train", "dc", *flags, "--out", str(tmp_path / "m")]) == 0
    run = json.loads((tmp_path / "m" / "run.json").read_text())
    assert run["steps"] == 3 and run["test_mixtures"] == 2
    assert isinstance(run["test_si_sdr_improvement"], float) and run["test_ibm_si_sdr_improvement"] > 3
    assert "test SI-SDR improvement" in capsys.readouterr().err


def test_separate_writes_two_wavs_and_metrics_against_references(tiny_model, tmp_path):
    model_dir, m = tiny_model
    # a stereo 16 kHz file: the command must downmix and resample it to the model's 8 kHz
    stereo = np.repeat(m.mixture[:, None], 2, axis=1)
    up = np.repeat(stereo, 2, axis=0)
    soundfile.write(tmp_path / "mix.wav", up, 16000)
    for j in range(2):
        soundfile.write(tmp_path / f"ref{j}.wav", m.sources[j], 8000, subtype="FLOAT")
    out = tmp_path / "out"
    code = main(["separate", str(tmp_path / "mix.wav"), "--model", str(model_dir), "--out", str(out),
                 "--reference", str(tmp_path / "ref0.wav"), str(tmp_path / "ref1.wav")])
    assert code == 0
    for k in (1, 2):
        wave, rate = soundfile.read(out / f"mix_source{k}.wav")
        assert rate == 8000 and wave.ndim == 1 and abs(len(wave) - len(m.mixture)) <= 2
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("si_sdr", "si_sdr_improvement", "ibm_si_sdr_improvement", "sdr_improvement"):
        assert isinstance(metrics[key], float)
    assert metrics["ibm_si_sdr_improvement"] > 3                   # the oracle really separates
    assert len(metrics["sources"]) == 2 and {"si_sdr", "sdr", "ibm"} <= set(metrics["sources"][0])


def test_separate_without_references_writes_only_the_sources(tiny_model, tmp_path):
    model_dir, m = tiny_model
    soundfile.write(tmp_path / "mix.wav", m.mixture, 8000)
    assert main(["separate", str(tmp_path / "mix.wav"), "--model", str(model_dir), "--out", str(tmp_path / "o")]) == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["mix_source1.wav", "mix_source2.wav"]


def test_separate_says_how_many_samples_of_a_loud_mixture_it_clipped(tiny_model, tmp_path, capsys):
    model_dir, m = tiny_model
    loud = m.mixture * (1.5 / np.abs(m.mixture).max())
    over = int(np.count_nonzero(np.abs(loud) > 1))
    soundfile.write(tmp_path / "loud.wav", loud, 8000, subtype="FLOAT")
    assert main(["separate", str(tmp_path / "loud.wav"), "--model", str(model_dir), "--out", str(tmp_path / "o")]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert over > 0 and notes == [f"note: {over:,} samples of loud.wav were outside [-1, 1] and were clipped"]


@pytest.mark.parametrize("case", ["missing", "garbage", "empty", "nan"])
def test_a_bad_wav_is_a_one_line_error_naming_the_file(tiny_model, tmp_path, capsys, case):
    model_dir, _ = tiny_model
    path = tmp_path / f"{case}.wav"
    if case == "garbage":
        path.write_bytes(b"not a wav at all" * 10)
    elif case == "empty":
        soundfile.write(path, np.zeros(0, np.float32), 8000)
    elif case == "nan":
        soundfile.write(path, np.array([0.1, np.nan, 0.2] * 100, np.float32), 8000, subtype="FLOAT")
    code = main(["separate", str(path), "--model", str(model_dir), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and err[0].startswith("error:") and str(path) in err[0], err
    assert not (tmp_path / "o").exists()


def test_separate_with_a_missing_model_is_a_one_line_error(tmp_path, capsys):
    soundfile.write(tmp_path / "mix.wav", np.zeros(800, np.float32), 8000)
    assert main(["separate", str(tmp_path / "mix.wav"), "--model", str(tmp_path / "none"),
                 "--out", str(tmp_path / "o")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "No model found" in err[0]


def test_separate_without_model_uses_the_bundled_one(tiny_model, tmp_path, monkeypatch, capsys):
    """The bundled model is stood in for by the tiny one: what is pinned is which folder is used."""
    from models.audio import deep_clustering

    model_dir, m = tiny_model
    monkeypatch.setattr(deep_clustering, "PRETRAINED", model_dir)
    soundfile.write(tmp_path / "mix.wav", m.mixture, 8000)
    for k, s in enumerate(m.sources):
        soundfile.write(tmp_path / f"ref{k}.wav", s, 8000, subtype="FLOAT")
    assert main(["separate", str(tmp_path / "mix.wav"), "--out", str(tmp_path / "o"),
                 "--reference", str(tmp_path / "ref0.wav"), str(tmp_path / "ref1.wav")]) == 0
    assert json.loads((tmp_path / "o" / "metrics.json").read_text())["model"] == str(model_dir)


def test_a_long_stereo_recording_at_44k_is_separated_in_chunks_and_the_mixdown_is_noted(tiny_model, tmp_path, capsys):
    model_dir, m = tiny_model
    rng = np.random.default_rng(0)
    seconds = 70                              # past 1.5 chunks of 20 s: four chunks
    left = (0.1 * rng.standard_normal(seconds * 44100)).astype(np.float32)
    soundfile.write(tmp_path / "long.wav", np.stack([left, -0.5 * left], 1), 44100, subtype="PCM_16")
    assert main(["separate", str(tmp_path / "long.wav"), "--model", str(model_dir), "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "note: long.wav has 2 channels; they were mixed down to one" in err
    for k in (1, 2):
        info = soundfile.info(tmp_path / "o" / f"long_source{k}.wav")
        assert info.samplerate == 8000 and info.frames == seconds * 8000
