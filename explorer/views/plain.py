"""Labels, tooltips and message boxes that show text as text.

Qt guesses whether a label's, a tooltip's or a message box's text is HTML (``Qt.mightBeRichText``):
a word of a corpus, a model's name in a session file or a recording's file name such as
``<img src=/some/file>`` would be obeyed, and Qt would read the file it names to draw it. So every
label of the window is made here: plain text, or a bold heading (:func:`heading`) whose quoted words
are escaped. Where a label is rich text on purpose, what it quotes goes through
:func:`models.printable.printable_html`.
"""
from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from models.printable import printable, printable_html


def plain_label(text: str = "", **options) -> QLabel:
    """A label that shows ``text`` (and whatever is set later) exactly, never as HTML."""
    return QLabel(text, textFormat=Qt.PlainText, **options)


def heading(text: str) -> str:
    """``text`` as a rich-text heading: bold, and whatever it quotes shown, not obeyed."""
    return f"<b>{printable_html(text)}</b>"


def heading_label(text: str) -> QLabel:
    """A bold label; later headings go in with :func:`heading`."""
    return QLabel(heading(text), textFormat=Qt.RichText)


def tooltip(text) -> str:
    """``text`` as a tooltip shows it, control characters escaped (:func:`printable`): tooltips
    have no plain-text mode, so it goes as escaped HTML."""
    return QtGui.Qt.convertFromPlainText(printable(text), Qt.WhiteSpaceNormal)


def point_tip(x, y, data) -> str:
    """The tooltip of a scatter point (pyqtgraph's ``tip``): its word or name."""
    return tooltip(data)


def plain_box(*args, **options) -> QMessageBox:
    """A message box whose text is shown exactly (messages quote paths and words of files)."""
    box = QMessageBox(*args, **options)
    box.setTextFormat(Qt.PlainText)
    return box
