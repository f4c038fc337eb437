"""Golden and property tests for the charts: bars, stretching, robust range, ticks, axis."""

from __future__ import annotations

import math

import pytest

from tui_gan.render.spark import (
    ASCII_BLOCKS,
    ASCII_CLIP_LOW,
    BLOCKS,
    CLIP_HIGH,
    MID_LINE,
    bars,
    ema,
    fmt_tick,
    fmt_value,
    level_rows,
    resample,
    robust_range,
    sparkline,
    step_axis,
    stretch,
    tick_decimals,
)

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


# ASCII mode -----------------------------------------------------------------------------------


def test_ascii_blocks_are_printable_ascii_and_nine_levels():
    assert len(ASCII_BLOCKS) == len(BLOCKS) == 9
    assert all(0x20 <= ord(c) <= 0x7E for c in ASCII_BLOCKS)
    assert len(set(ASCII_BLOCKS)) == 9


def test_ascii_sparkline_uses_the_ramp():
    assert sparkline([i / 8 for i in range(9)], 9, 0, 1, ascii=True) == ASCII_BLOCKS


# stretch: a short run fills the width ---------------------------------------------------------


def test_stretch_fills_the_width_when_there_are_fewer_points_than_columns():
    cols = stretch([10, 20, 30, 40, 50], [1.0, 2.0, 3.0, 4.0, 5.0], 40)
    assert len(cols) == 40
    assert all(math.isfinite(c) for c in cols)
    assert cols[0] == 1.0 and cols[-1] == 5.0
    assert all(a <= b for a, b in zip(cols, cols[1:], strict=False))  # a ramp stays a ramp
    row = level_rows(cols, 1, 1.0, 5.0)[0]
    assert " " not in row  # no column left empty: the series uses the whole width


def test_stretch_places_points_by_step_not_by_record():
    # Records at steps 0, 90 and 100: the last two share the last column, the gap between
    # is drawn as a line, not squeezed into three columns at the left.
    cols = stretch([0, 90, 100], [0.0, 9.0, 10.0], 10)
    assert cols[0] == 0.0
    assert cols[-1] == pytest.approx(9.5)
    assert cols[4] == pytest.approx(9.5 * 4 / 9)


def test_stretch_bucket_means_for_long_series():
    cols = stretch(list(range(1000)), [float(i % 2) for i in range(1000)], 10)
    assert cols == pytest.approx([0.5] * 10)


def test_stretch_fixed_extent_and_edges():
    # G's records start later than the axis: the columns before them hold its first value.
    cols = stretch([50, 100], [3.0, 5.0], 10, start=0, end=100)
    assert cols[:5] == [3.0] * 5
    assert cols[-1] == 5.0


def test_stretch_edge_cases():
    assert stretch([], [], 5) == []
    assert stretch([1, 2], [NAN, INF], 5) == []
    assert stretch([1], [2.0], 0) == []
    assert stretch([7, 7], [1.0, 3.0], 4) == [2.0] * 4  # one step: a flat line of the mean
    assert stretch([1, 2, 3], [1.0, NAN, 3.0], 3) == [1.0, 2.0, 3.0]


# robust range ---------------------------------------------------------------------------------


def test_robust_range_ignores_the_first_steps_spike():
    values = [8.0, 6.0, 3.0] + [0.7 + 0.02 * math.sin(i) for i in range(200)]
    lo, hi = robust_range(values)
    assert hi < 0.8  # the spike would have put the top at 8
    assert lo == pytest.approx(min(values[3:]), abs=0.01)


def test_robust_range_keeps_a_trend_whole():
    values = [2.0 - 1.5 * i / 99 for i in range(100)]  # a steady fall: nothing is an outlier
    assert robust_range(values) == pytest.approx((0.5, 2.0))


def test_robust_range_always_holds_the_latest_value():
    values = [1.0] * 100 + [1.01] * 100 + [9.0]  # the run blows up now: show it, not clip it
    lo, hi = robust_range(values)
    assert hi == 9.0


def test_robust_range_flat_and_empty_series():
    lo, hi = robust_range([0.7] * 10)
    assert lo < 0.7 < hi
    assert robust_range([]) == (0.0, 1.0)
    assert robust_range([NAN, INF]) == (0.0, 1.0)


def test_spike_is_drawn_at_the_edge_and_marked():
    cols = [8.0, 0.70, 0.72, 0.71, 0.70, 0.72] * 1
    lo, hi = robust_range(cols[1:])
    rows = level_rows(cols, 3, lo, hi)
    assert rows[0][0] == CLIP_HIGH  # the spike, clipped, keeps a full column and a mark
    assert rows[1][0] == rows[2][0] == BLOCKS[8]
    low = level_rows([-5.0, 0.5], 2, 0.0, 1.0, ascii=True)
    assert low[1][0] == ASCII_CLIP_LOW and low[0][0] == " "


def test_level_rows_mid_line_and_lowest_bar():
    rows = level_rows([0.0, 0.1, 1.0], 3, 0.0, 1.0, mid=0.5)
    assert rows[1] == MID_LINE * 2 + BLOCKS[8]  # 0.5 sits in the middle row
    assert rows[2][0] == BLOCKS[1]  # the bottom of the range still shows as a bar
    assert level_rows([0.5], 2, 0.0, 1.0, mid=0.5) == [" ", BLOCKS[8]]  # no row of its own


def test_level_rows_ascii_within_printable_range():
    cols = [math.sin(i / 3) * 3 for i in range(60)] + [50.0, -50.0]
    for h in (1, 2, 5):
        for row in level_rows(cols, h, -2.0, 2.0, ascii=True, mid=0.0):
            assert len(row) == len(cols)
            assert all(0x20 <= ord(c) <= 0x7E for c in row), row


def test_ema_smooths_and_starts_at_the_first_value():
    assert ema([], 4) == []
    out = ema([0.0, 10.0, 0.0, 10.0, 0.0, 10.0], 4)
    assert out[0] == 0.0
    assert max(out[2:]) - min(out[2:]) < 10.0 / 2
    assert ema([3.0] * 5, 10) == [3.0] * 5


# tick labels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lo", "hi", "expect"),
    [
        (0.70, 0.72, ("0.700", "0.720")),  # a 0.02 drift reads as a 0.02 drift
        (0.68, 1.24, ("0.68", "1.24")),
        (0.0, 1.0, ("0.0", "1.0")),
        (78.0, 138.0, ("78", "138")),
        (-0.5, 0.001, ("-0.50", "0.00")),
        (120_000.0, 1_500_000.0, ("120k", "1.5M")),
        (1e-5, 3e-5, ("1.0e-5", "3.0e-5")),
    ],
)
def test_ticks_show_numbers_that_tell_the_ends_apart(lo, hi, expect):
    d = tick_decimals(lo, hi)
    got = (fmt_tick(lo, d), fmt_tick(hi, d))
    assert got == expect
    assert all(len(t) <= 7 for t in got)


@pytest.mark.parametrize(
    ("x", "text"),
    [(None, "--"), (0.7649, "0.765"), (1.383, "1.383"), (138.26, "138.3"), (0.0, "0.000"),
     (123456.0, "1.23e5"), (0.0000123, "1.23e-5"), (-2.5, "-2.500"), (NAN, "nan")],
)  # fmt: skip
def test_current_value_format(x, text):
    assert fmt_value(x) == text


def test_step_axis_shows_first_and_last_step():
    assert step_axis(10, 400, 20) == "10" + " " * 10 + "step 400"
    axis = step_axis(0, 12_345, 12)
    assert axis.startswith("0") and axis.endswith("12k") and len(axis) == 12
    assert step_axis(10, 400, 5) == "  400"
    assert step_axis(10, 400, 2) == "40"
    assert step_axis(10, 400, 0) == ""
