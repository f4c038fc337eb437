"""Sample tiles laid out for a half-block panel at a zoom level (full size, half, or dense),
as labelled bands of columns (a noise-by-class grid), or as real | reconstruction pairs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tui_gan.render.halfblock import area_resize, make_grid
from tui_gan.rundir.read import open_grid

PAD = 2  # torchvision save_image's default padding between tiles
ZOOMS = ("dense", "half", "full")  # the `z` cycle
DENSE_WANTS = 16  # a dense grid shrinks tiles until this many fit, ...
DENSE_MIN_FRACTION = 4  # ... but not below a quarter of the (trimmed) side, ...
TIGHT_FRACTION = 5  # ... or a fifth where that is what it takes to show FULL_ENOUGH
INK = 0.25  # a pixel brighter than this share of the brightest is part of a stroke
EMPTY = np.zeros((0, 0, 3), np.uint8)  # what a panel with no room draws
FULL_ENOUGH = 9  # this many full-size tiles on screen: full size is the default
# A 28 px digit drawn at 14 px a side reads as a digit; at the 7-9 px of a dense grid on a
# 100x30 screen it is a blob. Measured on the tile as the source draws it: a trimmed tile
# drawn at 10 of its 20 px counts as 14.
LEGIBLE = 14
PAIR_GAP = 2  # pixels between two real | reconstruction pairs (1 inside a pair)
CLASS_NAMES = {  # column labels of a conditional grid, by data set; digits otherwise
    "fashion-mnist": (
        "T-shirt",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Boot",
    ),
}


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


def legible(drawn: float, size: int) -> bool:
    """A tile of a size-pixel source drawn at `drawn` pixels (untrimmed) can be read."""
    return drawn >= min(LEGIBLE, size)


def default_zoom(
    size: int, n: int, width: int, height_cells: int, content: int | None = None
) -> str:
    """Full size when enough tiles fit to see the spread of samples; else the zoom that shows
    the most tiles drawn legibly; with none legible, the one that draws them largest.
    `content`: the side of the tiles once trim_margin has cut their empty frame (the dense
    and half zooms draw that, the full zoom the whole tile)."""
    if count(size, width, height_cells) >= min(n, FULL_ENOUGH):
        return "full"
    content = content or size
    best, best_key = "dense", (-1.0, 0.0, 0.0)
    for zoom in ZOOMS:
        base = size if zoom == "full" else content
        side = tile_side(base, n, width, height_cells, zoom)
        shows = min(n, count(side, width, height_cells))
        drawn = side * size / base  # what the untrimmed tile would measure
        if not shows:
            continue
        key = (1.0, shows, drawn) if legible(drawn, size) else (0.0, drawn, shows)
        if key > best_key:
            best, best_key = zoom, key
    return best


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
    if zoom != "full" or ncol:  # below full size, pixels go to the strokes, not the frame
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


def class_labels(dataset: str, k: int) -> tuple[str, ...]:
    """The names of a conditional grid's k columns: the data set's class names when it has
    k of them, else the class numbers."""
    names = CLASS_NAMES.get(dataset, ())
    return names if len(names) == k else tuple(str(i) for i in range(k))


def label_line(labels: tuple[str, ...] | list[str], field: int, gap: int) -> str:
    """Labels centred over columns `field` characters wide and `gap` apart, each cut to its
    column (never into its neighbour's)."""
    return (" " * gap).join(label[:field].center(field) for label in labels).rstrip()


@dataclass(frozen=True)
class Band:
    """One strip of a labelled grid: its columns' labels over their tiles."""

    labels: tuple[str, ...]
    image: np.ndarray  # H x W x 3, as wide as every other band of its layout


@dataclass(frozen=True)
class Bands:
    bands: tuple[Band, ...]
    side: int  # the tiles' side in pixels; a column is side + 1 pixels from the next
    shown: int  # tiles drawn


def band_layout(
    tiles: np.ndarray,
    ncol: int,
    labels: tuple[str, ...] | list[str],
    width: int,
    lines: int,
    px_per_line: int = 2,
) -> Bands:
    """A grid whose columns mean something (classes, steps of t), in bands of columns: each
    band a line of labels over its tiles. The split is the one that draws the tiles largest
    up to legible, then shows the most rows (then larger, then fewer bands): ten classes 3 px
    wide in one band of 48 columns are blobs, two bands of five draw them at 8 px.
    `lines`: the text lines there are; `px_per_line`: pixel rows a line draws (2 in
    half-blocks, 1 in the ASCII ramp)."""
    full = tiles.shape[1]
    tiles = trim_margin(tiles)
    n, size = tiles.shape[0], tiles.shape[1]
    ncol = max(1, min(ncol, n))
    nrows = math.ceil(n / ncol)
    enough = math.ceil(min(LEGIBLE, full) * size / full)  # the trimmed side that is legible
    best: tuple[tuple[int, ...], int, int, int] | None = None
    for per in range(ncol, 0, -1):  # columns a band
        nbands = math.ceil(ncol / per)
        px = (lines // nbands - 1) * px_per_line  # a band's pixel rows, under its labels
        for side in range(min(size, (width + 1) // per - 1, px), 0, -1):
            rows = min(nrows, (px + 1) // (side + 1))
            key = (min(side, enough), rows, side, per)
            if best is None or key > best[0]:
                best = (key, per, side, rows)
    if best is None:
        return Bands((), 0, 0)
    _, per, side, rows = best
    return _bands(tiles, ncol, labels, per, side, rows)


def column_layout(
    tiles: np.ndarray, ncol: int, labels: tuple[str, ...] | list[str], width: int
) -> Bands:
    """Every row of a grid whose columns mean something, for a terminal that scrolls: one
    band of all the columns, its tiles as large as the width allows (at most their own
    size); more bands only where the columns do not fit at a pixel each."""
    tiles = trim_margin(tiles)
    n = tiles.shape[0]
    ncol = max(1, min(ncol, n))
    side = min(tiles.shape[1], (width + 1) // ncol - 1)
    per = ncol if side >= 1 else max(1, (width + 1) // 2)
    return _bands(tiles, ncol, labels, per, max(1, side), math.ceil(n / ncol))


def _bands(
    tiles: np.ndarray,
    ncol: int,
    labels: tuple[str, ...] | list[str],
    per: int,
    side: int,
    rows: int,
) -> Bands:
    """`rows` rows of a grid of `ncol` columns cut into bands of `per` columns."""
    n = tiles.shape[0]
    small = resize_tiles(tiles, side)
    blank = np.zeros((side, side), np.uint8)
    wide = per * (side + 1) - 1
    bands = []
    for b in range(math.ceil(ncol / per)):
        cols = range(b * per, min((b + 1) * per, ncol))
        picked = [
            small[i] if i < n else blank for r in range(rows) for i in (r * ncol + c for c in cols)
        ]
        img = make_grid(np.stack(picked), ncol=len(cols), pad=1)
        if img.shape[1] < wide:  # a short last band stays aligned with the ones above
            img = np.pad(img, ((0, 0), (0, wide - img.shape[1]), (0, 0)))
        bands.append(Band(tuple(labels[c] if c < len(labels) else "" for c in cols), img))
    return Bands(tuple(bands), side, min(n, rows * ncol))


def pair_layout(tiles: np.ndarray, width: int, height_cells: int) -> tuple[np.ndarray, int, int]:
    """Real | reconstruction pairs (tiles 2i and 2i+1) side by side, 1 px apart and PAIR_GAP
    from the next pair: as many pairs as fit drawn legibly, else as large as they fit.
    Returns the image, how many pairs it holds, and the tiles' side."""
    full = tiles.shape[1]
    tiles = trim_margin(tiles)
    size, pairs = tiles.shape[1], tiles.shape[0] // 2
    height = 2 * height_cells
    best: tuple[tuple, int, int, int] | None = None
    for per in range(1, pairs + 1):  # pairs a row
        top = min(size, ((width + PAIR_GAP) // per - PAIR_GAP - 1) // 2)
        for side in range(top, 0, -1):
            shows = min(pairs, per * ((height + PAIR_GAP) // (side + PAIR_GAP)))
            if not shows:
                continue
            drawn = side * full / size
            key = (1, shows, side) if legible(drawn, full) else (0, side, shows)
            if best is None or key > best[0]:
                best = (key, per, side, shows)
    if best is None:
        return EMPTY, 0, 0
    _, per, side, shows = best
    small = resize_tiles(tiles[: 2 * shows], side)
    units = np.stack([make_grid(small[2 * i : 2 * i + 2], ncol=2, pad=1) for i in range(shows)])
    grid = make_grid(units.transpose(0, 3, 1, 2), ncol=min(per, shows), pad=PAIR_GAP)
    return grid, shows, side
