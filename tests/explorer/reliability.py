"""Fault drills shared by the CI test (a few rounds) and tests/benchmarks/bench_reliability.py (many):
closing the window at a random moment of training, start/stop cycles, and killing a save.

Each drill that can crash a process runs in a child process (``python -m tests.explorer.reliability
DRILL ...``), so an abort is seen as an exit code, not as the end of the test run.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BAD_WORDS = ("Destroyed while thread", "Aborted", "Traceback", "Fatal Python error", "Signal source has been deleted")


def _child(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "tests.explorer.reliability", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def close_during_training(corpus: Path, delay: float) -> dict:
    """Start training, close the window after ``delay`` seconds; how the process ended."""
    done = _child("close", str(corpus), str(delay))
    ended = time.time()
    lines = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    bad = [w for w in BAD_WORDS if w in done.stderr]
    # From the click on close to the end of the process, as a person waits for it.
    exit_seconds = ended - float(lines.get("closed_at", "nan"))
    return {"code": done.returncode, "close_seconds": exit_seconds,
            "trained_before_close": lines.get("progress") == "1", "bad": bad, "stderr": done.stderr[-2000:]}


def kill_during_save(folder: Path, delay: float) -> bool:
    """Kill a process that keeps re-saving a model into ``folder`` after ``delay`` seconds; True
    when the folder still loads afterwards."""
    from models.text.embedding import load_embedding

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with subprocess.Popen([sys.executable, "-m", "tests.explorer.reliability", "save", str(folder)], cwd=ROOT,
                          env=env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout.readline().strip() == "saving"
        try:                        # let it save for ``delay`` seconds: it must not end by itself
            proc.wait(timeout=delay)
            raise AssertionError(f"the saving process ended by itself with code {proc.returncode}")
        except subprocess.TimeoutExpired:
            proc.kill()
    model = load_embedding(folder)
    return model.tensors["input"].shape[0] == len(model.vocab)


def _run_close(corpus: str, delay: float) -> int:
    from PySide6.QtCore import QTimer

    from explorer.app import create_app, run_until_quit
    from explorer.main_window import MainWindow

    app = create_app([])
    w = MainWindow(corpus_path=corpus, warm_up=True)
    w.show()
    seen = []

    def start(_corpus):
        w.panel.form.set_value("min_count", 1)
        w.panel.form.set_value("epochs", 1000)
        w.panel.train_button.click()
        w.jobs["train"].progress.connect(lambda _ev: seen.append(1))
        QTimer.singleShot(int(delay * 1000), close)

    def close():
        print(f"closed_at={time.time():.3f}")
        print(f"progress={int(bool(seen))}", flush=True)
        w.close()
        app.quit()
    w.corpus_loaded.connect(start)
    return run_until_quit(app)


def _run_save(folder: str) -> int:
    import numpy as np

    from models.text.embedding import TrainedEmbedding
    from models.text.vocab import Vocabulary
    from models.text.word2vec import SGNSConfig

    rng = np.random.default_rng(0)
    n = 20_000
    vocab = Vocabulary([f"w{i}" for i in range(n)], np.arange(n, 0, -1, dtype=np.int64))
    model = TrainedEmbedding("sgns", SGNSConfig(dim=50), vocab, {"input": rng.random((n, 50), dtype=np.float32),
                                                                   "output": rng.random((n, 50), dtype=np.float32)})
    model.save(folder)
    print("saving", flush=True)
    while True:
        model.tensors["input"] += 1.0
        model.save(folder)


if __name__ == "__main__":
    drill, *rest = sys.argv[1:]
    sys.exit(_run_close(rest[0], float(rest[1])) if drill == "close" else _run_save(rest[0]))
