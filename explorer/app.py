"""Starting the application: one QApplication, the main window, and clean thread shutdown at exit."""
from __future__ import annotations

import sys


def run_gui(argv: list[str] | None = None) -> int:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from explorer import workers
    from explorer.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("Embedding Explorer")
    pg.setConfigOptions(antialias=True)
    app.aboutToQuit.connect(lambda: workers.shutdown(2000))
    window = MainWindow()
    window.show()
    return app.exec()
