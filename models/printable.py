"""The one way to show text that came from a file: words, model names, paths, messages quoting them.

A vocabulary or a file name can hold anything: ESC sequences that retitle or clear a terminal, a
carriage return that overwrites what was printed, NUL, right-to-left overrides that reorder a line
as it is shown, and line breaks that forge an extra result line. :func:`printable` shows every such
character as an escape (``\\x1b``, ``\\u202e``, ``\\n``) instead of letting a terminal or a Qt label
interpret it; everything else, accents and scripts included, is shown as it is.
"""
from __future__ import annotations

import html
import unicodedata

# Bidirectional controls: they reorder the text around them where it is drawn (Trojan Source).
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Joiners shape Indic and Arabic script and emoji sequences; they stay as they are.
_KEPT_FORMAT = "\u200c\u200d"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _hidden(ch: str) -> bool:
    # Cc: C0 and C1 controls and DEL; Zl, Zp: line and paragraph separators; Cf: invisible format
    # characters (bidi controls, zero-width spaces, BOM) but the joiners; Cs: lone surrogates.
    return ch in _BIDI or (unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") and ch not in _KEPT_FORMAT)


def printable(text) -> str:
    """``text`` (or ``str(text)``) with control, format and bidi characters escaped: safe to
    print on a terminal or put in a label, and never more than one line."""
    text = str(text)
    if text.isprintable():       # the common case, in C: nothing to escape
        return text
    return "".join(_escaped(ch) if _hidden(ch) else ch for ch in text)


def one_line(e: Exception | str, limit: int = 200) -> str:
    """An exception's message fit for a one-line error: Torch and safetensors write paragraphs,
    zipfile quotes a damaged header's bytes whole. Runs of spaces and line breaks become one space."""
    text = printable(" ".join(str(e).split())).rstrip(".")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def printable_html(text) -> str:
    """:func:`printable`, for a label that reads rich text: ``<``, ``>`` and ``&`` shown, not obeyed."""
    return html.escape(printable(text), quote=False)
