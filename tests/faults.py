"""A full disk and a denied rename, injected by patching ``os``.

Mocks stand in for the real faults because neither can be made in CI: filling a disk is not an
option on a shared machine, and a test may run as root, whom no permission stops. Every atomic
write in the project opens its temporary file with ``os.fdopen`` and moves it with ``os.replace``,
so patching those two reaches every save, in whichever thread it runs.
"""
from __future__ import annotations

import errno
import os


class Fault:
    """Counts the calls it watches and fails the ``nth``; ``fired`` says whether an error was raised."""

    def __init__(self, nth: int):
        self.nth = nth
        self.calls = 0
        self.fired = False

    def due(self) -> bool:
        self.calls += 1
        return self.calls == self.nth


class _FullFile:
    """A file on a disk with ``room`` bytes left: a longer write stores what fits, then fails."""

    def __init__(self, f, room: int, fault: Fault):
        self.f, self.room, self.fault = f, room, fault

    def write(self, data) -> int:
        data = memoryview(data).cast("B")
        if len(data) > self.room:
            self.f.write(data[:self.room])
            self.room = 0
            self.fault.fired = True
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def full_disk(monkeypatch, nth: int = 1, room: int = 10) -> Fault:
    """The ``nth`` file opened for writing runs out of space after ``room`` bytes (ENOSPC)."""
    fault, real = Fault(nth), os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        f = real(fd, mode, *args, **kwargs)
        return _FullFile(f, room, fault) if "w" in mode and fault.due() else f

    monkeypatch.setattr(os, "fdopen", fdopen)
    return fault


def denied_rename(monkeypatch, nth: int = 1) -> Fault:
    """The ``nth`` rename into place is refused (EACCES), as in a folder the user may not change."""
    fault, real = Fault(nth), os.replace

    def replace(src, dst, *args, **kwargs):
        if fault.due():
            fault.fired = True
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    return fault


FAULTS = {"full disk": full_disk, "denied rename": denied_rename}
ADVICE = {"full disk": "The disk is full: free some space or choose another folder",
          "denied rename": "Writing there is not allowed: choose another folder"}


def temp_files(folder) -> list[str]:
    """Temporary files an atomic write left behind in ``folder``."""
    return sorted(p.name for p in os.scandir(folder) if p.name.endswith(".tmp"))
