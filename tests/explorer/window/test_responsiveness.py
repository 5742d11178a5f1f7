"""What keeps the window responsive while workers run: their lower CPU priority, and a loaded
corpus kept out of the garbage collector's walks."""
from __future__ import annotations

import os
import sys
import threading

import numpy as np
import pytest

from explorer import workers


def _own_priority():
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    yield  # noqa: unreachable; makes this a generator


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is Linux's")
def test_jobs_run_at_background_priority_and_the_window_thread_keeps_its_own(qtbot):
    main = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    job = workers.start_job("priority", _own_priority)
    with qtbot.waitSignal(job.done, timeout=5000) as got:
        pass
    # Raising a thread's priority needs privileges: a process started below 10 stays where it was.
    assert got.args[0] == max(main, workers.BACKGROUND_NICE)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main
    qtbot.waitUntil(lambda: not job.running, timeout=5000)


def test_a_loaded_corpus_gives_the_garbage_collector_nothing_to_walk_and_the_window_freezes_the_rest(qtbot, window):
    # A full collection walks every tracked object holding the GIL: a corpus holds its tokens as
    # integer arrays and makes a sentence's list of words only when asked, and what the window
    # holds is frozen out of the walks until it closes.
    import gc

    corpus = window.corpus
    assert corpus.sentences[0] == corpus.sentences[0] and corpus.sentences[0] is not corpus.sentences[0]
    assert corpus.token_ids.ids.dtype == np.int32 and not gc.is_tracked(corpus.token_ids.ids)
    assert gc.get_freeze_count() > 0
    window.close()
    assert gc.get_freeze_count() == 0


def test_the_start_up_warm_up_waits_while_a_model_trains_then_goes_on():
    # Loading a compiled kernel holds the GIL in one long call: never while the user trains.
    from explorer.window.main_window import _warm_up

    answers = [True, True, False]
    gen = _warm_up(lambda: answers.pop(0) if answers else False)
    assert next(gen) is None and next(gen) is None       # waiting, at points where a cancel lands
    assert next(gen).message                              # then the word2vec warm-up's own events
    assert not answers
    gen.close()


def test_a_trained_model_arrives_with_its_unit_vectors_made_in_the_worker():
    from explorer.window.main_window import _views_ready
    from models.core.events import drain
    from tests.explorer.views.test_map import known_embedding

    model = known_embedding()

    def trainer():
        yield None
        return model
    assert model.vectors._unit is None
    assert drain(_views_ready(trainer())) is model and model.vectors._unit is not None
