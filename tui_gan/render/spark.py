"""Block-character charts (sparklines, bar rows) as pure functions of numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = " ▁▂▃▄▅▆▇█"


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
) -> list[str]:
    """Rows (top first) of a bar chart `height` cells tall, values resampled to `width` columns."""
    vals = [v for v in resample(values, width) if math.isfinite(v)]
    if not vals or height <= 0:
        return [" " * max(width, 0)] * max(height, 0)
    lo = min(vals) if lo is None else lo
    hi = max(vals) if hi is None else hi
    span = hi - lo if hi > lo else 1.0
    levels = [min(max((v - lo) / span, 0.0), 1.0) * height * 8 for v in vals]
    rows = []
    for r in range(height - 1, -1, -1):  # top row first
        row = []
        for lev in levels:
            fill = lev - r * 8
            row.append(BLOCKS[8] if fill >= 8 else BLOCKS[max(0, round(fill))] if fill > 0 else " ")
        rows.append("".join(row).ljust(width))
    return rows


def sparkline(
    values: Sequence[float], width: int, lo: float | None = None, hi: float | None = None
) -> str:
    """One row of bars; lo/hi fix the scale (e.g. 0..1 for probabilities)."""
    return bars(values, width, 1, lo, hi)[0]
