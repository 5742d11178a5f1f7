"""The one way to open a file for reading: regular files only, and never more than a stated ceiling.

A path can name a FIFO (opening it waits for a writer that never comes), a device (``/dev/zero``
never ends), a folder, or a symbolic link to any of them. :func:`open_regular` opens without
waiting (``O_NONBLOCK``), looks at what it opened, and refuses anything but a regular file, naming
what it is. :func:`read_bounded` reads such a file whole only when it fits under a ceiling, stated
in the message when it does not. Each reader passes its own error class, so a message names the
file the way that reader's errors do.
"""
from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path

_CHUNK = 1 << 24
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def size_text(n: int) -> str:
    """A byte count for a message: 1 GiB, 64 MiB, 512 KiB, 100 bytes."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n:,} bytes"


def kind_of(mode: int) -> str | None:
    """What a file of this mode is, in words, when it is not a regular file."""
    return next((name for test, name in _KINDS if test(mode)), None if stat.S_ISREG(mode) else "not a regular file")


def open_regular(path: str | Path, what: str, error: type[Exception], hint: str):
    """``path`` opened for binary reading; ``error(problem, hint)`` when it is missing, unreadable or
    not a regular file (a FIFO is refused at once, without waiting for a writer). ``what`` is what
    the file should be, with its article: "a model file"."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{path}: file not found.", "Check the path.") from None
    except IsADirectoryError:
        raise error(f"{path} is a folder, not {what}.", hint) from None
    except OSError as e:
        raise error(f"Cannot read {path}: {e.strerror or e}.", hint) from None
    try:
        mode = os.fstat(fd).st_mode
        kind = kind_of(mode)
        if kind is not None:
            raise error(f"{path} is {kind}, not {what}.", hint)
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)     # ordinary reads from here on
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular(path: str | Path, what: str, error: type[Exception], hint: str) -> int:
    """The size of ``path``, a regular file (see :func:`open_regular`): for readers a library opens
    by name (libsndfile, NumPy's memory map), checked just before they do."""
    with open_regular(path, what, error, hint) as f:
        return os.fstat(f.fileno()).st_size


def read_bounded(path: str | Path, limit: int, what: str, error: type[Exception], hint: str) -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes (files in /proc say they are
    empty and are not: the limit is kept while reading, not only taken from the size)."""
    with open_regular(path, what, error, hint) as f:
        size = os.fstat(f.fileno()).st_size
        data = _read_up_to(f, size, limit + 1) if size <= limit else b""
    if size > limit or len(data) > limit:
        raise error(f"{path} is larger than the {size_text(limit)} allowed for {what}.",
                    f"{hint} If it really is one, split it or shrink it.")
    return data


def _read_up_to(f, size: int, most: int) -> bytes:
    """At most ``most`` bytes: the stated ``size`` in one read (one buffer, no copy), then in chunks
    for a file that says less than it holds. Never read(most): Python allocates that much at once."""
    chunks, total, want = [], 0, size or _CHUNK
    while total < most and (chunk := f.read(min(want, most - total))):
        chunks.append(chunk)
        total += len(chunk)
        want = _CHUNK
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
