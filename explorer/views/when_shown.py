"""Work a hidden view puts off until it is shown.

A new model reaches every view at once, in the window's thread; a tab nobody looks at should not
make the window wait (the heatmap's and the comparison's redraws took 20-30 ms each as training
ended, on top of the map's). A view asks for its refresh through :class:`WhenShown`: at once if
it is visible, else when it is next shown, or when something reads its state first (``flush``).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class WhenShown(QObject):
    def __init__(self, view: QWidget, refresh):
        super().__init__(view)
        self._view, self._refresh, self.pending = view, refresh, False
        view.installEventFilter(self)

    def request(self) -> None:
        self.pending = True
        if self._view.isVisible():
            self.flush()

    def flush(self) -> None:
        """Run the refresh now if one is waiting."""
        if self.pending:
            self.pending = False
            self._refresh()

    def eventFilter(self, watched, event) -> bool:
        if watched is self._view and event.type() == QEvent.Type.Show:
            self.flush()
        return False
