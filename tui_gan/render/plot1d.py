"""The seed's 1-D figure as pixels: real and G histograms overlaid, D(x) as a line over them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# matplotlib's tab colours, as in `tui-gan report`'s frames: the same picture in both places.
REAL = (31, 119, 180)  # tab:blue
FAKE = (214, 39, 40)  # tab:red
BOTH = (148, 103, 189)  # tab:purple: where the two histograms overlap
D_LINE = (255, 127, 14)  # tab:orange
LEVEL = (150, 150, 150)  # D = 0.5, dotted
HEADROOM = 1.08  # the taller histogram stops short of the top, under D = 1


def d_range(d_curve: Sequence[float], probabilities: bool) -> tuple[float, float]:
    """D's axis: 0..1 for probabilities (BCE); the curve's own span (padded) for raw scores."""
    if probabilities:
        return 0.0, 1.0
    lo, hi = float(min(d_curve)), float(max(d_curve))
    # Relative to the values too: 1e-6 vanishes next to a score of 1e12 (a flat WGAN critic).
    pad = max(1e-6 * max(1.0, abs(lo), abs(hi)), 0.05 * (hi - lo))
    return lo - pad, hi + pad


def scale_label(value: float, width: int) -> str:
    """A D-axis value in at most `width` characters, rounded, never cut short."""

    def sci(digits: int) -> str:  # 1.3e4 rather than 1.3e+04
        mantissa, exponent = f"{value:.{digits}e}".split("e")
        return f"{mantissa}e{int(exponent)}"

    plain = [t for t in (f"{value:.2f}", f"{value:.3g}", f"{value:.2g}") if "e" not in t]
    return next((t for t in (*plain, sci(1), sci(0)) if len(t) <= width), sci(0))


def canvas(
    bin_edges: Sequence[float],
    real_hist: Sequence[float],
    fake_hist: Sequence[float],
    x_grid: Sequence[float],
    d_curve: Sequence[float],
    width: int,
    height: int,
    d_lo: float = 0.0,
    d_hi: float = 1.0,
) -> np.ndarray:
    """A height x width x 3 picture: both histograms on one scale, D(x) on its own axis."""
    img = np.zeros((height, width, 3), np.uint8)
    edges = np.asarray(bin_edges, np.float64)
    lo, hi = float(edges[0]), float(edges[-1])
    if width < 1 or height < 1 or not hi > lo:
        return img
    x = lo + (np.arange(width) + 0.5) / width * (hi - lo)  # each column's centre
    bins = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    real, fake = np.asarray(real_hist, np.float64), np.asarray(fake_hist, np.float64)
    top = max(float(real.max(initial=0.0)), float(fake.max(initial=0.0)), 1e-12) * HEADROOM
    rows = np.arange(height)[:, None]  # 0 at the top

    def filled(h: np.ndarray) -> np.ndarray:
        tall = np.rint(h[bins] / top * height).astype(int)
        return rows >= height - tall[None, :]

    r, f = filled(real), filled(fake)
    img[r & ~f] = REAL
    img[f & ~r] = FAKE
    img[r & f] = BOTH

    def y_of(d: float | np.ndarray) -> np.ndarray:
        return row_of(d, d_lo, d_hi, height)

    if d_hi > d_lo and d_lo < 0.5 < d_hi:
        img[y_of(0.5), ::2] = LEVEL
    grid = np.asarray(x_grid, np.float64)
    if len(grid) >= 2 and d_hi > d_lo:  # no axis, no line
        ys = y_of(np.interp(x, grid, np.asarray(d_curve, np.float64)))
        for c in range(width):
            # Join each column to the last with a vertical run, so a steep D stays one line.
            prev = ys[c - 1] if c else ys[c]
            a, b = sorted((int(prev), int(ys[c])))
            img[a : b + 1 if b > a else a + 1, c] = D_LINE
    return img


def row_of(d: float | np.ndarray, d_lo: float, d_hi: float, height: int) -> np.ndarray:
    """The pixel row (0 at the top) of a D value on a height-pixel axis from d_lo to d_hi."""
    frac = (np.asarray(d, np.float64) - d_lo) / (d_hi - d_lo)
    return np.clip(np.rint((1 - frac) * (height - 1)), 0, height - 1).astype(int)


def nice_ticks(lo: float, hi: float, most: int) -> list[float]:
    """Round values (steps of 1, 2 or 5 x 10^k) inside [lo, hi], at most `most` of them."""
    if not hi > lo or most < 1:
        return []
    for step in _steps((hi - lo) / max(1, most)):
        first = math.ceil(lo / step - 1e-9)
        ticks = [round(t * step, 10) for t in range(first, math.floor(hi / step + 1e-9) + 1)]
        if len(ticks) <= most:
            return [t + 0.0 for t in ticks]  # -0.0 reads as 0
    return [lo, hi]


def _steps(rough: float):
    k = math.floor(math.log10(rough)) if rough > 0 else 0
    while True:
        for m in (1, 2, 5):
            yield m * 10**k
        k += 1


def tick_label(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    return f"{value:.{decimals}f}"


def axis_line(lo: float, hi: float, width: int) -> str:
    """x tick labels under a `width`-column plot of [lo, hi], each centred on its column."""
    ticks = nice_ticks(lo, hi, max(2, width // 9))
    line = [" "] * width
    step = ticks[1] - ticks[0] if len(ticks) > 1 else hi - lo
    for t in ticks:
        label = tick_label(t, step)
        col = int((t - lo) / (hi - lo) * width)
        start = min(max(0, col - len(label) // 2), width - len(label))
        if start < 0 or any(c != " " for c in line[max(0, start - 1) : start + len(label) + 1]):
            continue  # no room: a label never overwrites its neighbour
        line[start : start + len(label)] = label
    return "".join(line)
