"""Render image arrays as ANSI half-block text: two vertical pixels per terminal cell."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np

# Only numpy and the standard library are imported here: the headless CLI and the
# Textual dashboard both use this module, and neither should pay for torch/rich.

RGB = tuple[int, int, int]
Cell = tuple[tuple[int, int, int], tuple[int, int, int]]
"""One terminal cell: (foreground rgb = top pixel, background rgb = bottom pixel)."""

ColorMode = Literal["truecolor", "256", "16"]

UPPER_HALF_BLOCK = "\u2580"
RESET = "\x1b[0m"

# xterm's 6x6x6 cube does not use evenly spaced levels.
_CUBE_LEVELS: tuple[int, ...] = (0, 95, 135, 175, 215, 255)
# Ramp 232..255 is 8, 18, ..., 238; it never reaches pure black or white,
# which the cube supplies instead (16 and 231).
_GREY_BASE = 232
_GREY_COUNT = 24

_COLOR_MODES: tuple[str, ...] = ("truecolor", "256", "16")

# The 16 standard colours as xterm draws them (SGR 30-37, then the bright 90-97). Terminals
# theme these, so a grey pixel only ever gets one of the four greys, which every theme keeps
# in order: black < bright black < white < bright white.
_ANSI16: tuple[RGB, ...] = (
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
    (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
    (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
)  # fmt: skip
_GREYS16 = (0, 8, 7, 15)  # darkest to brightest, at evenly spaced luma: 0, 85, 170, 255
_GREY_SPREAD = 24  # channels this close together: a grey pixel (most samples are)


def _as_numpy(img: Any) -> np.ndarray:
    # Duck-type torch tensors (possibly on GPU / requiring grad) without importing torch.
    if hasattr(img, "detach") and hasattr(img, "cpu"):
        img = img.detach().cpu()
        if hasattr(img, "float") and str(getattr(img, "dtype", "")) == "torch.bfloat16":
            img = img.float()  # numpy has no bfloat16
        img = img.numpy()
    return np.asarray(img)


def _to_uint8_values(arr: np.ndarray, value_range: tuple[float, float] | None) -> np.ndarray:
    """Map pixel values to uint8 without changing the shape."""
    if arr.dtype == np.uint8 and value_range is None:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * np.uint8(255)
    if value_range is None:
        if np.issubdtype(arr.dtype, np.floating):
            value_range = (-1.0, 1.0)  # GAN generators usually end in tanh
        else:
            # Other integer dtypes are assumed to already be 0..255 pixel values.
            return np.clip(arr, 0, 255).astype(np.uint8)
    lo, hi = float(value_range[0]), float(value_range[1])
    if not hi > lo:
        raise ValueError(f"value_range must satisfy lo < hi, got {value_range!r}")
    # A diverging generator can emit NaN/inf; render those as black/clipped, not crash.
    x = np.nan_to_num(arr.astype(np.float64), nan=lo, posinf=hi, neginf=lo)
    scaled = (x - lo) / (hi - lo) * 255.0
    # floor(x + 0.5) rounds half up, so 0.0 in [-1, 1] lands on 128 deterministically.
    return np.clip(np.floor(scaled + 0.5), 0, 255).astype(np.uint8)


def _to_hwc_layout(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 2:
        return arr[:, :, None]
    if arr.ndim == 3:
        # Prefer CHW when both ends look like channels (e.g. 3x3x3): images in this
        # project mostly come from torch, which is channel-first.
        if arr.shape[0] in (1, 3):
            return np.moveaxis(arr, 0, -1)
        if arr.shape[-1] in (1, 3):
            return arr
    raise ValueError(f"expected an image shaped HxW, 1xHxW, 3xHxW, HxWx1 or HxWx3, got {arr.shape}")


def _expand_to_rgb(hwc: np.ndarray) -> np.ndarray:
    if hwc.shape[-1] == 1:
        hwc = np.repeat(hwc, 3, axis=-1)
    return np.ascontiguousarray(hwc, dtype=np.uint8)


def to_uint8_hwc(img: Any, *, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """Convert one image to an HxWx3 uint8 array.

    Accepts HxW, 1xHxW, 3xHxW, HxWx1 and HxWx3 arrays (a 3-D array whose first and
    last axes could both be channels is read as channel-first). uint8 passes through;
    floats are mapped from ``value_range`` (default ``(-1, 1)``) to 0..255 and clipped.
    Greyscale is replicated to three channels.
    """
    arr = _as_numpy(img)
    hwc = _to_hwc_layout(arr)
    return _expand_to_rgb(_to_uint8_values(hwc, value_range))


def make_grid(
    images: Any,
    ncol: int | None = None,
    pad: int = 1,
    pad_value: int | Sequence[int] = 0,
    *,
    value_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """Tile a batch (NxCxHxW or NxHxW, C in {1, 3}) into one HxWx3 uint8 grid.

    ``ncol`` defaults to ceil(sqrt(N)) and is capped at N; ``pad`` pixels of
    ``pad_value`` (grey level or rgb) separate tiles but do not surround the grid.
    Unfilled slots in the last row are filled with ``pad_value``.
    """
    batch = _as_numpy(images)
    if batch.ndim == 3:
        batch = batch[:, None, :, :]
    if batch.ndim != 4 or batch.shape[1] not in (1, 3):
        raise ValueError(f"expected images shaped NxCxHxW (C in 1, 3) or NxHxW, got {batch.shape}")
    n, _, h, w = batch.shape
    if n == 0:
        raise ValueError("make_grid needs at least one image")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    if ncol is None:
        ncol = math.ceil(math.sqrt(n))
    if ncol < 1:
        raise ValueError(f"ncol must be >= 1, got {ncol}")
    ncol = min(ncol, n)
    nrow = math.ceil(n / ncol)

    tiles = _to_uint8_values(batch, value_range)
    tiles = np.moveaxis(tiles, 1, -1)  # N,H,W,C
    if tiles.shape[-1] == 1:
        tiles = np.repeat(tiles, 3, axis=-1)

    fill = np.broadcast_to(np.asarray(pad_value, dtype=np.int64), (3,))
    grid = np.empty((nrow * h + (nrow - 1) * pad, ncol * w + (ncol - 1) * pad, 3), np.uint8)
    grid[...] = np.clip(fill, 0, 255).astype(np.uint8)
    for k in range(n):
        r, c = divmod(k, ncol)
        y, x = r * (h + pad), c * (w + pad)
        grid[y : y + h, x : x + w] = tiles[k]
    return grid


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix averaging input pixels by their fractional overlap."""
    edges = np.arange(n_out + 1, dtype=np.float64) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    idx = np.arange(n_in, dtype=np.float64)[None, :]
    overlap = np.clip(np.minimum(hi, idx + 1.0) - np.maximum(lo, idx), 0.0, None)
    # Normalising by the row sum (not n_in/n_out) keeps rows summing to exactly 1.
    return overlap / overlap.sum(axis=1, keepdims=True)


def fit_size(height: int, width: int, max_width: int, max_height_cells: int) -> tuple[int, int]:
    """Pixel (height, width) that fits the cell box, keeps aspect and never upscales."""
    if max_width < 1 or max_height_cells < 1:
        raise ValueError("max_width and max_height_cells must be >= 1")
    max_h = 2 * max_height_cells
    scale = min(1.0, max_width / width, max_h / height)
    # Rounding a value that is <= the integer limit can never exceed that limit.
    new_h = min(max_h, height, max(1, int(height * scale + 0.5)))
    new_w = min(max_width, width, max(1, int(width * scale + 0.5)))
    return new_h, new_w


def downsample(img_hwc: np.ndarray, max_width: int, max_height_cells: int) -> np.ndarray:
    """Area-average ``img_hwc`` so it fits ``max_width`` x ``2 * max_height_cells`` pixels.

    Aspect ratio is kept (up to rounding to whole pixels) and the image is never
    upscaled; an image that already fits is returned unchanged.
    """
    arr = np.asarray(img_hwc)
    if arr.ndim != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"expected a non-empty HxWxC image, got {arr.shape}")
    h, w = arr.shape[:2]
    new_h, new_w = fit_size(h, w, max_width, max_height_cells)
    if (new_h, new_w) == (h, w):
        return arr
    return area_resize(arr, new_h, new_w)


def area_resize(arr: np.ndarray, new_h: int, new_w: int) -> np.ndarray:
    """Area-average the first two axes of ``arr`` (H x W x ...) to ``new_h`` x ``new_w``."""
    rows = _area_weights(arr.shape[0], new_h)
    cols = _area_weights(arr.shape[1], new_w)
    # Separable box filter: two small matrix products instead of a per-pixel loop.
    tmp = np.tensordot(rows, arr.astype(np.float64), axes=(1, 0))  # new_h, W, ...
    out = np.tensordot(cols, tmp, axes=(1, 1)).swapaxes(0, 1)  # new_h, new_w, ...
    if arr.dtype == np.uint8:
        return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
    return out.astype(arr.dtype)


def halfblock_cells(img_hwc: np.ndarray) -> list[list[Cell]]:
    """Pair pixel rows 2i and 2i+1 into cell row i; an odd last row gets a black partner."""
    arr = np.asarray(img_hwc)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(f"expected an HxWx3 image, got {arr.shape}")
    arr = arr.astype(np.uint8, copy=False)
    if arr.shape[0] % 2:
        arr = np.concatenate([arr, np.zeros((1, *arr.shape[1:]), np.uint8)], axis=0)
    # tolist() converts to Python ints in C, far faster than per-pixel int() calls.
    tops = arr[0::2].tolist()
    bottoms = arr[1::2].tolist()
    return [
        [(tuple(t), tuple(b)) for t, b in zip(top_row, bottom_row, strict=True)]
        for top_row, bottom_row in zip(tops, bottoms, strict=True)
    ]


def xterm256_to_rgb(index: int) -> RGB:
    """RGB of an xterm-256 palette entry in 16..255 (0..15 are terminal-themed)."""
    if 16 <= index <= 231:
        n = index - 16
        return (_CUBE_LEVELS[n // 36], _CUBE_LEVELS[(n // 6) % 6], _CUBE_LEVELS[n % 6])
    if 232 <= index <= 255:
        v = 8 + 10 * (index - _GREY_BASE)
        return (v, v, v)
    raise ValueError(f"only indices 16..255 have fixed colours, got {index}")


def _nearest_cube_level(v: int) -> int:
    return min(range(6), key=lambda i: abs(_CUBE_LEVELS[i] - v))


def _dist2(a: Sequence[int], b: Sequence[int]) -> int:
    return sum((x - y) * (x - y) for x, y in zip(a, b, strict=True))


@lru_cache(maxsize=65536)
def _quantize_cached(r: int, g: int, b: int) -> int:
    ri, gi, bi = _nearest_cube_level(r), _nearest_cube_level(g), _nearest_cube_level(b)
    cube_index = 16 + 36 * ri + 6 * gi + bi
    cube_rgb = (_CUBE_LEVELS[ri], _CUBE_LEVELS[gi], _CUBE_LEVELS[bi])
    # The grey minimising squared error is the one nearest the channel mean.
    mean = (r + g + b) / 3.0
    gi_ramp = min(_GREY_COUNT - 1, max(0, int((mean - 8.0) / 10.0 + 0.5)))
    grey_v = 8 + 10 * gi_ramp
    if _dist2((r, g, b), (grey_v, grey_v, grey_v)) < _dist2((r, g, b), cube_rgb):
        return _GREY_BASE + gi_ramp
    return cube_index


def quantize_256(rgb: Sequence[int]) -> int:
    """Nearest xterm-256 index (16..255) to ``rgb`` by squared RGB distance.

    Indices 0..15 are never returned because terminals theme them. The greyscale
    ramp 232..255 is used whenever it is strictly closer than the 6x6x6 cube, so
    greys keep up to 30 distinct levels (24 ramp + 6 cube greys). Pure white is
    exact in the cube and maps to 231 (the ramp tops out at 238); black maps to 16.
    """
    r, g, b = (min(255, max(0, int(c))) for c in rgb)
    return _quantize_cached(r, g, b)


@lru_cache(maxsize=65536)
def _quantize16_cached(r: int, g: int, b: int) -> int:
    if max(r, g, b) - min(r, g, b) <= _GREY_SPREAD:
        luma = 0.299 * r + 0.587 * g + 0.114 * b
        return _GREYS16[min(3, int(luma / 255 * 3 + 0.5))]
    return min(range(16), key=lambda i: _dist2((r, g, b), _ANSI16[i]))


def quantize_16(rgb: Sequence[int]) -> int:
    """The standard colour (0..15) for ``rgb``: a grey by its luminance among the four greys
    (black, bright black, white, bright white), any other colour the nearest of the 16."""
    r, g, b = (min(255, max(0, int(c))) for c in rgb)
    return _quantize16_cached(r, g, b)


def _sgr(prefix: int, rgb: Sequence[int], color: str) -> str:
    if color == "truecolor":
        return f"\x1b[{prefix};2;{rgb[0]};{rgb[1]};{rgb[2]}m"
    if color == "16":  # 30-37 / 40-47, and the bright ones at 90-97 / 100-107
        i = quantize_16(rgb)
        return f"\x1b[{prefix - 8 + (60 if i >= 8 else 0) + i % 8}m"
    return f"\x1b[{prefix};5;{quantize_256(rgb)}m"


def to_ansi(cells: Sequence[Sequence[Cell]], color: ColorMode | str = "truecolor") -> str:
    """Encode cells as '▀' characters with SGR colours; lines joined by '\\n'.

    A foreground/background escape is only emitted when it differs from the
    previous cell's in the same line (compared after quantisation in "256" and "16" mode),
    and every line ends with a reset so colours never bleed into the next line.
    """
    if color not in _COLOR_MODES:
        raise ValueError(f"color must be one of {_COLOR_MODES}, got {color!r}")
    lines: list[str] = []
    for row in cells:
        parts: list[str] = []
        prev_fg: str | None = None
        prev_bg: str | None = None
        for fg, bg in row:
            fg_code = _sgr(38, fg, color)
            bg_code = _sgr(48, bg, color)
            if fg_code != prev_fg:
                parts.append(fg_code)
                prev_fg = fg_code
            if bg_code != prev_bg:
                parts.append(bg_code)
                prev_bg = bg_code
            parts.append(UPPER_HALF_BLOCK)
        parts.append(RESET)
        lines.append("".join(parts))
    return "\n".join(lines)


def render_ansi(
    img: Any,
    width: int = 80,
    height_cells: int = 24,
    color: ColorMode | str = "truecolor",
    *,
    value_range: tuple[float, float] | None = None,
) -> str:
    """One image to ANSI text fitting ``width`` columns x ``height_cells`` lines."""
    hwc = to_uint8_hwc(img, value_range=value_range)
    small = downsample(hwc, width, height_cells)
    return to_ansi(halfblock_cells(small), color=color)


def detect_color_mode(env: Mapping[str, str]) -> ColorMode:
    """Return "truecolor" when COLORTERM advertises 24-bit colour, otherwise "256"."""
    if env.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        return "truecolor"
    return "256"
