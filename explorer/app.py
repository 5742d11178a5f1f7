"""Starting the application: one QApplication, the main window, and clean thread shutdown at exit."""
from __future__ import annotations

import os
import sys

import pyqtgraph as pg
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

from explorer import workers
from explorer.main_window import MainWindow
from explorer.tuning import tune_window


def create_app(argv: list[str] | None = None):
    """The QApplication, configured once; at quit, background jobs are cancelled and waited for."""
    tune_window()
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("Embedding Explorer")
    pg.setConfigOptions(antialias=True)
    app.aboutToQuit.connect(lambda: workers.shutdown(1500))
    return app


def run_until_quit(app) -> int:
    """Run the event loop; leave at once if a cancelled job is still inside a long call."""
    code = app.exec()
    if workers.active_jobs() or QThreadPool.globalInstance().activeThreadCount():
        # The job is inside one long call that cannot see the cancel (a numba compile, an ARPACK
        # solve). Tearing Python down under that thread can abort the process, and waiting for it
        # can take minutes. Nothing is lost by leaving now: every save goes to a temporary file
        # that is renamed into place, so a file is either whole or untouched.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def run_gui(argv: list[str] | None = None) -> int:
    app = create_app(argv)
    window = MainWindow()
    window.show()
    return run_until_quit(app)
