"""Sample tiles at the dashboard's zoom levels: how many fit, at what size."""

from __future__ import annotations

import numpy as np

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


def test_default_is_dense_unless_nine_full_size_tiles_fit():
    assert tiling.default_zoom(28, 64, 48, 17) == "dense"
    assert tiling.default_zoom(28, 64, 88, 44) == "full"  # 3 x 3 at 28 px
    assert tiling.default_zoom(28, 4, 60, 30) == "full"  # all four of a small grid fit


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
