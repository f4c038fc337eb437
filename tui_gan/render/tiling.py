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
DENSE_MIN_FRACTION = 4  # ... but never below a quarter of the (trimmed) side
EMPTY_FRACTION = 0.1  # a border row this much dimmer than the brightest is empty in all tiles
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
    """Tiles cut to the centred square that holds what any tile draws: an MNIST digit sits in
    the middle 20x20 of its 28x28, so a dense grid spends its pixels on the strokes."""
    mean = tiles.astype(np.float32).mean(axis=0)
    top = float(mean.max())
    if top <= 0:
        return tiles
    used_rows = np.flatnonzero(mean.mean(axis=1) >= EMPTY_FRACTION * top)
    used_cols = np.flatnonzero(mean.mean(axis=0) >= EMPTY_FRACTION * top)
    if not len(used_rows) or not len(used_cols):
        return tiles
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
        # The largest side at which DENSE_WANTS (or all n) tiles fit, down to the floor.
        floor = max(1, math.ceil(size / DENSE_MIN_FRACTION))
        want = min(n, DENSE_WANTS)
        side = next(
            (s for s in range(size, floor - 1, -1) if count(s, width, height_cells) >= want),
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
    if zoom == "dense":
        tiles = trim_margin(tiles)
    n, size = tiles.shape[0], tiles.shape[1]
    side = tile_side(size, n, width, height_cells, zoom)
    if ncol:
        ncol = min(ncol, n)
        while ncol * (side + 1) > width + 1 and side > 1:
            side -= 1
        small = resize_tiles(tiles, side)
        rows = max(1, min(n // ncol, fits(side, width, height_cells)[1]))
        return make_grid(small[: ncol * rows], ncol=ncol, pad=1), min(n, ncol * rows)
    small = resize_tiles(tiles, side)
    cols, rows = fits(side, width, height_cells)
    cols = max(1, min(n, cols))
    rows = max(1, min(math.ceil(n / cols), rows))
    return make_grid(small[: cols * rows], ncol=cols, pad=1), min(n, cols * rows)
