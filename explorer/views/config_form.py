"""A form generated from a config dataclass: one widget per parameter, advanced ones folded away."""
from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLineEdit,
                               QSpinBox, QVBoxLayout, QWidget)

from explorer.views.plain import plain_label
from models.core.params import ParamInfo, describe

_INT_MAX = 2_000_000_000


# Names whose plain capitalisation reads wrong: acronyms, and abbreviations a form spells out.
LABELS = {"ppmi": "PPMI", "lr": "Learning rate", "n_fft": "FFT size", "x_max": "x_max", "ff": "Feed-forward size",
          "min_snr": "Min SNR (dB)", "silence_db": "Silence (dB)", "kmeans_inits": "K-means starts",
          "mask_prob": "Mask probability"}


def _label(name: str) -> str:
    return LABELS.get(name) or name.replace("_", " ").capitalize()


class _FloatBox(QDoubleSpinBox):
    """A float field that shows 2 and 0.025, not 2.000000 and 0.025000: the decimals stay for
    input, trailing zeros go from the display."""

    def textFromValue(self, value: float) -> str:
        text = self.locale().toString(value, "f", self.decimals())
        point = self.locale().decimalPoint()
        return text.rstrip("0").rstrip(point) if point in text else text


def _editor(p: ParamInfo) -> QWidget:
    if p.choices:
        w = QComboBox()
        w.addItems([str(c) for c in p.choices])
        w.setCurrentText(str(p.default))
    elif p.type is bool:
        w = QCheckBox()
        w.setChecked(bool(p.default))
    elif p.type is int:
        w = QSpinBox()
        w.setRange(int(p.low) if p.low is not None else -_INT_MAX, int(p.high) if p.high is not None else _INT_MAX)
        w.setValue(int(p.default))
    elif p.type is float:
        w = _FloatBox()
        w.setDecimals(6)
        w.setRange(p.low if p.low is not None else -1e12, p.high if p.high is not None else 1e12)
        w.setSingleStep(abs(p.default) / 10 if p.default else 0.1)
        w.setValue(float(p.default))
    else:
        w = QLineEdit(str(p.default))
    w.setToolTip(p.help)
    w.setObjectName(f"param_{p.name}")
    return w


def _value(p: ParamInfo, w: QWidget):
    if isinstance(w, QComboBox):
        text = w.currentText()
        return next(c for c in p.choices if str(c) == text)
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, (QSpinBox, QDoubleSpinBox)):
        return p.type(w.value())
    return p.type(w.text())


class ConfigForm(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._cls = None
        self._editors: dict[str, tuple[ParamInfo, QWidget]] = {}
        # What the user changed, per model. Nothing carries from one model to another: a name two
        # models share can mean different things (the masked LM's Steps are training steps, deep
        # clustering's replace its time budget) and would land unseen in a folded Advanced field.
        self._edited: dict[type, dict] = {}
        self._rows: dict[str, QFormLayout] = {}     # the form layout that holds each parameter's row
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def set_config_class(self, cls) -> None:
        """Rebuild the form for another model, with the values last edited for that model or its defaults."""
        if self._cls is not None:
            self._edited[self._cls] = {name: _value(p, w) for name, (p, w) in self._editors.items()
                                       if _value(p, w) != p.default}
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self._cls, self._editors = cls, {}
        basic, advanced = QFormLayout(), QFormLayout()
        for p in describe(cls):
            w = _editor(p)
            self._editors[p.name] = (p, w)
            (advanced if p.advanced else basic).addRow(plain_label(_label(p.name)), w)
        self._rows = {name: (advanced if p.advanced else basic) for name, (p, _) in self._editors.items()}
        holder = QWidget()
        holder.setLayout(basic)
        self._layout.addWidget(holder)
        box = QGroupBox("Advanced")
        box.setCheckable(True)
        box.setChecked(False)
        rows = QWidget()
        rows.setLayout(advanced)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(rows)
        # Folded, the group is just its title: the rows widget goes, and the space with it.
        box.toggled.connect(rows.setVisible)
        rows.setVisible(False)
        self._layout.addWidget(box)
        self._layout.addStretch(1)
        for name, value in self._edited.get(cls, {}).items():
            if name in self._editors:
                self.set_value(name, value)
        for _, w in self._editors.values():
            if isinstance(w, QComboBox):
                w.currentTextChanged.connect(self._show_what_applies)
        self._show_what_applies()

    def _show_what_applies(self, *_) -> None:
        """Hide the fields the current choices make meaningless (NMF's iterations under SVD)."""
        for name, (p, w) in self._editors.items():
            if p.when:
                other, values = p.when
                self._rows[name].setRowVisible(w, str(self.value(other)) in map(str, values))

    def value(self, name: str):
        p, w = self._editors[name]
        return _value(p, w)

    def set_value(self, name: str, value) -> None:
        p, w = self._editors[name]
        if isinstance(w, QComboBox):
            w.setCurrentText(str(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(value)
        else:
            w.setText(str(value))

    def config(self):
        """The config dataclass filled from the form."""
        return self._cls(**{name: _value(p, w) for name, (p, w) in self._editors.items()})
