"""The 1-D figure's pixels: overlaid histograms in their colours, D(x) as one line, ticks."""

from __future__ import annotations

import numpy as np

from tui_gan.render import plot1d


def picture(real, fake, d, width=40, height=20, **kw):
    edges = np.linspace(-2, 2, len(real) + 1)
    xs = np.linspace(-2, 2, 50)
    return plot1d.canvas(edges, real, fake, xs, np.full(50, d) if np.isscalar(d) else d,
                         width, height, **kw)  # fmt: skip


def colour_at(img, y, x):
    return tuple(int(c) for c in img[y, x])


def test_histograms_overlay_in_their_colours_and_purple_where_both_are():
    # Real mass on the left half only, G's on the right half only, both in the middle bins.
    real = [1, 1, 1, 0]
    fake = [0, 1, 1, 1]
    img = picture(real, fake, d=1.5, **{"d_lo": 0.0, "d_hi": 1.0})  # D off the top: clipped
    bottom = img.shape[0] - 1
    assert colour_at(img, bottom, 3) == plot1d.REAL
    assert colour_at(img, bottom, 20) == plot1d.BOTH
    assert colour_at(img, bottom, 37) == plot1d.FAKE
    # Both histograms on one scale: equal bars reach the same height (odd columns: no dots).
    assert (img[:, 3] == plot1d.REAL).all(axis=1).sum() == (img[:, 37] == plot1d.FAKE).all(
        axis=1
    ).sum()


def test_d_is_one_connected_line_and_the_half_level_is_dotted():
    d = np.linspace(0.0, 1.0, 50)  # rising from 0 to 1 across the axis
    img = picture([0, 0, 0, 0], [0, 0, 0, 0], d)
    orange = (img == plot1d.D_LINE).all(axis=2)
    assert orange[-1, 0] and orange[0, -1]  # starts at D = 0, ends at D = 1
    assert orange.any(axis=0).all()  # a mark in every column
    rows = [np.flatnonzero(orange[:, c]) for c in range(img.shape[1])]
    for a, b in zip(rows, rows[1:], strict=False):  # each column touches the next: no gaps
        assert a.min() <= b.max() + 1 and b.min() <= a.max() + 1
    half = plot1d.row_of(0.5, 0.0, 1.0, img.shape[0])
    grey = (img[half] == plot1d.LEVEL).all(axis=1)
    assert grey.sum() >= img.shape[1] // 2 - 2  # every other column, where D does not cover


def test_raw_scores_get_their_own_range_and_no_half_level():
    lo, hi = plot1d.d_range([-3.0, 5.0], probabilities=False)
    assert lo < -3.0 and hi > 5.0
    assert plot1d.d_range([0.2, 0.3], probabilities=True) == (0.0, 1.0)
    img = picture([0, 0, 0, 0], [0, 0, 0, 0], np.linspace(2.0, 3.0, 50), d_lo=1.0, d_hi=4.0)
    assert not (img == plot1d.LEVEL).all(axis=2).any()


def test_ticks_are_round_numbers_and_labels_never_collide():
    assert plot1d.nice_ticks(-3.64, 3.64, 4) == [-2.0, 0.0, 2.0]
    assert plot1d.nice_ticks(0.0, 1.0, 6) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert plot1d.nice_ticks(1.0, 1.0, 4) == []
    for width in (12, 30, 80):
        line = plot1d.axis_line(-3.64, 3.64, width)
        assert len(line) == width
        labels = line.split()
        assert labels and all(float(x) == round(float(x)) for x in labels)
    assert plot1d.axis_line(-3.64, 3.64, 80).split() == ["-3", "-2", "-1", "0", "1", "2", "3"]


def test_scale_labels_round_to_fit_and_a_flat_huge_curve_keeps_an_axis():
    assert plot1d.scale_label(0.5, 5) == "0.50"
    assert plot1d.scale_label(-12962.4, 5) == "-1e4"  # never "-1296", a tenth of the value
    assert plot1d.scale_label(1e12, 5) == "1e12"
    assert plot1d.scale_label(123.46, 5) == "123"
    lo, hi = plot1d.d_range([1e12, 1e12], probabilities=False)
    assert hi > lo
    img = picture([0, 0, 0, 0], [0, 0, 0, 0], np.full(50, 1e12), d_lo=1e12, d_hi=1e12)
    assert not (img == plot1d.D_LINE).all(axis=2).any()  # no axis: no line, no garbage rows


def test_degenerate_input_draws_an_empty_picture_not_an_error():
    img = plot1d.canvas([0.0, 0.0], [0.0], [0.0], [0.0], [0.5], 10, 6)
    assert img.shape == (6, 10, 3) and not img.any()
