"""Sample tiles at the dashboard's zoom levels: how many fit, at what size."""

from __future__ import annotations

import numpy as np
import pytest

from tui_gan.render import tiling


def digits_like(n=64, size=28):
    tiles = np.zeros((n, size, size), np.uint8)
    tiles[:, 4:24, 6:22] = 255  # content in the middle 20 rows, an empty frame around it
    return tiles


def test_dense_fits_16_at_100x30_and_9_at_80x24():
    tiles = digits_like()
    # The samples panel's content at 100x30 and 80x24 (measured in the dashboard).
    for (w, h), least in (((48, 17), 16), ((38, 11), 9)):
        img, n = tiling.layout(tiles, w, h, "dense")
        assert n >= least
        assert img.shape[1] <= w and img.shape[0] <= 2 * h


# The samples panel's content (cells) on an 80x24 and a 100x30 screen (measured in the
# dashboard: 38x10 and 48x17), at the ~48x20 a taller samples panel would have, and the same
# in ASCII (two characters a pixel, a pixel a line: half the width, half the half-block rows).
PANELS = {"80x24": (38, 10), "100x30": (48, 17), "tall": (48, 20)}


def drawn(tiles, w, h):
    """(zoom, tiles shown, drawn side as the untrimmed tile would measure) by default."""
    size, content = tiles.shape[1], tiling.trim_margin(tiles).shape[1]
    zoom = tiling.default_zoom(size, len(tiles), w, h, content)
    base = size if zoom == "full" else content
    side = tiling.tile_side(base, len(tiles), w, h, zoom)
    img, shown = tiling.layout(tiles, w, h, zoom)
    assert img.shape[1] <= w and img.shape[0] <= 2 * h
    return zoom, shown, side * size / base


@pytest.mark.parametrize("screen", PANELS)
@pytest.mark.parametrize("ascii_mode", [False, True])
def test_the_default_zoom_draws_digits_large_enough_to_read(screen, ascii_mode):
    from tests.tui.fakerun import digits

    w, h = PANELS[screen]
    if ascii_mode:
        w, h = w // 2, h // 2
    zoom, shown, side = drawn(digits(64), w, h)
    # 14 px a 28 px digit, not the dense blobs; where the panel is less than 14 px tall (80x24
    # in ASCII: 10 lines), one digit as tall as it is.
    assert side >= min(tiling.LEGIBLE, 2 * h), (zoom, side)
    assert shown >= 1
    # The dense grid would draw them at about half that: blobs.
    assert tiling.tile_side(26, 64, w, h, "dense") * 28 / 26 < tiling.LEGIBLE


def test_the_default_shows_as_many_legible_tiles_as_fit():
    from tests.tui.fakerun import digits

    tiles = digits(64)
    assert drawn(tiles, 48, 17)[:2] == ("half", 6)  # 100x30: 3 x 2 digits at 13 px of 26
    assert drawn(tiles, 38, 10)[:2] == ("half", 2)  # 80x24: one row of two
    # Digits in the middle of an empty frame: trimmed, more fit at the same scale.
    assert drawn(digits_like(), 48, 17)[:2] == ("half", 12)


def test_full_size_when_nine_full_tiles_fit_and_the_largest_when_none_is_legible():
    assert tiling.default_zoom(28, 64, 88, 44) == "full"  # 3 x 3 at 28 px
    assert tiling.default_zoom(28, 4, 60, 30) == "full"  # all four of a small grid fit
    assert tiling.default_zoom(28, 64, 250, 120, 26) == "full"
    # Nothing legible fits (a 12 px panel): the zoom that draws them largest, not the densest.
    assert tiling.default_zoom(28, 64, 12, 6, 26) != "dense"
    # A small source (12 px faces) is legible whole: "full" from 9 tiles on.
    assert tiling.default_zoom(12, 64, 40, 20) == "full"


def test_zoom_levels_order_tile_sizes():
    tiles = digits_like()
    sides = {z: tiling.tile_side(28, 64, 200, 60, z) for z in tiling.ZOOMS}
    assert sides == {"full": 28, "half": 14, "dense": 28}  # everything fits in a huge panel
    small = {z: tiling.tile_side(28, 64, 48, 17, z) for z in tiling.ZOOMS}
    assert small["full"] == 28 and small["half"] == 14 and small["dense"] < 14
    img, n = tiling.layout(tiles, 48, 17, "full")
    assert n == 1 and img.shape[:2] == (28, 28)


def test_trim_cuts_only_the_frame_every_tile_leaves_empty():
    tiles = digits_like()
    trimmed = tiling.trim_margin(tiles)
    assert trimmed.shape[1] == trimmed.shape[2] == 20  # the 20-row extent, made square
    assert trimmed.sum() == tiles.sum()  # nothing drawn was cut
    faces = np.full((8, 24, 24), 120, np.uint8)  # content to the edges: left alone
    assert tiling.trim_margin(faces).shape == faces.shape
    assert tiling.trim_margin(np.zeros((4, 28, 28), np.uint8)).shape == (4, 28, 28)


def test_trim_loses_no_stroke_of_real_digits():
    from tests.tui.fakerun import digits

    for tiles in (digits(64), np.repeat(digits(2)[1:], 64, axis=0)):  # varied; one repeated
        trimmed = tiling.trim_margin(tiles)
        assert trimmed.shape[1] < 28
        ink = tiles > tiling.INK * tiles.max()
        kept = trimmed > tiling.INK * tiles.max()
        assert kept.sum() == ink.sum()


def test_a_tiny_panel_still_shows_one_tile_and_none_counts_nothing():
    img, n = tiling.layout(digits_like(), 3, 1, "full")
    assert n == 1 and img.shape[1] <= 3 and img.shape[0] <= 2
    for w, h in ((0, 10), (10, 0)):
        img, n = tiling.layout(digits_like(), w, h, "dense")
        assert n == 0 and img.size == 0


def test_a_noise_by_class_grid_is_cut_into_bands_that_keep_its_digits_readable():
    from tests.tui.fakerun import digits

    tiles = digits(60)  # six rows of ten classes
    labels = tiling.class_labels("mnist", 10)
    assert labels == tuple("0123456789")
    # 100x30: one band of ten would be 3 px a digit; two bands of five, 8 px.
    grid = tiling.band_layout(tiles, 10, labels, 48, 17)
    assert [b.labels for b in grid.bands] == [tuple("01234"), tuple("56789")]
    assert grid.side >= 8 and grid.shown == 10  # one z drawn as every class
    assert tiling.layout(tiles, 48, 17, ncol=10)[0].shape[1] <= 10 * 4  # the old 4 px
    for b in grid.bands:
        assert b.image.shape[1] <= 48
    lines = sum(1 + (b.image.shape[0] + 1) // 2 for b in grid.bands)  # labels + half-blocks
    assert lines <= 17
    # The whole width (w): larger still; in ASCII a pixel is a line and two characters.
    assert tiling.band_layout(tiles, 10, labels, 98, 17).side >= 13
    ascii_grid = tiling.band_layout(tiles, 10, labels, 24, 17, px_per_line=1)
    assert sum(1 + b.image.shape[0] for b in ascii_grid.bands) <= 17
    assert all(b.image.shape[1] <= 24 for b in ascii_grid.bands)
    # A tall panel: larger, up to legible (13 px of their 26), then more rows of z.
    tall = tiling.band_layout(tiles, 10, labels, 48, 40)
    assert tall.side >= 13
    huge = tiling.band_layout(tiles, 10, labels, 200, 60)
    assert huge.side >= 13 and huge.shown == 60 and len(huge.bands) == 1


def test_fashion_mnist_columns_are_named_and_cut_to_their_column():
    names = tiling.class_labels("fashion-mnist", 10)
    assert names[0] == "T-shirt" and names[-1] == "Boot"
    assert tiling.class_labels("fashion-mnist", 3) == ("0", "1", "2")  # not its ten classes
    assert tiling.label_line(("0", "1", "2"), 3, 1) == " 0   1   2"
    assert tiling.label_line(names[:3], 4, 1) == "T-sh Trou Pull"
    assert tiling.label_line(names[:2], 8, 1) == "T-shirt  Trouser"


def test_reconstruction_pairs_are_fewer_and_legible():
    from tests.tui.fakerun import digits

    real = digits(32)
    pairs = np.stack([real, 255 - real], 1).reshape(64, 28, 28)
    for (w, h), least in (((48, 17), 2), ((38, 10), 1), ((98, 17), 4)):
        img, shown, side = tiling.pair_layout(pairs, w, h)
        assert shown >= least and img.shape[1] <= w and img.shape[0] <= 2 * h
        assert side >= min(13, 2 * h)  # half their 26 px content: legible (5x5 before)
    # Pairs stay together: real beside its reconstruction, 1 px apart.
    img, shown, side = tiling.pair_layout(pairs[:2], 60, 20)
    assert shown == 1 and img.shape == (side, 2 * side + 1, 3)


def test_every_row_of_a_labelled_grid_fits_80_and_100_columns():
    from tests.tui.fakerun import digits

    tiles = digits(80)  # eight rows of ten
    for width, side in ((80, 7), (100, 9)):
        grid = tiling.column_layout(tiles, 10, (), width)
        (band,) = grid.bands
        assert grid.side == side and grid.shown == 80
        assert band.image.shape[1] == 10 * (side + 1) - 1 <= width
    # A hundred steps in 80 columns: bands of 40 columns at a pixel each.
    grid = tiling.column_layout(np.repeat(tiles[:1], 100, 0), 100, (), 80)
    assert all(b.image.shape[1] <= 80 for b in grid.bands) and grid.shown == 100
