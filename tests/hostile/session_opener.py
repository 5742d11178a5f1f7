"""A session file opened as the window opens it (read, then checked for everything a restore uses),
reported the way the command line reports: so that sessions keep the command line's promise too.

    python -m tests.hostile.session_opener FILE.eesession
"""
from __future__ import annotations

import sys


def open_session(path: str) -> int:
    from explorer.window.session import open_steps
    from models.core.events import drain
    from models.errors import UserError
    from models.printable import printable

    try:
        snapshot = drain(open_steps(path))
    except UserError as e:
        print(f"error: {printable(e)}", file=sys.stderr)
        return 2
    print(f"opened {len(snapshot.models)} model(s); the corpus it names, offered, not read: "
          f"{printable(snapshot.corpus)}")
    return 0


if __name__ == "__main__":
    sys.exit(open_session(sys.argv[1]))
