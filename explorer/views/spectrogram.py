"""Plot pieces for audio views: a brushing view box, a spectrogram with overlays, a waveform.

Brushing: a left drag draws a rectangle that stays as a movable, resizable ROI; moving it
re-selects live. A left click clears it. Ctrl+drag pans and the wheel zooms, as elsewhere.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal

COLOUR_MAP = "magma"                      # perceptually uniform, dark = quiet
MASKED_MAP = "CET-L1"                     # perceptual grey under the mask's colours, which stay readable
SOURCE_COLOURS = ("#0072B2", "#E69F00")   # Okabe-Ito blue and orange: safe for colour-blind eyes
HIGHLIGHT = (0, 255, 170, 235)            # brushed bins, unlike anything in magma
PLAYHEAD = "#00e5ff"
MASK_RANGE_DB = 40.0
BRUSH_PEN = pg.mkPen("#00e5ff", width=2)
EMPTY_BAND_HZ = 4000.0                    # what an empty spectrogram spans: the demo voices' band at 8 kHz


def move_playhead(line: pg.InfiniteLine, seconds: float | None) -> None:
    if seconds is None:
        line.hide()
    else:
        line.setValue(seconds)
        line.show()


def rgba(colour: str, alpha: int) -> tuple[int, int, int, int]:
    c = pg.mkColor(colour)
    return c.red(), c.green(), c.blue(), alpha


class BrushViewBox(pg.ViewBox):
    """A view box whose left drag brushes a rectangle; ``brushed`` gives it in data coordinates
    (a QRectF), or None once cleared."""

    brushed = Signal(object)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.roi = pg.RectROI([0, 0], [1, 1], pen=BRUSH_PEN, rotatable=False)
        self.roi.setZValue(20)
        self.roi.hide()
        self.addItem(self.roi, ignoreBounds=True)
        self.roi.sigRegionChanged.connect(self._roi_moved)

    def brush(self) -> QRectF | None:
        if not self.roi.isVisible():
            return None
        pos, size = self.roi.pos(), self.roi.size()
        return QRectF(pos.x(), pos.y(), size.x(), size.y())

    def set_brush(self, rect: QRectF) -> None:
        rect = rect.normalized()
        self.roi.show()
        self.roi.setPos(QPointF(rect.x(), rect.y()), update=False)
        self.roi.setSize(QPointF(max(rect.width(), 1e-9), max(rect.height(), 1e-9)))

    def clear_brush(self, quiet: bool = False) -> None:
        was = self.roi.isVisible()
        self.roi.hide()
        if was and not quiet:
            self.brushed.emit(None)

    def _roi_moved(self) -> None:
        if self.roi.isVisible():
            self.brushed.emit(self.brush())

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() != Qt.LeftButton or axis is not None or ev.modifiers() & Qt.ControlModifier:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        self.set_brush(QRectF(self.mapToView(ev.buttonDownPos()), self.mapToView(ev.pos())))

    def mouseClickEvent(self, ev):
        if ev.button() == Qt.LeftButton:
            ev.accept()
            self.clear_brush()
            return
        super().mouseClickEvent(ev)


class Spectrogram:
    """dB image (rows = frequency, columns = frames) in seconds x hertz, with a source-mask
    overlay, a brushed-bins overlay and a playhead."""

    def __init__(self, plot: pg.PlotItem, title: str = ""):
        self.plot = plot
        plot.setTitle(title, color="#333", size="10pt")
        plot.setLabel("bottom", "time", units="s")
        plot.setLabel("left", "frequency", units="Hz")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get(COLOUR_MAP))
        self.mask = pg.ImageItem(axisOrder="row-major")
        self.highlight = pg.ImageItem(axisOrder="row-major")
        for z, item in enumerate((self.image, self.mask, self.highlight)):
            item.setZValue(z - 10)
            plot.addItem(item)
        self.playhead = pg.InfiniteLine(angle=90, pen=pg.mkPen(PLAYHEAD, width=2))
        self.playhead.setZValue(30)
        self.playhead.hide()
        plot.addItem(self.playhead, ignoreBounds=True)
        self.shape = (0, 0)
        # Empty, the plot spans a second of the demo's band instead of pyqtgraph's -0.05..1.05,
        # which read as a negative "frequency (mHz)".
        self.rect = QRectF(0, 0, 1, EMPTY_BAND_HZ)
        plot.setRange(rect=self.rect, padding=0)

    def show(self, db: np.ndarray, levels: tuple[float, float], hop_seconds: float, bin_hz: float) -> None:
        freqs, frames = db.shape
        self.shape = (freqs, frames)
        # bin (f, t) is centred on (t * hop, f * bin_hz)
        self.rect = QRectF(-hop_seconds / 2, -bin_hz / 2, frames * hop_seconds, freqs * bin_hz)
        self.image.setImage(np.ascontiguousarray(db, dtype=np.float32), levels=levels)
        self.image.setRect(self.rect)
        self.set_highlight(None)
        self.plot.setRange(rect=self.rect, padding=0)

    def _overlay(self, item: pg.ImageItem, image: np.ndarray) -> None:
        item.setImage(np.ascontiguousarray(image), levels=(0, 255))
        item.setRect(self.rect)      # only possible once the item holds an image

    def set_mask(self, owner: np.ndarray | None) -> None:
        """Tint each audible bin with its source's colour (owner -1: silent, left clear) over a
        grey spectrogram, louder bins more strongly so the harmonics still show; None goes back
        to the plain colour map."""
        self.image.setColorMap(pg.colormap.get(COLOUR_MAP if owner is None else MASKED_MAP))
        if owner is None or self.image.image is None:
            self.mask.clear()
            return
        hi = self.image.levels[1]
        # over the audible range (40 dB below the peak), so quiet audible bins stay faint
        loud = np.clip((self.image.image - (hi - MASK_RANGE_DB)) / MASK_RANGE_DB, 0.0, 1.0) ** 1.5
        colours = np.array([rgba(c, 0)[:3] for c in SOURCE_COLOURS] + [(0, 0, 0)], np.uint8)
        out = np.empty((*owner.shape, 4), np.uint8)
        out[..., :3] = colours[owner]
        out[..., 3] = np.where(owner >= 0, 30 + 200 * loud, 0).astype(np.uint8)
        self._overlay(self.mask, out)

    def set_highlight(self, bins: np.ndarray | None) -> None:
        if bins is None or not bins.any():
            self.highlight.clear()
            return
        out = np.zeros((*bins.shape, 4), np.uint8)
        out[bins] = HIGHLIGHT
        self._overlay(self.highlight, out)

    def set_playhead(self, seconds: float | None) -> None:
        move_playhead(self.playhead, seconds)


class Waveform:
    """An estimate over its reference (grey), with a playhead."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        plot.setLabel("bottom", "time", units="s")
        plot.setMouseEnabled(True, False)
        plot.hideButtons()
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        self.reference = plot.plot(pen=pg.mkPen("#9a9a9a", width=1), name="reference")
        self.estimate = plot.plot(pen=pg.mkPen("#333", width=1), name="estimate")
        self.playhead = pg.InfiniteLine(angle=90, pen=pg.mkPen("#d1006f", width=2))
        self.playhead.hide()
        plot.addItem(self.playhead, ignoreBounds=True)
        plot.setRange(xRange=(0, 1), yRange=(-1, 1), padding=0)     # empty: a second at full scale

    def show(self, estimate: np.ndarray, reference: np.ndarray | None, rate: int, colour: str) -> None:
        t = np.arange(len(estimate), dtype=np.float32) / rate
        self.estimate.setData(t, estimate, pen=pg.mkPen(colour, width=1))
        if reference is None:
            self.reference.setData([], [])
        else:
            self.reference.setData(t[:len(reference)], reference[:len(t)])
        peak = float(max(np.abs(estimate).max(initial=0), 0 if reference is None else np.abs(reference).max(initial=0)))
        self.plot.setRange(xRange=(0, len(estimate) / rate), yRange=(-peak or -1, peak or 1), padding=0.02)

    def set_playhead(self, seconds: float | None) -> None:
        move_playhead(self.playhead, seconds)
