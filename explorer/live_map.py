"""The live map's coordinates, computed where the trainer runs (the worker thread), so the
window only draws: a PCA of every snapshot in the GUI thread cost it up to a second on a busy
two-core machine."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from models.vectors import projection
from models.core.events import Progress, relay


@dataclass(frozen=True)
class MapProgress(Progress):
    """A Progress whose snapshot comes with its 2-D map coordinates."""
    coords: np.ndarray | None = None      # (n, 2) float32, aligned to the previous frame


def unit_spread(coords: np.ndarray) -> np.ndarray:
    """Centred, with a root-mean-square distance of 1 from the centre."""
    c = coords - coords.mean(axis=0)
    rms = float(np.sqrt((c * c).sum(axis=1).mean()))
    return (c / rms if rms > 0 else c).astype(np.float32)


def with_map_coords(gen):
    """``gen``'s events (replies such as STOP passed back in), each snapshot of three or more
    labelled rows turned into a :class:`MapProgress`: PCA, then turned to match the previous frame
    so only real motion shows."""
    previous = []

    def add_coords(ev):
        if not (isinstance(ev, Progress) and ev.snapshot is not None and ev.labels is not None
                and len(ev.labels) >= 3):
            return ev
        coords = unit_spread(projection.pca(ev.snapshot))
        if previous and len(previous[0]) == len(coords):
            # Procrustes would also shrink a frame that matches the last one poorly (early in
            # training), until the map is a dot; every frame keeps the same spread instead.
            coords = unit_spread(projection.align(previous[0], coords))
        previous[:] = [coords]
        return MapProgress(**{f.name: getattr(ev, f.name) for f in dataclasses.fields(ev)}, coords=coords)
    return relay(gen, add_coords)
