"""Charts as pure functions of numbers: bar rows in block characters (or an ASCII ramp),
columns stretched over a step axis, a range that ignores outliers, and tick labels."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

BLOCKS = " ▁▂▃▄▅▆▇█"
# The same nine fill levels within 0x20-0x7E, sparse to dense; no "-", which draws the
# mid line, and none of the clip marks.
ASCII_BLOCKS = " .,:;=+*#"
CLIP_HIGH, CLIP_LOW = "▴", "▾"  # a column past the range's top or bottom, drawn at its edge
ASCII_CLIP_HIGH, ASCII_CLIP_LOW = "^", "v"
MID_LINE, ASCII_MID_LINE = "╌", "-"  # a reference level (0.5 for D's probabilities)


def resample(values: Sequence[float], width: int) -> list[float]:
    """Bucket means so len(result) <= width; every value lands in exactly one bucket."""
    n = len(values)
    if width <= 0:
        return []
    if n <= width:
        return list(values)
    out = []
    for i in range(width):
        lo, hi = i * n // width, (i + 1) * n // width
        chunk = values[lo:hi]
        out.append(sum(chunk) / len(chunk))
    return out


def bars(
    values: Sequence[float],
    width: int,
    height: int,
    lo: float | None = None,
    hi: float | None = None,
    ascii: bool = False,
) -> list[str]:
    """Rows (top first) of a bar chart `height` cells tall, values resampled to `width` columns."""
    vals = [v for v in resample(values, width) if math.isfinite(v)]
    if not vals or height <= 0:
        return [" " * max(width, 0)] * max(height, 0)
    lo = min(vals) if lo is None else lo
    hi = max(vals) if hi is None else hi
    span = hi - lo if hi > lo else 1.0
    blocks = ASCII_BLOCKS if ascii else BLOCKS
    levels = [min(max((v - lo) / span, 0.0), 1.0) * height * 8 for v in vals]
    rows = []
    for r in range(height - 1, -1, -1):  # top row first
        row = []
        for lev in levels:
            fill = lev - r * 8
            row.append(blocks[8] if fill >= 8 else blocks[max(0, round(fill))] if fill > 0 else " ")
        rows.append("".join(row).ljust(width))
    return rows


def sparkline(
    values: Sequence[float],
    width: int,
    lo: float | None = None,
    hi: float | None = None,
    ascii: bool = False,
) -> str:
    """One row of bars; lo/hi fix the scale (e.g. 0..1 for probabilities)."""
    return bars(values, width, 1, lo, hi, ascii)[0]


def stretch(
    steps: Sequence[float],
    values: Sequence[float],
    width: int,
    start: float | None = None,
    end: float | None = None,
) -> list[float]:
    """`width` column values over the steps from `start` to `end`: each column the mean of
    the points whose step falls in it, columns between points interpolated, so a short run
    fills the width as a long one does. Non-finite values are left out; no finite point:
    no columns."""
    s = np.asarray(steps, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    n = min(len(s), len(v))
    s, v = s[:n], v[:n]
    ok = np.isfinite(v)
    if width <= 0 or not ok.any():
        return []
    s, v = s[ok], v[ok]
    first = float(s.min()) if start is None else start
    last = float(s.max()) if end is None else end
    span = last - first
    if span <= 0:
        return [float(v.mean())] * width
    cols = np.clip(((s - first) * (width / span)).astype(np.int64), 0, width - 1)
    counts = np.bincount(cols, minlength=width)
    filled = np.nonzero(counts)[0]
    means = np.bincount(cols, weights=v, minlength=width)[filled] / counts[filled]
    # Columns between points: a line; before the first and after the last: its value.
    return np.interp(np.arange(width), filled, means).tolist()


def ema(values: Sequence[float], span: float) -> list[float]:
    """Exponential moving average over `span` values (alpha = 2 / (span + 1)), started at the
    first value so the curve has no warm-up bias toward zero."""
    alpha = 2.0 / (max(span, 1.0) + 1.0)
    out: list[float] = []
    acc = None
    for v in values:
        acc = v if acc is None else acc + alpha * (v - acc)
        out.append(acc)
    return out


def quantile(sorted_vals: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of an already sorted, non-empty sequence."""
    pos = (len(sorted_vals) - 1) * min(max(q, 0.0), 1.0)
    i = int(pos)
    j = min(i + 1, len(sorted_vals) - 1)
    return sorted_vals[i] + (sorted_vals[j] - sorted_vals[i]) * (pos - i)


def robust_range(
    values: Sequence[float], q: float = 0.05, fence: float = 0.5
) -> tuple[float, float]:
    """A (lo, hi) scale that leaves out outliers such as the first steps' spike: the q..1-q
    quantiles widened by `fence` times their spread, never past the data, and always
    holding the last value (where the run is now). lo < hi, even for a flat series."""
    vals = sorted(v for v in values if math.isfinite(v))
    if not vals:
        return 0.0, 1.0
    q_lo, q_hi = quantile(vals, q), quantile(vals, 1.0 - q)
    pad = (q_hi - q_lo) * fence
    lo, hi = max(vals[0], q_lo - pad), min(vals[-1], q_hi + pad)
    last = next((v for v in reversed(values) if math.isfinite(v)), None)
    if last is not None:
        lo, hi = min(lo, last), max(hi, last)
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        half = max(abs(hi) * 0.05, 1e-6)  # a flat line: centre it in a small band
        lo, hi = lo - half, hi + half
    return lo, hi


def level_rows(
    columns: Sequence[float],
    height: int,
    lo: float,
    hi: float,
    ascii: bool = False,
    mid: float | None = None,
) -> list[str]:
    """Rows (top first) of bars for already-stretched columns on a fixed lo..hi scale. A
    column above hi is drawn full with a clip mark on top, one below lo empty with a mark at
    the bottom; with `mid`, empty cells of the row holding it show a dotted line."""
    width = len(columns)
    if height <= 0:
        return []
    blocks = ASCII_BLOCKS if ascii else BLOCKS
    high, low = (ASCII_CLIP_HIGH, ASCII_CLIP_LOW) if ascii else (CLIP_HIGH, CLIP_LOW)
    span = hi - lo if hi > lo else 1.0
    grid = [[" "] * width for _ in range(height)]
    mid_row = mid_row_of(mid, lo, hi, height)
    for c, v in enumerate(columns):
        if not math.isfinite(v):
            continue
        # A value at the bottom of the range still shows as the lowest bar, not as no data.
        level = max((v - lo) / span * height * 8, 1.0)
        for r in range(height):  # r counts from the bottom
            fill = level - r * 8
            if fill >= 8:
                grid[height - 1 - r][c] = blocks[8]
            elif fill > 0:
                grid[height - 1 - r][c] = blocks[max(0, round(fill))]
        if v > hi:
            grid[0][c] = high
        elif v < lo:
            grid[height - 1][c] = low
    if mid_row is not None:
        line = ASCII_MID_LINE if ascii else MID_LINE
        for c in range(width):
            if grid[mid_row][c] == " ":
                grid[mid_row][c] = line
    return ["".join(row) for row in grid]


def mid_row_of(mid: float | None, lo: float, hi: float, height: int) -> int | None:
    """The row (top first) whose cells hold `mid`, when that is neither the top nor the
    bottom row (those carry the range's own ticks); else None."""
    if mid is None or height < 3 or not lo < mid < hi:
        return None
    row = height - 1 - int((mid - lo) / (hi - lo) * height)
    return row if 0 < row < height - 1 else None


def tick_decimals(lo: float, hi: float) -> int:
    """Decimals enough to place the range's ends within a tenth of it."""
    span = abs(hi - lo)
    for d in range(7):
        if 10.0**-d <= span / 10 * (1 + 1e-9):
            return d
    return 7


def fmt_tick(x: float, decimals: int) -> str:
    """A tick label of at most 7 characters: fixed decimals, k/M/G from ten thousand,
    exponent form for what fixed decimals cannot hold."""
    text = f"{x:.{decimals}f}"
    if float(text) == 0:  # zero at this scale (no "-0.0")
        return f"{0.0:.{decimals}f}"
    if abs(x) >= 1e4:
        for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if abs(x) >= div:
                return f"{x / div:.3g}{suffix}"
    if len(text) <= 7:
        return text
    return f"{x:.1e}".replace("e-0", "e-").replace("e+0", "e")


def fmt_value(x: float | None) -> str:
    """The current value: four significant figures, at most 3 decimals, short exponent
    form for the very large or small."""
    if x is None:
        return "--"
    if not math.isfinite(x):
        return str(x)
    a = abs(x)
    if a != 0 and (a >= 1e5 or a < 1e-3):
        return f"{x:.3g}".replace("e-0", "e-").replace("e+0", "e")
    decimals = 3 if a == 0 else min(3, max(0, 3 - math.floor(math.log10(a))))
    return f"{x:.{decimals}f}"


def fmt_step(step: float) -> str:
    """A step on the axis: whole, with k/M past ten thousand so it stays short."""
    s = int(round(step))
    if abs(s) >= 1_000_000:
        return f"{s / 1e6:.1f}M".replace(".0M", "M")
    if abs(s) >= 10_000:
        return f"{s / 1e3:.0f}k"
    return str(s)


def step_axis(first: float, last: float, width: int) -> str:
    """`width` characters under a chart: the first step at the left, `step N` at the right
    (the word dropped, then the first step, when the width is short)."""
    if width <= 0:
        return ""
    a, b = fmt_step(first), fmt_step(last)
    for left, right in ((a, f"step {b}"), (a, b), ("", f"step {b}"), ("", b)):
        if len(left) + len(right) + (1 if left else 0) <= width:
            return left + " " * (width - len(left) - len(right)) + right
    return b[:width].rjust(width)
