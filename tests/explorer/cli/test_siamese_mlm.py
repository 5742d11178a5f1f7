import json

import numpy as np
import pytest
import soundfile as sf

from explorer.cli.main import main
from tests.explorer.conftest import GROUP_A, GROUP_B, planted_corpus

SIAMESE = ["--source", "random", "--items", "10", "--holdout", "0.3", "--item-beats", "8", "--steps", "20",
           "--batch", "6", "--channels", "8", "--dim", "8", "--variants", "1", "--queries", "1",
           "--threads", "1", "--device", "cpu"]
MLM = ["--dim", "16", "--layers", "1", "--heads", "2", "--ff", "32", "--max-len", "16", "--min-count", "1",
       "--steps", "20", "--batch", "16", "--threads", "1", "--device", "cpu"]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDING_EXPLORER_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_train_siamese_writes_metrics_then_match_ranks_a_stereo_resampled_item_first(tmp_path, cache, capsys):
    out = tmp_path / "matcher"
    assert main(["train", "siamese", "--out", str(out), *SIAMESE]) == 0
    assert "baseline" in capsys.readouterr().err
    run = json.loads((out / "run.json").read_text())
    for key in ("top1", "top5", "auc", "baseline_top1"):
        assert 0.0 <= run[key] <= 1.0
    assert json.loads((out / "config.json").read_text())["model"] == "siamese"

    wav = next((cache / "siamese").glob("*/wav/tune0003.wav"))
    mono, sr = sf.read(wav)
    excerpt = mono[sr:4 * sr]
    stereo_16k = np.repeat(np.stack([excerpt, excerpt], axis=1), 2, axis=0)   # 16 kHz, two channels
    sf.write(tmp_path / "query.wav", stereo_16k, 2 * sr)
    assert main(["match", str(tmp_path / "query.wav"), "--model", str(out), "-k", "3"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [r[0] for r in rows] == ["1", "2", "3"] and rows[0][1] == "tune0003"
    scores = [float(r[2]) for r in rows]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)


def test_match_with_a_missing_query_or_model_is_a_one_line_error(tmp_path, capsys):
    assert main(["match", str(tmp_path / "nope.wav"), "--model", str(tmp_path)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "No model found" in err[0]


def test_train_mlm_then_contextual_prints_the_words_similarity_matrix(tmp_path, capsys):
    corpus = planted_corpus(tmp_path / "c.txt", lines=300)
    out = tmp_path / "mlm"
    assert main(["train", "mlm", "--corpus", str(corpus), "--out", str(out), *MLM]) == 0
    assert "masked-token accuracy" in capsys.readouterr().err
    assert 0.0 <= json.loads((out / "run.json").read_text())["masked_accuracy"] <= 1.0

    word = GROUP_A[1]
    sentences = [f"{GROUP_A[0]} {word} {GROUP_A[2]}", f"{GROUP_B[0]} {word} {GROUP_B[2]}", f"{word} {GROUP_A[3]}"]
    assert main(["contextual", str(out), "--word", word, *sentences]) == 0
    result = json.loads(capsys.readouterr().out)
    sims = np.array(result["similarity"])
    assert result["word"] == word and sims.shape == (3, 3)
    assert np.allclose(np.diag(sims), 1.0, atol=1e-4) and np.allclose(sims, sims.T)

    assert main(["contextual", str(out), "--word", "chicken", "chicken soup"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'chicken'" in err[0]
    assert main(["contextual", str(out), "--word", word, sentences[0], "no such word here"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such word here" in err[0]


def test_mlm_resume_finishes_a_stopped_model_as_the_straight_run_would_and_refuses_with_a_reason(tmp_path, capsys):
    from models.core.events import STOP
    from models.text import mlm
    from models.text.corpus import read_corpus

    corpus = planted_corpus(tmp_path / "c.txt", lines=300)
    assert main(["train", "mlm", "--corpus", str(corpus), "--out", str(tmp_path / "straight"), *MLM]) == 0
    # a run stopped at its 8th step, as Ctrl+C leaves it
    config = mlm.MLMConfig(dim=16, layers=1, heads=2, ff=32, max_len=16, min_count=1, steps=20, batch=16,
                           threads=1, device="cpu")
    gen = mlm.train(config, read_corpus(corpus))
    while next(gen).step < 8:
        pass
    with pytest.raises(StopIteration) as end:
        while True:
            gen.send(STOP)
    end.value.value.save(tmp_path / "cut")
    # no settings given again: the resumed run keeps the saved model's
    assert main(["train", "mlm", "--resume", str(tmp_path / "cut"), "--corpus", str(corpus),
                 "--out", str(tmp_path / "done")]) == 0
    straight, done = mlm.load_mlm(tmp_path / "straight"), mlm.load_mlm(tmp_path / "done")
    assert done.stats["steps_done"] == 20 and done.stats["resumed_at_step"] == 8 and not done.stats["stopped_early"]
    assert [s for s, _ in done.losses] == [s for s, _ in straight.losses]
    assert max(abs(a - b) for (_, a), (_, b) in zip(done.losses, straight.losses)) < 1e-6
    assert max(float(np.abs(done.state[k] - straight.state[k]).max()) for k in straight.state) < 1e-6

    for argv, phrase in ((["mlm", "--resume", str(tmp_path / "done")], "Raise Steps"),
                         (["mlm", "--resume", str(tmp_path / "cut"), "--dim", "32"], "trained with dim = 16"),
                         (["softmax", "--resume", str(tmp_path / "cut")], "cannot be continued as 'softmax'")):
        capsys.readouterr()
        assert main(["train", *argv, "--corpus", str(corpus), "--out", str(tmp_path / "again")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and phrase in err[0], err
    assert not (tmp_path / "again").exists()
