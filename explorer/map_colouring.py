"""Colouring the map by k-means cluster, by frequency or by a metadata column.

The groups come from :mod:`models.vectors.clustering`; k-means runs in the worker bridge. The map draws
one layer per group, so colouring 100,000 points costs a handful of brushes, not 100,000.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from explorer.vector_files import counts_of
from models.vectors.clustering import bands, categories, kmeans_steps

# Okabe & Ito's palette, safe for the common colour-vision deficiencies; grey is kept for "other".
CATEGORICAL = ["#e69f00", "#56b4e9", "#009e73", "#0072b2", "#d55e00", "#cc79a7", "#f0e442", "#000000"]
OTHER_GREY = "#999999"
CLUSTERS = 8
FREQUENCY_BANDS = 12


def map_rows(model, m) -> np.ndarray:
    """Rows of ``model``'s vectors for the words on the map ``m``, in map order."""
    index = model.vectors.index
    return np.fromiter((index[w] for w in m.words), dtype=np.int64, count=len(m.words))


def colour_map(app, m, mode: str) -> None:
    """Apply a colour mode chosen in the box of the map ``m`` to the current model's words: "none",
    "kmeans", "frequency" or "meta:COLUMN"."""
    app.jobs.cancel("colour")
    if mode == "none" or app.model is None or not m.words:
        m.clear_colours()
        if app.model is None:
            app.status("Train or open a model first.", 5000)
        return
    rows = map_rows(app.model, m)
    if mode == "kmeans":
        x = app.model.vectors.matrix[rows]
        words = list(m.words)

        def done(result):
            labels, names = result
            if m.words == words:
                m.colour_groups(labels, CATEGORICAL[:len(names)], names)
                app.status(f"{len(words):,} words in {len(names)} k-means clusters.", 8000)

        app.jobs.run("colour", kmeans_steps, x, CLUSTERS, on_done=done,
                     on_progress=lambda ev: app.status(f"k-means… {ev.fraction:.0%}", 0))
    elif mode == "frequency":
        counts = counts_of(app.model)
        if counts is None:                      # the file's own order: word2vec-style files put frequent words first
            values, title, sign = -np.log10(rows + 1.0), "frequency rank (1 = most frequent)", -1
        else:
            values, title, sign = np.log10(np.maximum(np.asarray(counts)[rows], 1)), "count in the corpus", 1
        labels, edges = bands(values, FREQUENCY_BANDS)
        cmap = pg.colormap.get("viridis")
        centres = (np.arange(FREQUENCY_BANDS) + 0.5) / FREQUENCY_BANDS
        colours = [cmap.map(float(t), mode="qcolor").name() for t in centres]
        names = [f"{lo:.2f} – {hi:.2f}" for lo, hi in zip(edges[:-1], edges[1:])]
        m.colour_groups(labels, colours, names, bar=(cmap, float(edges[0]), float(edges[-1]), title,
                                                      power_ticks(edges[0], edges[-1], sign)))
    elif mode.startswith("meta:"):
        column = mode[len("meta:"):]
        values = app.model.vectors.metadata.get(column)
        if values is None:
            app.error(f"These vectors have no metadata column {column!r}.", user_error=True)
            return
        labels, names = categories([values[r] for r in rows.tolist()], len(CATEGORICAL) + 1)
        colours = (CATEGORICAL + [OTHER_GREY])[:len(names)]
        if names and names[-1] == "other":
            colours[-1] = OTHER_GREY
        m.colour_groups(labels, colours, names)



def power_ticks(low: float, high: float, sign: int) -> list[tuple[float, str]]:
    """Ticks at the powers of ten of a log10 scale (negated for ranks), written as plain numbers."""
    exps = range(int(np.ceil(min(sign * low, sign * high))), int(np.floor(max(sign * low, sign * high))) + 1)
    return [(sign * e, f"{10 ** e:,}") for e in exps]
