"""Side-by-side crops (noisy / each method / clean) so a reader sees the difference.

Rendered with matplotlib's object API (``Figure`` + Agg canvas): no pyplot global state, no
display needed. The crop is the most textured window of the clean image (highest variance on a
half-overlapping grid), where denoisers differ most; the same window is used for every column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from restorekit.io import atomic_write


@dataclass(frozen=True)
class FigureRow:
    """One image of the figure: its name, the crop box (top, left, height, width) and the panels
    as (caption, CHW float crop) in column order."""

    image: str
    box: tuple[int, int, int, int]
    panels: tuple[tuple[str, np.ndarray], ...]


def choose_crop(clean: np.ndarray, size: int) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the ``size``-square window of ``clean`` (CHW) with the highest
    variance, searched on a grid of step ``size // 2``; the first maximum wins (deterministic)."""
    _, h, w = clean.shape
    ch, cw = min(size, h), min(size, w)
    gray = clean.mean(axis=0)
    step = max(1, min(ch, cw) // 2)
    tops = sorted({*range(0, h - ch + 1, step), h - ch})
    lefts = sorted({*range(0, w - cw + 1, step), w - cw})
    best, best_box = -1.0, (0, 0, ch, cw)
    for top in tops:
        for left in lefts:
            value = float(gray[top : top + ch, left : left + cw].var())
            if value > best:
                best, best_box = value, (top, left, ch, cw)
    return best_box


def crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The ``box`` of a CHW image, clamped to [0, 1] for display."""
    top, left, h, w = box
    return np.clip(image[:, top : top + h, left : left + w], 0.0, 1.0).astype(np.float32)


def save_crops_figure(path: str | Path, title: str, rows: list[FigureRow]) -> None:
    """Write a PNG grid: one row per image, one column per panel; written atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not rows:
        return
    columns = len(rows[0].panels)
    fig = Figure(figsize=(2.2 * columns, 2.5 * len(rows) + 0.4), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), columns, squeeze=False)
    for r, row in enumerate(rows):
        for c, (caption, image) in enumerate(row.panels):
            ax = axes[r][c]
            if image.shape[0] == 1:
                ax.imshow(image[0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            else:
                ax.imshow(image.transpose(1, 2, 0), interpolation="nearest")
            ax.set_title(caption, fontsize=8)
            if c == 0:
                ax.set_ylabel(row.image, fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    atomic_write(path, lambda handle: fig.savefig(handle, format="png"))
