"""The collector pause: off inside, on again after the last of nested or overlapping uses, and
what was made inside is settled out of the collector's reach."""
import gc
import threading

import pytest

from models.core.heap import collector_paused


@pytest.fixture(autouse=True)
def _restore_gc():
    was = gc.isenabled()
    yield
    gc.unfreeze()
    (gc.enable if was else gc.disable)()


def test_the_collector_is_off_inside_and_on_after_nested_uses():
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_uses_in_two_threads_end_with_the_collector_on():
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other():
        with collector_paused():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(5)
    with collector_paused():
        pass
    assert not gc.isenabled()          # the other thread's pause still holds
    release.set()
    t.join(5)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_what_was_made_inside_is_settled():
    gc.enable()
    gc.unfreeze()
    with collector_paused():
        made = [[i] for i in range(10_000)]
    assert gc.get_freeze_count() >= len(made)
    walked = {id(o) for o in gc.get_objects()}        # what a collection would walk
    assert not any(id(x) in walked for x in made)
