"""Pictures as Textual Strips of half-block cells: two pixels, one above the other, a cell."""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui_gan.render.ascii import PIXEL_WIDTH, ascii_rows
from tui_gan.render.halfblock import UPPER_HALF_BLOCK, halfblock_cells

PLAIN = Style()  # every segment carries a style: Textual's NO_COLOR filter reads each one's


def styled(strip: Strip) -> Strip:
    """The strip with a (plain) style on every segment that has none, padding included:
    under NO_COLOR Textual's monochrome filter fails on a segment without one."""
    segments = list(strip)
    if all(seg.style is not None for seg in segments):
        return strip
    return Strip(
        [Segment(s.text, s.style or PLAIN, s.control) for s in segments], strip.cell_length
    )


def to_ascii_strips(img: np.ndarray, width: int, centre: bool = False) -> list[Strip]:
    """The picture as the ASCII luminance ramp (no colour needed to read it), two characters
    a pixel, padded to the panel width."""
    indent = " " * ((width - img.shape[1] * PIXEL_WIDTH) // 2) if centre else ""
    return [
        Strip([Segment(indent + row, PLAIN)]).extend_cell_length(width, PLAIN)
        for row in ascii_rows(img)
    ]


def to_strips(img: np.ndarray, width: int, centre: bool = False) -> list[Strip]:
    """Half-block rows as Strips, padded to the panel width (centred in it with `centre`);
    built once per image and size."""
    styles: dict[tuple, Style] = {}
    strips = []
    indent = (
        [Segment(" " * ((width - img.shape[1]) // 2), PLAIN)]
        if centre and width > img.shape[1]
        else []
    )
    for row in halfblock_cells(img):
        segments = list(indent)
        for fg, bg in row:
            style = styles.get((fg, bg))
            if style is None:
                style = styles[(fg, bg)] = Style(color=f"rgb{fg}", bgcolor=f"rgb{bg}")
            segments.append(Segment(UPPER_HALF_BLOCK, style))
        strips.append(Strip(Segment.simplify(segments)).extend_cell_length(width, PLAIN))
    return strips
