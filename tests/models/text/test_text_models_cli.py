"""Each text model trained and queried through the command line, as a script would."""
import json

import pytest

from explorer.cli.main import main
from tests.models.planted import GROUP_A, planted_corpus

FLAGS = {
    "onehot": ["--min-count", "1"],
    "cooc": ["--dim", "8", "--min-count", "1", "--method", "eig"],
    "softmax": ["--dim", "16", "--steps", "100", "--batch", "256", "--lr", "0.02", "--min-count", "1",
                "--threads", "1", "--device", "cpu"],
    "glove": ["--dim", "16", "--window", "5", "--epochs", "20", "--min-count", "1", "--threads", "1"],
    "fasttext": ["--dim", "16", "--buckets", "2000", "--epochs", "3", "--min-count", "1", "--sample", "0.001",
                 "--threads", "1"],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return planted_corpus(tmp_path_factory.mktemp("cli") / "c.txt")


@pytest.mark.parametrize("name", list(FLAGS))
def test_train_saves_the_four_files_and_neighbours_reads_them(name, corpus, tmp_path, capsys):
    out = tmp_path / name
    assert main(["train", name, "--corpus", str(corpus), "--out", str(out), *FLAGS[name]]) == 0
    assert {"vectors.txt", "model.safetensors", "config.json", "run.json"} <= {p.name for p in out.iterdir()}
    run = json.loads((out / "run.json").read_text())
    assert run["seconds"] > 0 and run["words_per_second"] > 0 and run["device"] == "cpu" and "final_loss" in run
    assert json.loads((out / "config.json").read_text())["model"] == name
    capsys.readouterr()
    assert main(["neighbours", str(out), GROUP_A[0], "-k", "5"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 5 and all(-1 <= float(s) <= 1 + 1e-6 for _, s in rows)
    if name != "onehot":
        assert sum(w in GROUP_A for w, _ in rows) >= 4


def test_neighbours_of_a_word_fasttext_never_saw(corpus, tmp_path, capsys):
    out = tmp_path / "ft"
    assert main(["train", "fasttext", "--corpus", str(corpus), "--out", str(out), *FLAGS["fasttext"]]) == 0
    capsys.readouterr()
    assert main(["neighbours", str(out), "Animal42", "-k", "5"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 5 and sum(w in GROUP_A for w, _ in rows) >= 4
    assert main(["neighbours", str(out), "chicken"]) == 0          # any word has n-grams to go by


def test_an_unseen_word_is_still_an_error_for_a_model_without_subwords(corpus, tmp_path, capsys):
    out = tmp_path / "glove"
    assert main(["train", "glove", "--corpus", str(corpus), "--out", str(out), *FLAGS["glove"]]) == 0
    capsys.readouterr()
    assert main(["neighbours", str(out), "animal42"]) == 2
    assert "not in the vocabulary" in capsys.readouterr().err


def test_warm_up_makes_the_first_train_and_map_kernels_ready(capsys):
    from models.text import word2vec

    assert main(["warm-up"]) == 0
    assert "Ready in" in capsys.readouterr().err
    assert word2vec._train_chunk.signatures        # compiled (or loaded) in this process, not on first Train
