import json
import subprocess
import sys

import pytest

from explorer.cli.main import main
from models.core.device import no_gpu_possible
from models.registry import all_models
from models.text import onehot
from tests.explorer.conftest import GROUP_A, planted_corpus


def test_train_writes_vectors_model_config_and_run_json_then_neighbours_reads_them(tmp_path):
    corpus = planted_corpus(tmp_path / "c.txt", lines=1500)
    out = tmp_path / "model"
    done = subprocess.run([sys.executable, "-m", "explorer", "train", "sgns", "--corpus", str(corpus),
                           "--dim", "16", "--epochs", "2", "--min-count", "1", "--threads", "1",
                           "--seed", "3", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert {"vectors.txt", "model.safetensors", "config.json", "run.json"} <= {p.name for p in out.iterdir()}
    run = json.loads((out / "run.json").read_text())
    assert run["seconds"] > 0 and run["words_per_second"] > 0 and run["device"] == "cpu"
    assert run["final_loss"] == run["final_loss"]  # not NaN
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "sgns" and config["config"]["dim"] == 16 and config["config"]["seed"] == 3
    header = (out / "vectors.txt").read_text().splitlines()[0].split()
    assert header == [str(len(GROUP_A) * 2), "16"]

    nb = subprocess.run([sys.executable, "-m", "explorer", "neighbours", str(out), GROUP_A[0], "-k", "5"],
                        capture_output=True, text=True, timeout=120)
    assert nb.returncode == 0, nb.stderr
    rows = [line.split("\t") for line in nb.stdout.splitlines()]
    assert len(rows) == 5 and all(-1 <= float(s) <= 1 for _, s in rows)
    assert sum(w in GROUP_A for w, _ in rows) >= 4


@pytest.mark.skipif(not no_gpu_possible(), reason="where a GPU may be present, device 'auto' asks Torch")
def test_training_a_word_model_on_the_cpu_imports_no_torch_nor_another_model(tmp_path):
    """Torch is about 200 MB of the peak memory of a word model trained from the command line, and
    the word models' CPU kernels never use it."""
    argv = ["explorer", "train", "sgns", "--corpus", str(planted_corpus(tmp_path / "c.txt", lines=200)),
            "--dim", "8", "--epochs", "1", "--min-count", "1", "--threads", "1", "--out", str(tmp_path / "m")]
    modules = sorted({spec.module for spec in all_models()} | {"torch"})
    script = ("import json, runpy, sys\n"
              f"sys.argv = {argv!r}\n"
              "try:\n"
              "    runpy.run_module('explorer', run_name='__main__')\n"
              "except SystemExit as end:\n"
              "    assert end.code == 0, end.code\n"
              f"print(json.dumps([m for m in {modules!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["models.text.word2vec"]
    assert (tmp_path / "m" / "model.safetensors").is_file()


def test_train_help_lists_every_model_and_a_models_help_gives_its_flags_and_description(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    listing = capsys.readouterr().out
    assert all(spec.name in listing and spec.label in listing for spec in all_models())
    with pytest.raises(SystemExit):
        main(["train", "onehot", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--min-count" in text and "--corpus" in text and f"capped at {onehot.MAX_VOCAB:,} words" in text
    assert "--dim" not in text      # sgns's flag, not onehot's


def _bad_inputs(tmp):
    (tmp / "folder").mkdir()
    (tmp / "empty.txt").write_text("")
    (tmp / "binary.bin").write_bytes(bytes(range(256)) * 100)
    (tmp / "few.txt").write_text("only a handful of words here\n")
    return {"missing": tmp / "nope.txt", "folder": tmp / "folder", "empty": tmp / "empty.txt",
            "binary": tmp / "binary.bin", "few": tmp / "few.txt"}


@pytest.mark.parametrize("case, phrase", [("missing", "not found"), ("folder", "is a folder"),
                                          ("empty", "is empty"), ("binary", "binary"),
                                          ("few", "lower the minimum count")])
def test_bad_corpus_gives_one_clear_line_and_a_nonzero_exit(tmp_path, capsys, case, phrase):
    path = _bad_inputs(tmp_path)[case]
    code = main(["train", "sgns", "--corpus", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert len(err) == 1 and err[0].startswith("error:") and phrase in err[0], err
    assert not (tmp_path / "out").exists()


def test_unknown_word_and_missing_model_are_one_line_errors(tmp_path, capsys):
    assert main(["neighbours", str(tmp_path), "chicago"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No model found" in err[0]


def test_out_of_range_parameter_is_refused_before_training(tmp_path, capsys):
    corpus = planted_corpus(tmp_path / "c.txt", lines=50)
    assert main(["train", "cbow", "--corpus", str(corpus), "--dim", "0", "--out", str(tmp_path / "o")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dim" in err[0]


def test_ctrl_c_saves_the_model_so_far_and_resume_finishes_it_as_the_straight_run_would(tmp_path, capsys):
    import signal

    from models.loading import load_embedding

    corpus = planted_corpus(tmp_path / "c.txt", lines=800)
    common = ["--corpus", str(corpus), "--min-count", "1", "--threads", "1", "--seed", "5", "--epochs", "300"]
    assert main(["train", "cbow", *common, "--dim", "12", "--out", str(tmp_path / "straight")]) == 0
    with subprocess.Popen([sys.executable, "-m", "explorer", "train", "cbow", *common, "--dim", "12",
                           "--out", str(tmp_path / "cut")], stderr=subprocess.PIPE, text=True) as run:
        for line in run.stderr:          # the CLI says when training starts and Ctrl+C means "stop and save"
            if "Ctrl+C stops" in line:
                run.send_signal(signal.SIGINT)
                break
        err = run.stderr.read()
        assert run.wait(timeout=120) == 130 and "interrupted: saved the model trained so far" in err, err
    cut = load_embedding(tmp_path / "cut")
    assert cut.stats["stopped_early"] and cut.state
    # --dim is not given again: the resumed run keeps the saved model's 12 dimensions
    assert main(["train", "cbow", "--resume", str(tmp_path / "cut"), "--corpus", str(corpus),
                 "--out", str(tmp_path / "done")]) == 0
    straight, done = load_embedding(tmp_path / "straight"), load_embedding(tmp_path / "done")
    assert done.config.dim == 12 and done.stats["epochs_done"] == 300 and not done.stats["stopped_early"]
    assert [s for s, _ in done.losses] == [s for s, _ in straight.losses]
    assert max(abs(a - b) for (_, a), (_, b) in zip(done.losses, straight.losses)) < 1e-6
    capsys.readouterr()
    assert main(["train", "cbow", "--resume", str(tmp_path / "done"), "--corpus", str(corpus),
                 "--out", str(tmp_path / "again")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Raise Epochs" in err[0]


@pytest.mark.parametrize("model, fixed", [("fasttext", ["--buckets", "999"]), ("glove", ["--window", "3"])])
def test_resume_continues_fasttext_and_glove_for_more_epochs_keeping_their_settings(tmp_path, capsys, model, fixed):
    from models.loading import load_embedding

    corpus = planted_corpus(tmp_path / "c.txt", lines=400)
    common = ["--corpus", str(corpus), "--min-count", "1", "--threads", "1", "--seed", "5"]
    small = ["--buckets", "500"] if model == "fasttext" else []
    assert main(["train", model, *common, *small, "--dim", "12", "--epochs", "2", "--out", str(tmp_path / "two")]) == 0
    # neither --dim nor --buckets is given again: the resumed run keeps the saved model's
    assert main(["train", model, "--resume", str(tmp_path / "two"), "--corpus", str(corpus), "--epochs", "3",
                 "--out", str(tmp_path / "three")]) == 0
    two, three = load_embedding(tmp_path / "two"), load_embedding(tmp_path / "three")
    assert three.config.dim == 12 and three.config == type(two.config)(**{**vars(two.config), "epochs": 3})
    assert three.stats["epochs_done"] == 3 and not three.stats["stopped_early"]
    assert three.losses[:len(two.losses)] == two.losses and len(three.losses) > len(two.losses)
    if model == "glove":      # AdaGrad does not decay with the planned epochs: 2 + 1 epochs are 3
        assert main(["train", model, *common, "--dim", "12", "--epochs", "3", "--out", str(tmp_path / "straight")]) == 0
        straight = load_embedding(tmp_path / "straight")
        assert max(abs(a - b) for (_, a), (_, b) in zip(three.losses, straight.losses)) < 1e-6
        assert abs(three.tensors["input"] - straight.tensors["input"]).max() < 1e-6
    capsys.readouterr()
    assert main(["train", model, "--resume", str(tmp_path / "three"), "--corpus", str(corpus),
                 "--out", str(tmp_path / "again")]) == 2
    assert main(["train", model, "--resume", str(tmp_path / "two"), "--corpus", str(corpus), *fixed,
                 "--epochs", "3", "--out", str(tmp_path / "other")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "Raise Epochs" in err[0] and f"Keep {fixed[0][2:]} at" in err[1], err
    assert not (tmp_path / "again").exists() and not (tmp_path / "other").exists()
