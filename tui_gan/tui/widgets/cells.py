"""Pictures as Textual Strips of half-block cells: two pixels, one above the other, a cell."""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui_gan.render.halfblock import UPPER_HALF_BLOCK, halfblock_cells


def to_strips(img: np.ndarray, width: int, centre: bool = False) -> list[Strip]:
    """Half-block rows as Strips, padded to the panel width (centred in it with `centre`);
    built once per image and size."""
    styles: dict[tuple, Style] = {}
    strips = []
    indent = (
        [Segment(" " * ((width - img.shape[1]) // 2))] if centre and width > img.shape[1] else []
    )
    for row in halfblock_cells(img):
        segments = list(indent)
        for fg, bg in row:
            style = styles.get((fg, bg))
            if style is None:
                style = styles[(fg, bg)] = Style(color=f"rgb{fg}", bgcolor=f"rgb{bg}")
            segments.append(Segment(UPPER_HALF_BLOCK, style))
        strips.append(Strip(Segment.simplify(segments)).extend_cell_length(width))
    return strips
