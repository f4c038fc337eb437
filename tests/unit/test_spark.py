"""Golden and property tests for the block-character sparklines and bar charts."""

from __future__ import annotations

import math

import pytest

from tui_gan.render.spark import BLOCKS, bars, resample, sparkline

NAN, INF = math.nan, math.inf


# resample ------------------------------------------------------------------------------------


def test_resample_is_a_noop_when_short():
    vals = [3.0, 1.0, 2.0]
    out = resample(vals, 3)
    assert out == vals
    assert out is not vals
    assert resample(vals, 10) == vals
    assert resample([], 5) == []


def test_resample_bucket_means():
    assert resample([1, 2, 3, 4], 2) == [1.5, 3.5]
    assert resample([1, 2, 3, 4], 1) == [2.5]
    # uneven buckets: [0:3], [3:6], [6:10]
    assert resample(list(range(10)), 3) == [1.0, 4.0, 7.5]


@pytest.mark.parametrize(("n", "width"), [(10, 3), (100, 7), (1000, 999), (17, 16), (5, 1)])
def test_resample_every_value_lands_in_one_bucket(n: int, width: int):
    vals = [float(i * i % 13) for i in range(n)]
    out = resample(vals, width)
    assert len(out) == width
    # reconstruct the bucket sizes the same way and check the weighted sum is the total
    sizes = [(i + 1) * n // width - i * n // width for i in range(width)]
    assert all(s >= 1 for s in sizes)
    assert sum(sizes) == n
    assert sum(m * s for m, s in zip(out, sizes, strict=True)) == pytest.approx(sum(vals))


# golden strings ------------------------------------------------------------------------------


def test_sparkline_golden_fixed_scale():
    assert sparkline([0, 0.5, 1], 3, 0, 1) == " ▄█"


def test_sparkline_golden_auto_scale():
    assert sparkline([1, 2, 3], 3) == " ▄█"
    assert sparkline([10, 20, 30], 3) == " ▄█"


def test_sparkline_every_eighth():
    assert sparkline([i / 8 for i in range(9)], 9, 0, 1) == BLOCKS == " ▁▂▃▄▅▆▇█"


def test_sparkline_pads_to_width():
    assert sparkline([0, 1], 5, 0, 1) == " █   "


def test_sparkline_resamples_long_input():
    assert sparkline([0, 0, 1, 1], 2, 0, 1) == " █"
    assert sparkline([0, 1, 0, 1], 2, 0, 1) == "▄▄"


def test_bars_golden_two_rows():
    assert bars([0, 1], 2, 2, 0, 1) == [" █", " █"]


def test_bars_golden_partial_top_row():
    # levels (eighths of the full height): 0, 4, 8, 12, 16
    assert bars([0, 0.25, 0.5, 0.75, 1], 5, 2, 0, 1) == ["   ▄█", " ▄███"]


def test_bars_rows_have_the_requested_size():
    rows = bars([float(i) for i in range(100)], 10, 3)
    assert len(rows) == 3
    assert all(len(r) == 10 for r in rows)
    assert rows[-1][-1] == "█"  # the largest bucket reaches the top
    assert rows[0][-1] == "█"


# non-finite, empty, clamping -----------------------------------------------------------------


def test_nan_and_inf_are_ignored_in_the_scale():
    # without ignoring inf, hi would be inf and every bar would be blank
    assert sparkline([0, INF, 1], 3) == " █ "
    assert sparkline([0, NAN, 1], 3) == " █ "
    assert sparkline([0, -INF, 0.5, 1], 4, 0, 1) == " ▄█ "


def test_all_non_finite_gives_a_blank_row():
    assert sparkline([NAN, INF, -INF], 4) == "    "
    assert bars([NAN, NAN], 3, 2) == ["   ", "   "]


@pytest.mark.parametrize(("width", "height"), [(5, 3), (1, 1), (10, 2)])
def test_empty_input_gives_blank_rows_of_the_right_width(width: int, height: int):
    assert bars([], width, height) == [" " * width] * height


def test_empty_sparkline():
    assert sparkline([], 4) == "    "
    assert sparkline([], 4, 0, 1) == "    "


def test_zero_height_gives_no_rows():
    assert bars([1, 2, 3], 3, 0) == []


def test_fixed_lo_hi_clamps_values_outside():
    assert sparkline([-5, 0.5, 5], 3, 0, 1) == " ▄█"
    assert bars([-1, 2], 2, 2, 0, 1) == [" █", " █"]


def test_flat_series_keeps_its_width():
    assert len(sparkline([5, 5, 5], 3)) == 3


def test_zero_width_gives_zero_width_rows():
    assert bars([1, 2, 3], 0, 1) == [""]
