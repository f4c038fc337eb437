"""Images as plain ASCII: a luminance ramp, two characters a pixel so shapes keep their aspect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from tui_gan.render.halfblock import downsample, to_uint8_hwc

RAMP = " .:-=+*#%@"  # dark to bright: a digit's ink (bright) is dense, the ground blank
PIXEL_WIDTH = 2  # a terminal cell is about twice as tall as wide: two cells make a square
Render = Literal["truecolor", "256", "16", "ascii"]
RENDERS: tuple[str, ...] = ("truecolor", "256", "16", "ascii")
RENDER_ENV = "TUI_GAN_RENDER"


def luminance(img_hwc: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an HxWx3 uint8 image, as HxW floats in [0, 255]."""
    rgb = img_hwc.astype(np.float64)
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def ascii_rows(img_hwc: np.ndarray) -> list[str]:
    """One text row per pixel row, each pixel PIXEL_WIDTH characters of the ramp."""
    levels = np.rint(luminance(img_hwc) / 255.0 * (len(RAMP) - 1)).astype(int)
    return ["".join(RAMP[v] * PIXEL_WIDTH for v in row) for row in levels]


def render_ascii(
    img: Any,
    width: int = 80,
    height: int = 24,
    *,
    value_range: tuple[float, float] | None = None,
) -> str:
    """One image as ASCII fitting `width` columns x `height` lines (all within 0x20-0x7E)."""
    hwc = to_uint8_hwc(img, value_range=value_range)
    # downsample's cells hold two pixel rows: asking for half the lines gives `height` rows.
    small = downsample(hwc, max(1, width // PIXEL_WIDTH), max(1, (height + 1) // 2))
    return "\n".join(ascii_rows(small))


def pick_render(env: Mapping[str, str], isatty: bool) -> Render:
    """How a headless command draws samples: TUI_GAN_RENDER if set; plain ASCII into a pipe
    or file, under NO_COLOR, TERM=dumb or a locale that is not UTF-8; else the colour depth
    COLORTERM and TERM announce (16 colours unless TERM says 256, as a console's does)."""
    forced = env.get(RENDER_ENV, "").strip().lower()
    if forced in RENDERS:
        return forced  # type: ignore[return-value]
    locale = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
    utf8 = "utf-8" in locale.lower() or "utf8" in locale.lower()
    if not isatty or "NO_COLOR" in env or env.get("TERM") == "dumb" or (locale and not utf8):
        return "ascii"
    if env.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        return "truecolor"
    return "256" if "256" in env.get("TERM", "") else "16"


def render_image(img: Any, width: int, height: int, mode: Render) -> str:
    """The image drawn in `mode`: ANSI half-blocks in colour, or the ASCII ramp."""
    if mode == "ascii":
        return render_ascii(img, width, height)
    from tui_gan.render.halfblock import render_ansi

    return render_ansi(img, width=width, height_cells=height, color=mode)


def draw_rows(img_hwc: np.ndarray, mode: Render) -> list[str]:
    """An HxWx3 uint8 image already sized for the terminal, drawn as it is: its lines of
    half-blocks in colour (two pixel rows a line, W cells), or of the ramp (one pixel row a
    line, PIXEL_WIDTH * W characters)."""
    if mode == "ascii":
        return ascii_rows(img_hwc)
    from tui_gan.render.halfblock import halfblock_cells, to_ansi

    return to_ansi(halfblock_cells(img_hwc), color=mode).split("\n")


def cells_per_pixel(mode: Render) -> tuple[int, float]:
    """(characters a pixel is wide, lines a pixel row is tall) when drawn in `mode`."""
    return (PIXEL_WIDTH, 1.0) if mode == "ascii" else (1, 0.5)
