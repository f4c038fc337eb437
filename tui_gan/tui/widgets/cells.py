"""Pictures as Textual Strips of half-block cells: two pixels, one above the other, a cell."""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui_gan.render.ascii import PIXEL_WIDTH, ascii_rows
from tui_gan.render.halfblock import UPPER_HALF_BLOCK, halfblock_cells

PLAIN = Style()  # every segment carries a style: Textual's NO_COLOR filter reads each one's
# Textual keeps every distinct Style it draws in Strip.render_ansi's cache (16,384 entries, about
# 370 bytes each): a live run's noisy grey samples bring new (top, bottom) colour pairs with every
# grid, so an attached dashboard grew by about 6 MB over half an hour. Channels rounded to
# LEVEL-wide levels (an error of at most LEVEL / 2 of 255, not visible in a half-block) leave at
# most 32 x 32 pairs of greys. One Style per pair, shared by every picture, up to MAX_STYLES.
LEVEL = 8
MAX_STYLES = 4096
_STYLES: dict[tuple, Style] = {}


def quantise(img: np.ndarray) -> np.ndarray:
    """uint8 channels rounded to the nearest multiple of LEVEL (255 stays 255)."""
    arr = np.asarray(img, np.uint8)
    q = (arr.astype(np.uint16) + LEVEL // 2) // LEVEL * LEVEL
    return np.minimum(q, 255).astype(np.uint8)


def cell_style(fg: tuple, bg: tuple) -> Style:
    """The shared Style of a half-block cell (foreground: top pixel, background: bottom)."""
    style = _STYLES.get((fg, bg))
    if style is None:
        if len(_STYLES) >= MAX_STYLES:  # colour pictures: start afresh rather than grow
            _STYLES.clear()
        style = _STYLES[(fg, bg)] = Style(color=f"rgb{fg}", bgcolor=f"rgb{bg}")
    return style


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


def to_strips(
    img: np.ndarray, width: int, centre: bool = False, exact: bool = False
) -> list[Strip]:
    """Half-block rows as Strips, padded to the panel width (centred in it with `centre`);
    built once per image and size. Colours are rounded (`quantise`) unless `exact`: a plot's
    few named colours are kept as they are."""
    strips = []
    indent = (
        [Segment(" " * ((width - img.shape[1]) // 2), PLAIN)]
        if centre and width > img.shape[1]
        else []
    )
    for row in halfblock_cells(img if exact else quantise(img)):
        segments = list(indent)
        for fg, bg in row:
            segments.append(Segment(UPPER_HALF_BLOCK, cell_style(fg, bg)))
        strips.append(Strip(Segment.simplify(segments)).extend_cell_length(width, PLAIN))
    return strips
