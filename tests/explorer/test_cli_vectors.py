import json
import subprocess
import sys

import numpy as np
import pytest

from explorer.cli import main
from models.vectors.evaluation import evaluate_analogies
from models.text.embedding import TrainedEmbedding
from models.text.vocab import Vocabulary
from models.text.word2vec import SGNSConfig
from models.vectors.formats import read_vectors, write_vectors
from models.vectors.store import WordVectors

ROYALS = {"man": [1, 0, 0], "woman": [0, 1, 0], "king": [1, 0, 1], "queen": [0, 1, 1],
          "apple": [-1, -1, 0.2], "car": [0.2, -0.5, -1], "paris": [0.3, 0.2, -0.4], "france": [0.1, 0.6, 0.2]}


def _royals() -> WordVectors:
    return WordVectors(list(ROYALS), np.array(list(ROYALS.values()), dtype=np.float32))


def _model_folder(path):
    v = _royals()
    vocab = Vocabulary(v.words, np.arange(len(v), 0, -1, dtype=np.int64))
    TrainedEmbedding("sgns", SGNSConfig(dim=v.dim), vocab, {"input": v.matrix, "output": v.matrix}).save(path)
    return path


def test_convert_walks_through_every_format_and_comes_back_unchanged(tmp_path, capsys):
    v = _royals()
    write_vectors(v, tmp_path / "start.txt")
    steps = [("start.txt", "a.bin", []), ("a.bin", "proj", []), ("proj", "m.npy", []),
             ("m.npy", "g.dat", ["--to", "glove"]), ("g.dat", "end.vec", ["--from", "glove"])]
    for src, dst, flags in steps:
        assert main(["vectors", "convert", str(tmp_path / src), str(tmp_path / dst), *flags]) == 0
        assert f"{len(v)} words x {v.dim} dimensions" in capsys.readouterr().err
    back = read_vectors(tmp_path / "end.vec")
    assert back.words == v.words
    np.testing.assert_array_equal(back.matrix, v.matrix)
    assert (tmp_path / "proj" / "metadata.tsv").is_file()


def test_eval_prints_json_with_section_accuracy_coverage_and_spearman(tmp_path, capsys):
    write_vectors(_royals(), tmp_path / "v.bin")
    (tmp_path / "q.txt").write_text(": royal\nman woman king queen\nman woman duke duchess\n"
                                    ": gram-x\nking queen man woman\n")
    (tmp_path / "p.tsv").write_text("man\tking\t7\nking\tqueen\t5\napple\tcar\t1\nman\tduke\t3\n")
    assert main(["eval", str(tmp_path / "v.bin"), "--analogies", str(tmp_path / "q.txt"),
                 "--pairs", str(tmp_path / "p.tsv"), "--method", "3cosmul", "--failures"]) == 0
    out = json.loads(capsys.readouterr().out)
    direct = evaluate_analogies(_royals(), tmp_path / "q.txt", method="3cosmul")
    assert out["words"] == len(ROYALS) and out["analogies"]["method"] == "3cosmul"
    assert out["analogies"]["accuracy"] == pytest.approx(direct.accuracy)
    assert out["analogies"]["sections"]["royal"]["skipped"] == 1
    assert out["analogies"]["coverage"] == pytest.approx(2 / 3, abs=1e-6)
    pairs = out["pairs"]["p.tsv"]
    assert pairs["used"] == 3 and pairs["pairs"] == 4 and -1 <= pairs["spearman"] <= 1


def test_eval_of_a_model_folder_uses_the_bundled_benchmarks_by_default(tmp_path, capsys):
    folder = _model_folder(tmp_path / "model")
    assert main(["eval", str(folder)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["analogies"]["sections"]) == 14
    assert set(out["pairs"]) == {"wordsim353.tsv", "simlex999.txt"}
    assert out["analogies"]["answered"] + out["analogies"]["skipped"] == 19544


@pytest.mark.parametrize("source", ["model", "file"])
def test_analogy_prints_the_top_k_answers_for_a_model_folder_or_a_file(tmp_path, capsys, source):
    path = _model_folder(tmp_path / "model") if source == "model" else tmp_path / "v.npy"
    if source == "file":
        write_vectors(_royals(), path)
    assert main(["analogy", str(path), "Man", "woman", "king", "-k", "3", "--method", "3cosadd"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and rows[0][0] == "queen"
    assert 1 >= float(rows[0][1]) > float(rows[1][1]) > float(rows[2][1])


@pytest.mark.parametrize("argv, phrase", [
    (["analogy", "{v}", "man", "duke", "king"], "'duke' is not in the vocabulary"),
    (["analogy", "{bad}", "a", "b", "c"], "bad.txt, line 3: 1 values, expected 2"),
    (["eval", "{v}", "--analogies", "{missing}"], "nope.txt: file not found"),
    (["vectors", "convert", "{v}", "{tmp}/out.xyz"], "Cannot tell a vector format from the name 'out.xyz'"),
    (["vectors", "convert", "{tmp}/nothing", "{tmp}/o.txt"], "No model found"),
])
def test_mistakes_give_one_error_line_and_exit_code_2(tmp_path, capsys, argv, phrase):
    write_vectors(_royals(), tmp_path / "v.txt")
    (tmp_path / "bad.txt").write_text("2 2\na 1 2\nb 3\n")
    (tmp_path / "nothing").mkdir()
    names = {"v": tmp_path / "v.txt", "bad": tmp_path / "bad.txt", "missing": tmp_path / "nope.txt", "tmp": tmp_path}
    code = main([a.format(**names) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error:") and phrase in err[0], err
    assert not (tmp_path / "out.xyz").exists()


def test_the_module_entry_point_runs_convert(tmp_path):
    write_vectors(_royals(), tmp_path / "v.txt")
    done = subprocess.run([sys.executable, "-m", "explorer", "vectors", "convert", str(tmp_path / "v.txt"),
                           str(tmp_path / "v.bin")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert read_vectors(tmp_path / "v.bin").words == list(ROYALS)
