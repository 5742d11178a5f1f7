"""Where the program keeps what it can make again: ``$EMBEDDING_EXPLORER_CACHE``, else the user's
cache folder (XDG on Linux). Tests point the variable at a temporary folder."""
from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "EMBEDDING_EXPLORER_CACHE"


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "embedding-explorer"
