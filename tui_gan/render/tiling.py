"""Sample tiles laid out for a half-block panel at a zoom level: full size, half, or dense."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tui_gan.render.halfblock import area_resize, make_grid
from tui_gan.render.images import open_grid

PAD = 2  # torchvision save_image's default padding between tiles
ZOOMS = ("dense", "half", "full")  # the `z` cycle
DENSE_WANTS = 16  # a dense grid shrinks tiles until this many fit, ...
DENSE_MIN_FRACTION = 4  # ... but not below a quarter of the (trimmed) side, ...
TIGHT_FRACTION = 5  # ... or a fifth where that is what it takes to show FULL_ENOUGH
INK = 0.25  # a pixel brighter than this share of the brightest is part of a stroke
EMPTY = np.zeros((0, 0, 3), np.uint8)  # what a panel with no room draws
FULL_ENOUGH = 9  # fewer full-size tiles than this on screen: the dense grid is the default


def load_tiles(path: Path, tile: int, nrow: int) -> np.ndarray | None:
    """Cut a torchvision grid PNG back into N x H x W uint8 tiles (greyscale)."""
    img = open_grid(path, "L")
    if img is None:
        return None
    grid = np.asarray(img)
    step = tile + PAD
    rows, cols = (grid.shape[0] - PAD) // step, min(nrow, (grid.shape[1] - PAD) // step)
    tiles = [
        grid[PAD + r * step : PAD + r * step + tile, PAD + c * step : PAD + c * step + tile]
        for r in range(rows)
        for c in range(cols)
    ]
    return np.stack(tiles) if tiles else None


def resize_tiles(tiles: np.ndarray, side: int) -> np.ndarray:
    """Each N x H x W tile area-averaged to side x side pixels (never enlarged)."""
    if side >= tiles.shape[1]:
        return tiles
    stacked = tiles.transpose(1, 2, 0).astype(np.float32)
    return area_resize(stacked, side, side).transpose(2, 0, 1).round().astype(np.uint8)


def trim_margin(tiles: np.ndarray) -> np.ndarray:
    """Tiles cut to the centred square that holds every stroke of every tile: an MNIST digit
    sits in the middle 20x20 of its 28x28, so a dense grid spends its pixels on the strokes.
    A row or column is cut only where no tile has ink (a pixel above INK of the brightest)."""
    ink = tiles.max(axis=0).astype(np.float32)  # H x W: the brightest any tile gets there
    top = float(ink.max())
    if top <= 0:
        return tiles
    inked = ink > INK * top
    used_rows, used_cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    h, w = tiles.shape[1:]
    side = max(used_rows[-1] - used_rows[0], used_cols[-1] - used_cols[0]) + 1
    if side >= min(h, w):
        return tiles
    # Centre the square on what is used, kept inside the tile.
    y = min(max(0, (used_rows[0] + used_rows[-1] + 1 - side) // 2), h - side)
    x = min(max(0, (used_cols[0] + used_cols[-1] + 1 - side) // 2), w - side)
    return tiles[:, y : y + side, x : x + side]


def fits(side: int, width: int, height_cells: int) -> tuple[int, int]:
    """(columns, rows) of side-pixel tiles, 1 px apart, in a panel of width x height cells
    (a half-block cell is one pixel wide and two high)."""
    return (width + 1) // (side + 1), (2 * height_cells + 1) // (side + 1)


def count(side: int, width: int, height_cells: int) -> int:
    cols, rows = fits(side, width, height_cells)
    return cols * rows


def default_zoom(size: int, n: int, width: int, height_cells: int) -> str:
    """Full size when enough tiles fit to see the spread of samples, else the dense grid."""
    return "full" if count(size, width, height_cells) >= min(n, FULL_ENOUGH) else "dense"


def tile_side(size: int, n: int, width: int, height_cells: int, zoom: str) -> int:
    """The tile side in pixels at a zoom level, shrunk further only if not one tile fits."""
    if zoom == "full":
        side = size
    elif zoom == "half":
        side = max(1, round(size / 2))
    else:
        # The largest side at which DENSE_WANTS (or all n) tiles fit, down to the floor; on a
        # small screen a little further, down to TIGHT_FRACTION, for at least FULL_ENOUGH.
        floor = max(1, math.ceil(size / DENSE_MIN_FRACTION))
        tight = max(1, math.ceil(size / TIGHT_FRACTION))
        want = min(n, DENSE_WANTS)
        side = next(
            (s for s in range(size, floor - 1, -1) if count(s, width, height_cells) >= want),
            None,
        ) or next(
            (
                s
                for s in range(floor, tight - 1, -1)
                if count(s, width, height_cells) >= min(n, FULL_ENOUGH)
            ),
            floor,
        )
    while count(side, width, height_cells) == 0 and side > 1:  # a tiny panel
        side -= 1
    return side


def layout(
    tiles: np.ndarray, width: int, height_cells: int, zoom: str = "dense", ncol: int | None = None
) -> tuple[np.ndarray, int]:
    """The tiles at a zoom level, as many as fit, in one HxWx3 image, and how many that is.
    With `ncol`, whole rows of that many tiles (a strip keeps its steps or classes together),
    shrunk until a row fits."""
    if zoom == "dense" or ncol:
        tiles = trim_margin(tiles)
    n, size = tiles.shape[0], tiles.shape[1]
    side = tile_side(size, n, width, height_cells, zoom)
    if ncol:  # the width sets the side, whatever the zoom: the columns must all fit
        ncol = min(ncol, n)
        while ncol * (side + 1) > width + 1 and side > 1:
            side -= 1
        small = resize_tiles(tiles, side)
        if not all(fits(side, width, height_cells)):
            return EMPTY, 0
        rows = max(1, min(n // ncol, fits(side, width, height_cells)[1]))
        return make_grid(small[: ncol * rows], ncol=ncol, pad=1), min(n, ncol * rows)
    small = resize_tiles(tiles, side)
    cols, rows = fits(side, width, height_cells)
    if not cols or not rows:  # no room at all: nothing is drawn
        return EMPTY, 0
    cols = min(n, cols)
    rows = max(1, min(math.ceil(n / cols), rows))
    return make_grid(small[: cols * rows], ncol=cols, pad=1), min(n, cols * rows)
