"""A pane of a view: widgets and layouts stacked top to bottom in a bare widget.

Panes go into splitters, which draw their own handles and gaps, so a pane's layout has no margins
of its own: with Qt's default margins the contents would sit inset from the splitter's edge.
"""
from __future__ import annotations

from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget


def column(*parts, **widget_options) -> QWidget:
    """A widget (built with ``widget_options``) holding ``parts`` top to bottom, without margins;
    each part is a widget or a layout, or a (part, stretch) pair."""
    pane = QWidget(**widget_options)
    layout = QVBoxLayout(pane)
    layout.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        part, stretch = part if isinstance(part, tuple) else (part, 0)
        if isinstance(part, QLayout):
            layout.addLayout(part, stretch)
        else:
            layout.addWidget(part, stretch)
    return pane
