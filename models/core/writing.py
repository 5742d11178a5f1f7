"""The one way to write files: a temporary file beside the target, renamed into place.

- Every output is written to ``.NAME.XXXX.tmp`` in the target's folder, flushed to disk and then
  renamed over ``NAME``: a write cut short (a kill, a full disk, a denied rename) leaves the old
  file as it was.
- A symbolic link standing where an output goes is refused, never written through or replaced: it
  may point anywhere (another user's file, a file outside the folder the user chose).
- Files that belong together (``.npy`` + vocabulary, the projector's TSV pair, separated sources
  and their scores) are staged as a set: all are written before any is renamed, and a rename that
  fails puts back those already renamed.
- A model folder is built whole beside the old one and swapped with it in one step
  (:func:`replaced_folder`), so no kill leaves new files beside an old checkpoint.
- A replaced file keeps its permissions; a new one gets the umask's, not ``mkstemp``'s 0600.
- Temporaries of ours that a killed save left behind (``.NAME.*.tmp``) are removed at the next
  save of ``NAME``.

Errors are ``OSError`` s; :func:`write_failure` words them for a person.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

TMP = ".tmp"
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM}


def temporary_name(name: str) -> str:
    """The prefix of our temporaries for ``name``: ``.NAME.``; they end in :data:`TMP`."""
    return f".{name}."


def is_temporary(entry: str) -> bool:
    return entry.startswith(".") and entry.endswith(TMP)


def umask() -> int:
    """The process's umask, read without changing it (os.umask sets it, for every thread at once)."""
    with contextlib.suppress(OSError, StopIteration, ValueError):
        with open("/proc/self/status") as f:
            return int(next(line for line in f if line.startswith("Umask:")).split()[1], 8)
    return 0o022


def check_target(path: Path) -> os.stat_result | None:
    """What stands at ``path`` now (None for nothing), refusing a symbolic link or a folder where a
    file goes. Raised as OSErrors so every writer reports them as it reports a full disk."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise OSError(errno.ELOOP, "a symbolic link stands where the file goes", str(path))
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "a folder stands where the file goes", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EEXIST, "something that is not a file stands where the file goes", str(path))
    return st


def remove_stale(path: Path) -> None:
    """Remove the temporaries a killed save of ``path`` left beside it (files or folders)."""
    prefix = temporary_name(path.name)
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            if entry.name.startswith(prefix) and entry.name.endswith(TMP):
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)


class Staged:
    """Files written to temporaries and renamed into place together (see :func:`staged`)."""

    def __init__(self):
        self._files: list[tuple[Path, str, int]] = []     # target, temporary, permissions to give

    def open(self, path: str | Path):
        """A binary file that becomes ``path`` when the set is committed."""
        path = Path(path)
        old = check_target(path)
        remove_stale(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temporary_name(path.name), suffix=TMP)
        mode = stat.S_IMODE(old.st_mode) if old is not None else 0o666 & ~umask()
        self._files.append((path, tmp, mode))
        return os.fdopen(fd, "wb")

    def write(self, path: str | Path, data) -> None:
        with self.open(path) as f:
            f.write(data)

    def _commit(self) -> None:
        for path, tmp, mode in self._files:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)            # on disk before its name is: a crash leaves old or new, never empty
            finally:
                os.close(fd)
            os.chmod(tmp, mode)
        for path, _, _ in self._files:      # checked again: a link may have appeared while writing
            check_target(path)
        backups, done = {}, []
        try:
            for path, tmp, _ in self._files:
                existed = path.exists()
                if len(self._files) > 1 and existed:
                    backups[path] = _backup(path)
                os.replace(tmp, path)
                done.append((path, existed))
        except BaseException:
            for path, existed in reversed(done):        # put the set back as it was
                with contextlib.suppress(OSError):
                    if backups.get(path):
                        os.replace(backups.pop(path), path)
                    elif not existed:
                        os.unlink(path)
            raise
        finally:
            for backup in filter(None, backups.values()):
                with contextlib.suppress(OSError):
                    os.unlink(backup)

    def _discard(self) -> None:
        for _, tmp, _ in self._files:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _backup(path: Path) -> str | None:
    """A second name for the current ``path`` (a hard link: no copy), to put it back by a rename;
    None on a file system without hard links (FAT), where a failed rename cannot be undone."""
    name = tempfile.mktemp(dir=path.parent, prefix=temporary_name(path.name), suffix=".old" + TMP)
    try:
        os.link(path, name)
    except OSError:
        return None
    return name


@contextlib.contextmanager
def staged():
    """``with staged() as files: files.write(a, ...); files.open(b)...``: nothing is renamed into
    place until the block ends without an error; then every file is, or (a failed rename) none."""
    files = Staged()
    try:
        yield files
        files._commit()
    finally:
        files._discard()


@contextlib.contextmanager
def atomic_open(path: str | Path):
    """A binary file that replaces ``path`` only once it is completely written and flushed."""
    with staged() as files, files.open(path) as f:
        yield f


def atomic_write_bytes(path: str | Path, data) -> None:
    with atomic_open(path) as f:
        f.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


# --- folders -----------------------------------------------------------------------------------
def check_folder(folder: Path, ours: set[str], force: bool = False) -> None:
    """Refuse, before any long work, an output folder that cannot be ours: a link, a file, or a
    folder holding anything but the files named in ``ours`` (and our temporaries), unless
    ``force``; and a place the program cannot write. Raised as OSErrors."""
    folder = Path(folder)
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise OSError(errno.ELOOP, "it is a symbolic link; give the folder it points to", str(folder))
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "a file stands where the folder goes", str(folder))
        foreign = sorted(e for e in os.listdir(folder) if e not in ours and not is_temporary(e))
        if foreign and not force:
            raise FileExistsError(errno.EEXIST, f"it holds files that are not a model's ({_names(foreign)})",
                                  str(folder))
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    fd, probe = tempfile.mkstemp(dir=parent, prefix=temporary_name(folder.name), suffix=TMP)
    os.close(fd)
    os.unlink(probe)


def check_outputs(paths: list[Path]) -> None:
    """Refuse, before any long work, outputs that could not be written: a link, a folder or a device
    where one goes, or a folder the program may not write to (what else it holds is the user's)."""
    for path in paths:
        check_target(Path(path))
    check_folder(Path(paths[0]).parent, ours=set(), force=True)


def _names(entries: list[str]) -> str:
    shown = ", ".join(entries[:3])
    return shown + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")


@contextlib.contextmanager
def replaced_folder(folder: str | Path, ours: set[str], force: bool = False):
    """``with replaced_folder(DIR, ours) as new: ...write into new...``: the block fills a new
    folder beside ``DIR``, which then takes ``DIR``'s place in one step (the old one is removed).
    ``ours`` names what our folder may hold (see :func:`check_folder`)."""
    folder = Path(folder)
    check_folder(folder, ours, force)
    folder.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(folder)
    new = Path(tempfile.mkdtemp(dir=folder.parent, prefix=temporary_name(folder.name), suffix=TMP))
    try:
        yield new
        _keep_modes(folder, new)
        _swap(new, folder)
    finally:
        shutil.rmtree(new, ignore_errors=True)      # after a swap: the old folder


def _keep_modes(old: Path, new: Path) -> None:
    try:
        os.chmod(new, stat.S_IMODE(os.stat(old).st_mode))
    except FileNotFoundError:
        os.chmod(new, 0o777 & ~umask())
    for entry in os.scandir(new):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(entry.path, stat.S_IMODE(os.lstat(old / entry.name).st_mode))


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap(new: Path, folder: Path) -> None:
    """Put ``new`` in ``folder``'s place; the old folder ends at ``new``'s name."""
    if not folder.exists():
        os.rename(new, folder)
        return
    if _exchange(new, folder):
        return
    # No atomic exchange (not Linux, or a file system without it): two renames, undone on failure.
    old = tempfile.mktemp(dir=folder.parent, prefix=temporary_name(folder.name), suffix=".old" + TMP)
    os.rename(folder, old)
    try:
        os.rename(new, folder)
    except BaseException:
        os.rename(old, folder)
        raise
    os.rename(old, new)


def _exchange(a: Path, b: Path) -> bool:
    """Linux's renameat2(RENAME_EXCHANGE): two names swapped in one step. False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


# --- messages ----------------------------------------------------------------------------------
def write_failure(e: OSError, what: str, kept: str) -> tuple[str, str]:
    """(problem, hint) for a UserError when writing ``what`` failed with ``e``: what happened and
    what to do; ``kept`` says what is unchanged, with its verb ("the previous checkpoint is")."""
    if e.errno in _FULL:
        hint = "The disk is full: free some space or choose another folder"
    elif e.errno == errno.EROFS:
        hint = "The disk is read-only: choose a folder on another disk"
    elif isinstance(e, PermissionError) or e.errno in _DENIED:
        hint = "Writing there is not allowed: choose another folder, or one you have write permission for"
    elif e.errno == errno.ENOENT:
        hint = "A folder on the way does not exist: create it or choose another"
    elif e.errno in (errno.ELOOP, errno.EISDIR, errno.ENOTDIR, errno.EEXIST):
        hint = "Remove or rename what stands there, or choose another place"
    else:
        hint = "Try again, or choose another folder"
    # The file is named unless it is ours to hide: one of our temporaries, or the target itself.
    shown = e.filename and str(e.filename) not in what and not any(is_temporary(p) for p in Path(e.filename).parts)
    where = f" ({e.filename})" if shown else ""
    return f"Could not save {what}{where}: {e.strerror or e}.", f"{hint}; {kept} unchanged."
