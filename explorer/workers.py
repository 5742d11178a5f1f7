"""The one bridge between model generators and Qt: no other module starts threads.

A :class:`Job` runs a generator function in Qt's global thread pool through superqt's
``GeneratorWorker``. Every ``yield`` of the generator is a point where stop, cancel, pause and
resume take effect; yielded events arrive in the GUI thread as the queued ``progress`` signal.

- ``stop()`` sends :data:`models.core.events.STOP` into the generator, which finishes early and
  *returns* what it has (a trainer returns the model trained so far): ``done`` fires.
- ``cancel()`` abandons the work at the next yield: ``cancelled`` fires, no result.
- Errors arrive as ``failed`` with a :class:`JobError` holding a message and the traceback.
- ``ended`` always fires last, whatever the outcome, so callers reset their UI in one place.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import traceback
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThreadPool, Signal
from superqt.utils import create_worker

from models.core.events import STOP
from models.errors import UserError

BACKGROUND_NICE = 10      # see _background_priority


@dataclass(frozen=True)
class JobError:
    job: str
    message: str          # one readable sentence, shown in the dialog
    details: str          # the traceback, shown under "Details" for bug reports
    user_error: bool      # True when the fix is in the user's hands (bad file, unknown word...)


class _WorkerCrash(Exception):
    """A RuntimeError from a generator, re-raised as another type: superqt treats a RuntimeError
    as a deleted worker and would swallow it without emitting ``finished``. Also what is raised
    for a BaseException that is not an Exception (the panic of a Rust binding such as safetensors'),
    which superqt does not catch: the thread would end with no signal, the window waiting for ever."""


def _guarded(func, *args, **kwargs):
    _background_priority()
    try:
        return (yield from func(*args, **kwargs))
    except RuntimeError as e:
        raise _WorkerCrash(f"{type(e).__name__}: {e}") from e
    except MemoryError as e:
        raise _WorkerCrash("Not enough memory for this task: close other programs, or use a smaller file.") from e
    except (Exception, GeneratorExit, KeyboardInterrupt, SystemExit):     # superqt reports or handles these
        raise
    except BaseException as e:      # noqa: BLE001 - see _WorkerCrash
        raise _WorkerCrash(f"{type(e).__name__}: {e}") from e


def _background_priority() -> None:
    """Lower this worker thread's CPU priority (Linux: per thread, inherited by the kernel threads
    it starts). Training keeps every core busy; at equal priority the window's thread waited for a
    core and for the GIL behind it, and the event loop stalled 40-110 ms several times a second.
    At nice 10 the scheduler runs the window's thread first, and a worker alone on the machine
    loses no speed. Elsewhere the call is skipped: there it would lower the whole process."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


_active: set["Job"] = set()


class Job(QObject):
    progress = Signal(object)
    done = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    ended = Signal()

    def __init__(self, name: str, func, *args, **kwargs):
        super().__init__()
        self.name = name
        self.outcome: str | None = None   # "done" | "failed" | "cancelled" once ended
        # Connecting "errored" here also stops superqt from re-raising the error in the GUI thread.
        self._worker = create_worker(_guarded, func, *args, _start_thread=False, _connect={
            "yielded": self.progress.emit, "returned": self._on_returned, "errored": self._on_errored,
            "aborted": self._on_aborted, "finished": self._on_finished}, **kwargs)

    # --- control ---------------------------------------------------------------------------
    def start(self) -> "Job":
        _active.add(self)
        self._worker.start()
        return self

    def stop(self) -> None:
        """Finish early and keep the result so far (the generator returns it)."""
        self._worker.send(STOP)

    def cancel(self) -> None:
        """Abandon the work at the next yield; no result."""
        self._worker.quit()

    def toggle_pause(self) -> None:
        self._worker.toggle_pause()

    @property
    def paused(self) -> bool:
        return self._worker.is_paused

    @property
    def running(self) -> bool:
        return self in _active

    # --- worker signals (queued into the GUI thread) ---------------------------------------
    def _on_returned(self, value) -> None:
        self.outcome = "done"
        self.done.emit(value)

    def _on_errored(self, exc: BaseException) -> None:
        self.outcome = "failed"
        cause = exc.__cause__ if isinstance(exc, _WorkerCrash) and exc.__cause__ else exc
        details = "".join(traceback.format_exception(cause))
        self.failed.emit(JobError(self.name, str(exc) or type(exc).__name__, details,
                                  isinstance(exc, UserError)))

    def _on_aborted(self) -> None:
        self.outcome = "cancelled"
        self.cancelled.emit()

    def _on_finished(self) -> None:
        _active.discard(self)
        self.ended.emit()


def launch(name: str, func, args, *, on_progress=None, on_done=None, on_failed=None, on_ended=None) -> Job:
    """Start a job with its callbacks connected (``on_ended`` is given the job): how
    :class:`explorer.app_state.Jobs` runs its work."""
    job = Job(name, func, *args)
    for signal, callback in ((job.progress, on_progress), (job.done, on_done), (job.failed, on_failed)):
        if callback:
            signal.connect(callback)
    if on_ended:
        job.ended.connect(lambda: on_ended(job))
    return job.start()


def start_job(name: str, func, *args, **kwargs) -> Job:
    """Create and start a job; connect to its signals before control returns to the event loop."""
    return Job(name, func, *args, **kwargs).start()


def call_once(func, *args, **kwargs):
    """A plain function as a one-step generator, so it runs through the same bridge."""
    return func(*args, **kwargs)
    yield  # noqa: unreachable; makes this a generator


def active_jobs() -> list[Job]:
    return list(_active)


def shutdown(timeout_ms: int = 2000) -> bool:
    """Cancel every job and wait for the pool to drain; True when all threads ended in time."""
    for job in list(_active):
        job.cancel()
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
