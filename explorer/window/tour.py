"""The module in one click per slide: the Module menu and the note that says what to look at.

A slide is a record: a title, two sentences on what to look at, and a setup that puts the window
in that state (model and settings in the training panel, the tab, the words) through the window's
and the views' public methods, training where the slide needs a model. Training runs in the
training panel as any other (progress, Stop), so the window never waits for a slide. Adding a
slide is one record in :data:`SLIDES`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from explorer.views.neighbours import subwords_of
from explorer.views.plain import heading, heading_label, plain_label
from models.vectors.similarity import MODULE_WORDS


@dataclass(frozen=True)
class Slide:
    title: str
    look: str                                   # two sentences: what to look at
    setup: Callable[["Tour"], None]
    # Buttons beside the slide's title: (label, what it does with the tour), for a second look.
    actions: tuple[tuple[str, Callable[["Tour"], None]], ...] = ()


class Tour(QObject):
    """The Module menu and its note, for one window. ``overrides`` are put over every slide's
    training settings (where the model has them): smaller runs for a quick look or a test."""
    shown = Signal(int)               # the slide now set up (its training may still run)

    def __init__(self, window, slides: list[Slide] | None = None):
        super().__init__(window)
        self.window = window
        self.slides = list(SLIDES if slides is None else slides)
        self.overrides: dict = {}
        self.current: int | None = None
        self.note = TourNote()
        self.note.action_chosen.connect(lambda i: self.slides[self.current].actions[i][1](self))
        self.note.moved.connect(lambda step: self.show_slide((self.current + step) % len(self.slides)))
        self.dock = QDockWidget("Module", window)
        self.dock.setObjectName("module_dock")
        self.dock.setFeatures(QDockWidget.DockWidgetClosable)
        self.dock.setWidget(self.note)
        window.addDockWidget(Qt.TopDockWidgetArea, self.dock)
        self.dock.hide()
        menu = window.menuBar().addMenu("&Module")
        for i, slide in enumerate(self.slides):
            action = QAction(f"{i + 1}. {slide.title}", window)
            action.triggered.connect(lambda _checked=False, i=i: self.show_slide(i))
            menu.addAction(action)

    def show_slide(self, index: int) -> None:
        slide = self.slides[index]
        self.current = index
        self.note.show_slide(index, len(self.slides), slide)
        self.dock.show()
        slide.setup(self)
        self.shown.emit(index)

    # --- what slides do --------------------------------------------------------------------
    def say(self, text: str) -> None:
        """A fact the slide found (counts, costs), under its two sentences."""
        self.note.extra.setText(text)
        self.note.extra.setVisible(bool(text))

    def view(self, title: str):
        """The tab titled ``title``, brought to the front."""
        view = self.window.views[title]
        self.window.tabs.setCurrentWidget(view)
        return view

    def choose(self, model: str, settings: dict) -> bool:
        """Select ``model`` in the training panel with ``settings`` (and the overrides) in its form;
        False, saying why, while another model trains."""
        if "train" in self.window.jobs:
            self.say("A model is training: press Stop (or let it finish), then choose the slide again.")
            return False
        self.window.panel.select_model(model)
        self.window.panel.set_values({**settings, **self.overrides})
        return True

    def train(self, model: str, settings: dict, then: Callable | None = None) -> None:
        """Train ``model`` from the panel with ``settings``; ``then(result)`` once its training has
        ended with a result (after the panel is reset, so ``then`` may train the next model)."""
        if not self.choose(model, settings):
            return
        config = self.window.panel.checked_config()
        if config is None:
            return
        self.window.train(self.window.panel.spec, config)
        job = self.window.jobs.get("train")
        if job is None or then is None:
            return
        results, slide = [], self.current
        job.done.connect(results.append)
        # Only while the slide that asked is still shown: another one has its own tab and words.
        job.ended.connect(lambda: then(results[0]) if results and self.current == slide else None)


class TourNote(QWidget):
    """The slide's title, its two sentences, what it found, its buttons, and the way on."""
    action_chosen = Signal(int)
    moved = Signal(int)               # -1: previous slide, +1: next

    def __init__(self):
        super().__init__()
        self.heading = heading_label("")
        self.text = plain_label(wordWrap=True)
        self.extra = plain_label(wordWrap=True)
        self.extra.setStyleSheet("color: #8a6d00;")
        self.actions_row = QHBoxLayout()
        self.buttons: list[QPushButton] = []
        back, on = QPushButton("◀ Previous"), QPushButton("Next ▶")
        back.clicked.connect(lambda: self.moved.emit(-1))
        on.clicked.connect(lambda: self.moved.emit(1))
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addLayout(self.actions_row)
        top.addWidget(back)
        top.addWidget(on)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 2, 8, 4)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.text)
        lay.addWidget(self.extra)

    def show_slide(self, index: int, count: int, slide: Slide) -> None:
        self.heading.setText(heading(f"Slide {index + 1} of {count}: {slide.title}"))
        self.text.setText(slide.look)
        self.extra.clear()
        self.extra.hide()          # an empty line would take the tabs' height for nothing
        for b in self.buttons:
            b.deleteLater()
        self.buttons = []
        for i, (label, _) in enumerate(slide.actions):
            b = QPushButton(label)
            b.clicked.connect(lambda _checked=False, i=i: self.action_chosen.emit(i))
            self.actions_row.addWidget(b)
            self.buttons.append(b)


# --- the slides ------------------------------------------------------------------------------
# Short training settings: a slide shows its point in under a minute on the bundled corpus.
SKIPGRAM = dict(dim=100, epochs=2, min_count=5)


def _one_hot(t: Tour) -> None:
    t.choose("onehot", {})
    view = t.view("One-hot")
    view.words_edit.setText(", ".join(MODULE_WORDS))
    view.show_words()


def _analogy(a: str, b: str, c: str) -> Callable[[Tour], None]:
    def solve(t: Tour) -> None:
        view = t.view("Analogies")
        for edit, word in ((view.a_edit, a), (view.b_edit, b), (view.c_edit, c)):
            edit.setText(word)
        view.solve()
    return solve


def _analogies(t: Tour) -> None:
    # Five epochs, not two: on the bundled corpus two leave queen fifth for king − man + woman.
    t.train("sgns", {**SKIPGRAM, "epochs": 5}, then=lambda _model: _analogy("man", "king", "woman")(t))


def _similarity(t: Tour) -> None:
    def show(model) -> None:
        view = t.view("Heatmap")
        view.words_edit.setText(", ".join(MODULE_WORDS))
        view.show_words()
        counts = [f"{w} {model.vocab.counts[model.vocab.index[w]]:,}×" if w in model.vocab else f"{w} never"
                  for w in MODULE_WORDS]
        t.say(f"This corpus holds {', '.join(counts)}: a word seen a handful of times gets a vector from a "
              "handful of contexts, so its row shows what the corpus supports, little more. Pretrained vectors "
              "(GloVe, fastText .vec) trained on billions of words: File > Open Vectors.")
    # min_count 1: the rare place names get vectors too, however few their contexts
    t.train("sgns", {**SKIPGRAM, "min_count": 1}, then=show)


def _factors(t: Tour) -> None:
    view = t.view("X ≈ WH")
    view.set_settings("svd", 300, 20)
    view.factorise()


def _factor_by(method: str) -> Callable[[Tour], None]:
    def run(t: Tour) -> None:
        view = t.view("X ≈ WH")
        view.set_settings(method, view.words_box.value(), view.k_box.value())
        view.factorise()
    return run


# One thread and the same vocabulary for both: the cost per pair is then the softmax's against
# negative sampling's, not a count of cores or words.
COST = dict(dim=100, min_count=5, max_vocab=5000, threads=1, sample=1e-3)


def cost_per_pair(model) -> float:
    """Microseconds of training per (centre, context) pair, from a run's own figures."""
    s = model.stats
    if "ms_per_step" in s:              # the full softmax times its steps alone
        return 1000.0 * s["ms_per_step"] / s["batch"]
    return 1e6 * s["seconds"] / max(s.get("pairs_done", 0), 1)


def _costs(t: Tour) -> None:
    def compare(softmax, sgns) -> None:
        a, b = cost_per_pair(softmax), cost_per_pair(sgns)
        t.say(f"Per (centre, context) pair on one thread: full softmax {a:.1f} µs (a score for each of its "
              f"{len(softmax.vocab):,} words), negative sampling {b:.2f} µs (1 + {sgns.config.negative} scores): "
              f"{a / b:.0f}× less.")
        t.view("Compare")

    t.train("softmax", {**COST, "steps": 300}, then=lambda softmax: t.train(
        "sgns", {**COST, "epochs": 1}, then=lambda sgns: compare(softmax, sgns)))


def _cbow(t: Tour) -> None:
    def compare(_cbow) -> None:
        t.view("Compare").score_models()
    t.train("sgns", SKIPGRAM, then=lambda _sgns: t.train("cbow", SKIPGRAM, then=compare))


def _negatives(t: Tour) -> None:
    if t.choose("sgns", SKIPGRAM):
        view = t.view("Negatives")
        view.centre_edit.setText("king")
        view.watch()


def _glove(t: Tour) -> None:
    if t.choose("glove", dict(x_max=100.0, alpha=0.75, epochs=5)):
        config = t.window.panel.checked_config()
        if config is not None:
            t.view("GloVe f(x)").count(config)


UNSEEN = ("chickenhood", "chickenless", "chickenfeedery")


def _unseen(t: Tour) -> None:
    model = t.window.model
    if model is None or subwords_of(model) is None:
        t.say("Train FastText first (this slide does).")
        return
    word = next((w for w in UNSEEN if w not in model.vocab), UNSEEN[0])
    t.window.tabs.setCurrentIndex(0)
    t.window.select_word(word)


def _fasttext(t: Tour) -> None:
    def show(_model) -> None:
        t.window.tabs.setCurrentIndex(0)
        t.window.select_word("chicken")
    t.train("fasttext", dict(dim=100, epochs=1, min_count=5, min_n=3, max_n=6), then=show)


def _contextual(t: Tour) -> None:
    t.view("Contextual")
    t.train("mlm", dict(steps=600))


def _siamese(t: Tour) -> None:
    t.view("Matching")
    t.train("siamese", dict(steps=300))


def _separation(t: Tour) -> None:
    view = t.view("Separation")
    if view.trained_model is None:
        view.open_bundled()
    else:
        view.separate()


SLIDES = [
    Slide("One-hot vectors", "Each word is a vector as long as the vocabulary, all 0 but a single 1 at its own "
          "dimension, so the six place names make an identity table. Every two different words are at cosine 0: "
          "one-hot vectors know no similarity, which is what the learned vectors of the next slides add.",
          _one_hot),
    Slide("Difference vectors with meaning", "The arrow man → king and the arrow from woman to the answer "
          "should be parallel and of equal length: the offset between words carries the meaning "
          "(king − man + woman ≈ queen). Try the capital cities with the buttons above.", _analogies,
          (("france : paris :: germany : ?", _analogy("france", "paris", "germany")),
           ("man : king :: woman : ?", _analogy("man", "king", "woman")))),
    Slide("The similarity matrix", "The cosine of every pair of the six words, ordered so that related words "
          "form blocks, beside the one-hot identity. Read each row against how often the corpus holds the word "
          "(below): rare words get noisy vectors.", _similarity,
          (("Open vectors…", lambda t: t.window.ask_open_vectors()),)),
    Slide("X ≈ W H", "The co-occurrence (PPMI) matrix X of the 300 most frequent words, and the two thin factors "
          "whose product W H approximates it: each word's row of W is its vector. The reconstruction error says "
          "how much of X the few factors miss (the buttons factorise by eigendecomposition and NMF).", _factors,
          (("SVD", _factor_by("svd")), ("Eigendecomposition", _factor_by("eig")), ("NMF", _factor_by("nmf")))),
    Slide("Skip-gram with the full softmax", "The full softmax scores every word of the vocabulary for each "
          "(centre, context) pair; negative sampling scores the true word and a few random ones. Both models "
          "train here in turn on one thread, and their cost per pair is set side by side below.", _costs),
    Slide("CBOW beside skip-gram", "Skip-gram predicts each context word from the centre word, CBOW the centre "
          "word from the mean of its context, on the same corpus and settings. Compare their maps side by side "
          "and their benchmark scores in the table.", _cbow),
    Slide("Negative sampling", "For the centre word, its true context words (blue) and the negatives drawn for "
          "it (red), each with σ(u·v), the model's belief that the pair is real. As training goes, the context "
          "scores rise and the negatives' fall towards 0: the pairs it trains on are told apart.", _negatives),
    Slide("GloVe's weighting f(x)", "f(x) = min(1, (x / x_max)^α) weighs each word pair's term of GloVe's loss "
          "by how often the pair occurs: rare pairs, whose counts are noise, weigh little. Below it, how many "
          "pairs of this corpus have each count: most are rare.", _glove),
    Slide("FastText: subwords", "FastText adds the vectors of a word's character n-grams, here those of <chicken> "
          "with its boundary marks, to the word's own. A word it never saw still gets a vector from its n-grams: "
          "press the button and read its neighbours.", _fasttext,
          (("An unseen word", _unseen),)),
    Slide("Contextual vectors", "A masked language model gives one vector per occurrence, so “chicken” in the two "
          "sentences gets two vectors. Compare their similarity with the single static vector a word2vec model "
          "gives both.", _contextual),
    Slide("Siamese query by example", "Twin networks map a noisy, re-performed excerpt and every recording of the "
          "database to unit vectors, trained with the pair loss. The query's nearest recordings are its matches: "
          "listen to the query and the top match.", _siamese),
    Slide("Deep clustering", "Each time-frequency bin of a two-voice mixture gets an embedding; k-means splits "
          "the bins into two clouds, which become the masks. Listen to each separated voice beside the voice "
          "alone.", _separation),
]

