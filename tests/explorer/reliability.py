"""Fault drills shared by the CI test (a few rounds) and tests/benchmarks/bench_reliability.py (many):
closing the window at a random moment of training, start/stop cycles, and killing a save of a
model or of a session (at random moments, and at every step of a session save in turn).

Each drill that can crash a process runs in a child process (``python -m tests.explorer.reliability
DRILL ...``), so an abort is seen as an exit code, not as the end of the test run.
"""
from __future__ import annotations

import os
import signal
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
    from models.loading import load_embedding

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


def drill_session(seed: int, n: int = 20_000):
    """A session as the window saves one: a 20,000-word skip-gram checkpoint, its map layout and
    selections (built directly, so that a child process starts without Torch or numba)."""
    import numpy as np

    from models.core.checkpoint import Checkpoint
    from models.core.session import SavedModel, Session

    rng = np.random.default_rng(seed)
    vocab = {"words": [f"w{i}" for i in range(n)], "counts": list(range(n, 0, -1))}
    model = Checkpoint("sgns", {"dim": 50}, {"input": rng.random((n, 50), dtype=np.float32),
                                             "output": rng.random((n, 50), dtype=np.float32)}, {"vocab": vocab})
    return Session([SavedModel(model, {"name": f"1 · sgns {seed}"})],
                   {"layout.pca": rng.random((1000, 2), dtype=np.float32)},
                   {"current": 0, "selected": f"w{seed}", "tab": "Map"})


def kill_session_save_at(path: Path, point: int) -> str | None:
    """Save :func:`drill_session` (seed 1) over the session file at ``path`` in a child process
    that kills itself (SIGKILL, which nothing can catch) at the ``point``-th step of the save: each
    progress event, the flush of the temporary file to disk, and the rename into place (just
    before each). Returns the step it was killed at ("progress", "fsync" or "replace"), or None
    when the save has fewer steps than ``point`` and finished."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "tests.explorer.reliability", "session-step", str(path), str(point)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode == -signal.SIGKILL:
        return done.stdout.split()[-1]
    assert done.returncode == 0, done.stderr[-2000:]
    return None


def kill_during_session_save(path: Path, delay: float) -> bool:
    """Kill a process that keeps re-saving a session to ``path`` after ``delay`` seconds; True when
    the file still opens afterwards, as one of the sessions saved."""
    from models.core.session import read_session

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with subprocess.Popen([sys.executable, "-m", "tests.explorer.reliability", "session-loop", str(path)], cwd=ROOT,
                          env=env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout.readline().strip() == "saving"
        try:
            proc.wait(timeout=delay)
            raise AssertionError(f"the saving process ended by itself with code {proc.returncode}")
        except subprocess.TimeoutExpired:
            proc.kill()
    back = read_session(path)
    return back.models[0].checkpoint.tensors["input"].shape == (20_000, 50) and back.state["current"] == 0


def _run_session_step(path: str, point: int) -> int:
    from models.core.session import save_session_steps

    steps = 0

    def step(kind: str) -> None:
        nonlocal steps
        steps += 1
        if steps == point:
            print(kind, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    def before(func):
        def wrapped(*args, **kwargs):
            step(func.__name__)
            return func(*args, **kwargs)
        return wrapped

    os.fsync, os.replace = before(os.fsync), before(os.replace)
    for _event in save_session_steps(path, drill_session(1)):
        step("progress")
    return 0


def _run_session_loop(path: str) -> int:
    from models.core.session import save_session

    session = drill_session(0)
    save_session(path, session)
    print("saving", flush=True)
    while True:
        session.models[0].checkpoint.tensors["input"] += 1.0      # a new session each time
        save_session(path, session)


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
    sys.exit({"close": lambda: _run_close(rest[0], float(rest[1])), "save": lambda: _run_save(rest[0]),
              "session-step": lambda: _run_session_step(rest[0], int(rest[1])),
              "session-loop": lambda: _run_session_loop(rest[0])}[drill]())
