"""One record per word-vector file format: everything the readers, the writers, the sniffing, the
command line and the window's file dialogs need to know of it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable


def the_path_itself(path: Path) -> list[Path]:
    return [path]


@dataclass(frozen=True)
class VectorFormat:
    name: str                    # what --from/--to and the code call it
    description: str             # what the save dialog says of it, before its name pattern
    extensions: tuple[str, ...]  # endings of its files, in the file dialogs; the first is the one offered
    # ``read(path)`` and ``write(vectors, path)`` are generators of Progress (unit "rows"); read
    # returns the WordVectors, write the paths it wrote. Both raise VectorFileError.
    read: Callable
    write: Callable
    aliases: tuple[str, ...] = ()
    # A file ending in one of the extensions is this format without reading it. False where
    # formats share an ending (.txt) and are told apart by content.
    by_name: bool = True
    # ``sniff(head)``: whether a file whose first 64 KiB are ``head`` is of this format.
    sniff: Callable[[bytes], bool] | None = None
    fallback: bool = False       # the format of a file that neither its name nor any sniff claims
    folder_file: str = ""        # a folder holding a file of this name is read as this format
    forbidden: str = r"\s"       # a pattern of what a word may not hold in this format
    outputs: Callable[[Path], list[Path]] = the_path_itself   # every file a write to a path makes

    @property
    def dialog_filter(self) -> str:
        """The save dialog's entry, e.g. ``word2vec text (*.txt)``; the dialog returns it when chosen."""
        return f"{self.description} (*{self.extensions[0]})"
