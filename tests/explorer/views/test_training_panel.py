"""The training panel on its own: the loss plot's axes, the parameter form, the buttons' places."""
import pytest
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QSpinBox

from explorer.views.training_panel import LossPlot, TrainingPanel
from models.registry import all_models


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel(all_models())
    qtbot.addWidget(p)
    p.resize(340, 820)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_the_loss_axis_follows_the_curve_when_the_first_redraw_holds_several_points(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.show()
    qtbot.waitExposed(plot)
    plot.add(1000, 5.0, "words")              # one point: the axis spans it by ±1
    for step in (2000, 3000, 4000, 40_000):   # a busy machine: three more before the next redraw
        plot.add(step, 4.0, "words", draw=False)
    plot.redraw()
    qtbot.waitUntil(lambda: plot.getViewBox().viewRange()[0][1] >= 40_000, timeout=5000)
    low, high = plot.getViewBox().viewRange()[0]
    assert low <= 1000 and high < 60_000


def test_a_value_edited_for_one_model_does_not_carry_into_another_models_fields(panel):
    form = panel.form
    panel.select_model("onehot")
    form.set_value("max_vocab", 5000)
    panel.select_model("sgns")
    assert form.config().max_vocab == type(form.config())().max_vocab == 0
    panel.select_model("mlm")
    form.set_value("steps", 300)
    panel.select_model("dc")
    assert form.config().steps == 0            # 0: the time budget decides, as by default
    panel.select_model("onehot")               # each model keeps what was edited for it
    assert form.config().max_vocab == 5000


def _button_places(panel):
    return [b.mapTo(panel, b.rect().topLeft()) for b in
            (panel.train_button, panel.continue_button, panel.stop_button)]


def test_the_buttons_stay_put_when_the_status_takes_two_lines(qtbot, panel):
    panel.show_status("Ready.")
    qtbot.waitUntil(lambda: panel.status.height() < 2 * panel.status.fontMetrics().lineSpacing())
    before = _button_places(panel)
    panel.show_status("Epoch 3/5 · 412k words/s · 0:42 left · " * 3)   # wraps to two lines or more
    qtbot.waitUntil(lambda: panel.status.height() >= 2 * panel.status.fontMetrics().lineSpacing())
    assert _button_places(panel) == before


def test_a_single_loss_point_sits_on_an_axis_of_its_own_scale_with_no_unit_named_before_it(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    assert plot.getAxis("bottom").labelText == ""
    plot.add(1, 0.42, "steps")
    (x0, x1), (y0, y1) = plot.getViewBox().viewRange()
    assert x0 < 1 < x1 and 0.3 < y0 < 0.42 < y1 < 0.6
    assert plot.getAxis("bottom").labelText == "steps"


def test_fields_read_as_words_and_floats_without_trailing_zeros(panel):
    panel.select_model("cooc")
    labels = [label.text() for label in panel.form.findChildren(QLabel)]
    assert "PPMI" in labels and "Ppmi" not in labels
    panel.select_model("mlm")
    labels = [label.text() for label in panel.form.findChildren(QLabel)]
    assert "Learning rate" in labels and "Lr" not in labels
    panel.select_model("sgns")
    lr = panel.form.findChild(QDoubleSpinBox, "param_lr")
    assert lr.text() == "0.025"
    panel.select_model("dc")
    assert panel.form.findChild(QDoubleSpinBox, "param_minutes").text() == "10"


def test_nmfs_iterations_show_only_when_nmf_is_chosen(qtbot, panel):
    panel.select_model("cooc")
    iterations = panel.form.findChild(QSpinBox, "param_iterations")
    assert panel.form.value("method") == "svd" and not iterations.isVisible()
    panel.form.set_value("method", "nmf")
    qtbot.waitUntil(iterations.isVisible)       # the form lays the row out again in the event loop
    panel.form.set_value("method", "eig")
    qtbot.waitUntil(lambda: not iterations.isVisible())
