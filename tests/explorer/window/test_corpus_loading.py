"""Opening a corpus in the window: a folder of text files, and Stop while it loads."""
import time

from models.text import corpus as corpus_module


def test_a_folder_of_text_files_opens_as_the_corpus(qtbot, window, tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("alpha beta gamma\n" * 50)
    (folder / "b.txt").write_text("delta epsilon\n" * 50)
    with qtbot.waitSignal(window.corpus_loaded, timeout=10_000) as loaded:
        window.panel.corpus_chosen.emit(str(folder))
    assert loaded.args[0].n_tokens == 250 and loaded.args[0].path == folder
    assert "250 words in 100 lines" in window.panel.corpus_info.text()
    qtbot.waitUntil(window.panel.train_button.isEnabled, timeout=5_000)


def test_stop_while_a_corpus_loads_abandons_it_at_once_and_keeps_the_one_before(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDING_EXPLORER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(corpus_module, "_CHUNK", 1 << 12)      # many chunks, so loading is still going on
    big = tmp_path / "big.txt"
    big.write_text("the cat sat on the mat and the dog ran far away\n" * 200_000)
    before = window.corpus
    window.open_corpus(str(big))
    job = window.jobs["corpus"]
    with qtbot.waitSignal(job.progress, timeout=10_000):
        pass
    assert window.panel.stop_button.isEnabled() and not window.panel.train_button.isEnabled()
    with qtbot.waitSignal(job.cancelled, timeout=5_000):
        clicked = time.perf_counter()
        window.panel.stop_button.click()
    assert time.perf_counter() - clicked < 1.0
    assert window.corpus is before and "stopped" in window.panel.corpus_info.text()
    qtbot.waitUntil(lambda: window.panel.train_button.isEnabled() and not window.panel.stop_button.isEnabled(),
                    timeout=5_000)
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_a_corpus_opened_while_another_loads_replaces_it_and_keeps_stop(qtbot, window, tmp_path, monkeypatch):
    """The first loading gives way at once; its end must not switch Stop off or speak for the second."""
    monkeypatch.setenv("EMBEDDING_EXPLORER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(corpus_module, "_CHUNK", 1 << 12)
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("the cat sat on the mat and the dog ran far away\n" * 200_000)
    second.write_text("alpha beta gamma delta\n" * 100_000)
    window.open_corpus(str(first))
    gave_way = window.jobs["corpus"]
    with qtbot.waitSignal(gave_way.progress, timeout=10_000):
        pass
    with qtbot.waitSignal(window.corpus_loaded, timeout=60_000) as loaded:
        window.open_corpus(str(second))
        loading = window.jobs["corpus"]
        assert loading is not gave_way
        qtbot.waitUntil(lambda: not gave_way.running, timeout=5_000)
        assert gave_way.outcome == "cancelled"
        assert window.panel.stop_button.isEnabled() == loading.running
        assert "stopped" not in window.panel.corpus_info.text()
    assert loaded.args[0].path == second and loaded.args[0].n_tokens == 400_000
    qtbot.waitUntil(lambda: window.panel.train_button.isEnabled() and not window.panel.stop_button.isEnabled(),
                    timeout=5_000)
