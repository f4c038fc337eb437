"""Golden and property tests for the pure-numpy half-block renderer."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tui_gan.render.halfblock import (
    detect_color_mode,
    downsample,
    halfblock_cells,
    make_grid,
    quantize_16,
    quantize_256,
    render_ansi,
    to_ansi,
    to_uint8_hwc,
    xterm256_to_rgb,
)

BLK = "\u2580"
RST = "\x1b[0m"
BLACK = (0, 0, 0)
WHITE = (255, 255, 255)


def fg(r: int, g: int, b: int) -> str:
    return f"\x1b[38;2;{r};{g};{b}m"


def bg(r: int, g: int, b: int) -> str:
    return f"\x1b[48;2;{r};{g};{b}m"


def checker_2x2() -> np.ndarray:
    img = np.zeros((2, 2, 3), np.uint8)
    img[0, 1] = 255
    img[1, 0] = 255
    return img


# --- to_uint8_hwc -----------------------------------------------------------


def test_float_minus1_0_1_map_to_0_128_255() -> None:
    out = to_uint8_hwc(np.array([[-1.0, 0.0, 1.0]], dtype=np.float32))
    assert out.shape == (1, 3, 3)
    assert out.dtype == np.uint8
    assert out[0, :, 0].tolist() == [0, 128, 255]
    # greyscale replicated to all channels
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()


def test_float_out_of_range_and_nan_are_clipped() -> None:
    out = to_uint8_hwc(np.array([[-3.0, 2.5, np.nan, np.inf]]))
    assert out[0, :, 0].tolist() == [0, 255, 0, 255]


def test_explicit_value_range() -> None:
    out = to_uint8_hwc(np.array([[0.0, 0.5, 1.0]]), value_range=(0.0, 1.0))
    assert out[0, :, 0].tolist() == [0, 128, 255]
    with pytest.raises(ValueError):
        to_uint8_hwc(np.zeros((2, 2)), value_range=(1.0, 1.0))


def test_uint8_passes_through_unchanged() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(to_uint8_hwc(img), img)


@pytest.mark.parametrize("shape", [(4, 5), (1, 4, 5), (4, 5, 1)])
def test_grey_layouts_become_hwc3(shape: tuple[int, ...]) -> None:
    base = np.arange(20, dtype=np.uint8).reshape(4, 5)
    out = to_uint8_hwc(base.reshape(shape))
    assert out.shape == (4, 5, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], base)


def test_chw_and_hwc_colour_layouts_agree() -> None:
    hwc = np.random.default_rng(1).integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    chw = np.moveaxis(hwc, -1, 0)
    np.testing.assert_array_equal(to_uint8_hwc(chw), hwc)
    np.testing.assert_array_equal(to_uint8_hwc(hwc), hwc)


def test_ambiguous_3x3x3_is_read_channel_first() -> None:
    chw = np.zeros((3, 3, 3), np.uint8)
    chw[0] = 200  # red plane
    out = to_uint8_hwc(chw)
    assert out[..., 0].tolist() == [[200] * 3] * 3
    assert int(out[..., 1:].max()) == 0


@pytest.mark.parametrize("shape", [(5,), (2, 4, 5), (4, 5, 2), (1, 1, 4, 5)])
def test_bad_shapes_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        to_uint8_hwc(np.zeros(shape, np.uint8))


def test_duck_typed_tensor_is_converted() -> None:
    class FakeTensor:
        def __init__(self, a: np.ndarray) -> None:
            self.a = a
            self.dtype = "torch.float32"

        def detach(self) -> FakeTensor:
            return self

        def cpu(self) -> FakeTensor:
            return self

        def numpy(self) -> np.ndarray:
            return self.a

    out = to_uint8_hwc(FakeTensor(np.ones((1, 2, 2), np.float32)))
    assert out.shape == (2, 2, 3) and int(out.min()) == 255


# --- make_grid ---------------------------------------------------------------


def test_make_grid_default_layout_and_padding() -> None:
    imgs = np.ones((5, 3, 4, 6), np.float32)  # all white
    grid = make_grid(imgs)  # ncol = ceil(sqrt(5)) = 3, nrow = 2
    assert grid.shape == (2 * 4 + 1, 3 * 6 + 2, 3)
    assert grid.dtype == np.uint8
    assert (grid[:4, :6] == 255).all()
    assert (grid[4, :] == 0).all()  # horizontal pad row
    assert (grid[:, 6] == 0).all()  # vertical pad column
    assert (grid[5:, 14:] == 0).all()  # sixth slot is empty
    assert (grid[5:, 7:13] == 255).all()  # fifth image


def test_make_grid_places_tiles_in_row_major_order() -> None:
    imgs = np.stack([np.full((2, 2), v, np.uint8) for v in (10, 20, 30, 40)])
    grid = make_grid(imgs, ncol=2, pad=1, pad_value=99)
    assert grid.shape == (5, 5, 3)
    g = grid[..., 0]
    assert [g[0, 0], g[0, 3], g[3, 0], g[3, 3]] == [10, 20, 30, 40]
    assert g[2, :].tolist() == [99] * 5
    assert g[:, 2].tolist() == [99] * 5


def test_make_grid_no_pad_single_row_and_rgb_pad() -> None:
    imgs = np.zeros((3, 1, 2, 2), np.uint8)
    assert make_grid(imgs, ncol=3, pad=0).shape == (2, 6, 3)
    assert make_grid(imgs, ncol=10, pad=0).shape == (2, 6, 3)  # ncol capped at N
    grid = make_grid(imgs, ncol=3, pad=2, pad_value=(255, 0, 0))
    assert grid.shape == (2, 10, 3)
    assert grid[0, 2].tolist() == [255, 0, 0]


def test_make_grid_rejects_empty_batch() -> None:
    with pytest.raises(ValueError):
        make_grid(np.zeros((0, 3, 4, 4), np.float32))


# --- downsample --------------------------------------------------------------


def test_downsample_never_upscales() -> None:
    img = checker_2x2()
    out = downsample(img, 80, 24)
    np.testing.assert_array_equal(out, img)


def test_downsample_box_average_exact() -> None:
    img = np.zeros((4, 4, 3), np.uint8)
    img[:2, :2] = 100
    img[0, 0] = 200  # block mean (200 + 3*100) / 4 = 125
    img[2:, 2:] = 255
    out = downsample(img, 2, 1)  # 2 cols x 2 pixel rows
    assert out.shape == (2, 2, 3)
    assert out[..., 0].tolist() == [[125, 0], [0, 255]]


def test_downsample_keeps_aspect_and_fits() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    out = downsample(img, 50, 100)  # width-limited: 50 / 200
    assert out.shape == (25, 50, 3)
    out = downsample(img, 500, 10)  # height-limited: 20 / 100
    assert out.shape == (20, 40, 3)


@pytest.mark.parametrize("h,w,mw,mh", [(37, 91, 13, 5), (64, 64, 80, 7), (7, 300, 40, 24)])
def test_downsample_fits_box_property(h: int, w: int, mw: int, mh: int) -> None:
    out = downsample(np.zeros((h, w, 3), np.uint8), mw, mh)
    oh, ow = out.shape[:2]
    assert ow <= min(mw, w) and oh <= min(2 * mh, h)
    assert abs(oh / ow - h / w) <= (h / w) * (1 / min(oh, ow)) + 1e-9
    assert mw == ow or 2 * mh == oh or (oh, ow) == (h, w)  # uses the limiting side


def test_downsample_preserves_mean_colour() -> None:
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, size=(30, 45, 3), dtype=np.uint8)
    out = downsample(img, 7, 4)  # non-integer ratio
    assert abs(float(out.mean()) - float(img.mean())) < 1.5


# --- halfblock_cells ---------------------------------------------------------


def test_halfblock_pairs_rows() -> None:
    cells = halfblock_cells(checker_2x2())
    assert cells == [[(BLACK, WHITE), (WHITE, BLACK)]]


def test_halfblock_odd_height_padded_black() -> None:
    img = np.full((3, 1, 3), 7, np.uint8)
    cells = halfblock_cells(img)
    assert cells == [[((7, 7, 7), (7, 7, 7))], [((7, 7, 7), BLACK)]]


# --- to_ansi (golden strings) ------------------------------------------------


def test_golden_truecolor_2x2() -> None:
    out = to_ansi(halfblock_cells(checker_2x2()))
    assert (
        out == fg(0, 0, 0) + bg(255, 255, 255) + BLK + fg(255, 255, 255) + bg(0, 0, 0) + BLK + RST
    )


def test_golden_odd_height_two_lines() -> None:
    img = np.zeros((3, 1, 3), np.uint8)
    img[0] = (255, 0, 0)
    img[1] = (0, 255, 0)
    img[2] = (0, 0, 255)
    out = to_ansi(halfblock_cells(img))
    expected = "\n".join(
        [
            fg(255, 0, 0) + bg(0, 255, 0) + BLK + RST,
            fg(0, 0, 255) + bg(0, 0, 0) + BLK + RST,
        ]
    )
    assert out == expected


def test_colour_change_suppression() -> None:
    a, b = (10, 20, 30), (40, 50, 60)
    cells = [[(a, b), (a, b), (a, BLACK), (WHITE, BLACK)]]
    out = to_ansi(cells)
    expected = fg(*a) + bg(*b) + BLK + BLK + bg(0, 0, 0) + BLK + fg(255, 255, 255) + BLK + RST
    assert out == expected


def test_state_resets_each_line() -> None:
    row = [(WHITE, BLACK)]
    out = to_ansi([row, row])
    line = fg(255, 255, 255) + bg(0, 0, 0) + BLK + RST
    assert out == line + "\n" + line


def test_golden_256_mode() -> None:
    cells = [[((255, 0, 0), (128, 128, 128)), ((255, 0, 0), WHITE)]]
    out = to_ansi(cells, color="256")
    expected = "\x1b[38;5;196m\x1b[48;5;244m" + BLK + "\x1b[48;5;231m" + BLK + RST
    assert out == expected


def test_256_mode_suppresses_after_quantisation() -> None:
    # both colours quantise to 196, so the second cell needs no new escape
    out = to_ansi([[((255, 0, 0), BLACK), ((250, 3, 2), BLACK)]], color="256")
    assert out == "\x1b[38;5;196m\x1b[48;5;16m" + BLK + BLK + RST


def test_empty_and_invalid_mode() -> None:
    assert to_ansi([]) == ""
    with pytest.raises(ValueError):
        to_ansi([[(BLACK, BLACK)]], color="88")


def test_golden_16_mode() -> None:
    # A grey ramp takes the four greys in order: black, bright black, white, bright white;
    # a saturated colour the nearest standard one (bright red here), foreground and background.
    cells = [[(BLACK, (90, 90, 90)), ((170, 170, 170), WHITE), ((250, 10, 10), BLACK)]]
    out = to_ansi(cells, color="16")
    assert out == (
        "\x1b[30m\x1b[100m" + BLK + "\x1b[37m\x1b[107m" + BLK + "\x1b[91m\x1b[40m" + BLK + RST
    )


def test_16_mode_greys_keep_their_order_and_use_only_the_four_greys() -> None:
    order = {0: 0, 8: 1, 7: 2, 15: 3}
    ranks = [order[quantize_16((v, v, v))] for v in range(256)]
    assert ranks == sorted(ranks) and set(ranks) == {0, 1, 2, 3}
    text = render_ansi(np.linspace(0, 255, 64).reshape(8, 8).astype(np.uint8), color="16")
    assert "\x1b[38;" not in text and "\x1b[48;" not in text  # never a 256 or rgb escape


# --- quantize_256 ------------------------------------------------------------


@pytest.mark.parametrize(
    "rgb,index",
    [
        ((255, 0, 0), 196),
        ((0, 255, 0), 46),
        ((0, 0, 255), 21),
        ((0, 0, 0), 16),
        ((255, 255, 255), 231),  # exact cube white; ramp tops out at 238
        ((128, 128, 128), 244),
        ((8, 8, 8), 232),
        ((238, 238, 238), 255),
        ((95, 95, 95), 59),  # exact cube grey beats ramp 98
        ((95, 135, 175), 67),
    ],
)
def test_quantize_known_indices(rgb: tuple[int, int, int], index: int) -> None:
    assert quantize_256(rgb) == index


def test_quantize_returns_palette_nearest() -> None:
    palette = np.array([xterm256_to_rgb(i) for i in range(16, 256)], np.int64)
    rng = np.random.default_rng(3)
    for rgb in rng.integers(0, 256, size=(300, 3)).tolist():
        idx = quantize_256(rgb)
        best = int(((palette - np.array(rgb)) ** 2).sum(axis=1).min())
        got = sum((a - b) ** 2 for a, b in zip(xterm256_to_rgb(idx), rgb, strict=True))
        assert got == best


def test_greys_stay_distinct_and_ordered() -> None:
    indices = [quantize_256((v, v, v)) for v in range(256)]
    levels = [xterm256_to_rgb(i) for i in indices]
    assert all(r == g == b for r, g, b in levels)  # greys never pick a tinted cube entry
    values = [lv[0] for lv in levels]
    assert values == sorted(values)  # monotone: brighter input never gets darker
    assert len(set(indices)) == 30  # all 24 ramp + 6 cube greys are reachable


def test_xterm256_to_rgb_bounds() -> None:
    assert xterm256_to_rgb(16) == (0, 0, 0)
    assert xterm256_to_rgb(231) == (255, 255, 255)
    assert xterm256_to_rgb(232) == (8, 8, 8)
    with pytest.raises(ValueError):
        xterm256_to_rgb(15)


# --- render_ansi / detect_color_mode -----------------------------------------


def test_render_ansi_end_to_end_golden() -> None:
    img = np.array([[[-1.0, 1.0], [1.0, -1.0]]], np.float32)  # 1x2x2 CHW
    assert render_ansi(img) == to_ansi(halfblock_cells(checker_2x2()))
    assert render_ansi(img, color="256") == (
        "\x1b[38;5;16m\x1b[48;5;231m" + BLK + "\x1b[38;5;231m\x1b[48;5;16m" + BLK + RST
    )


def test_render_ansi_fits_terminal_box() -> None:
    img = np.zeros((3, 64, 64), np.float32)
    out = render_ansi(img, width=20, height_cells=5)
    lines = out.split("\n")
    assert len(lines) == 5
    assert all(line.count(BLK) == 10 for line in lines)  # 64x64 -> 10x10 pixels


@pytest.mark.parametrize(
    "env,mode",
    [
        ({"COLORTERM": "truecolor"}, "truecolor"),
        ({"COLORTERM": "24bit"}, "truecolor"),
        ({"COLORTERM": "TrueColor"}, "truecolor"),
        ({"COLORTERM": "yes"}, "256"),
        ({"TERM": "xterm-256color"}, "256"),
        ({}, "256"),
    ],
)
def test_detect_color_mode(env: dict[str, str], mode: str) -> None:
    assert detect_color_mode(env) == mode


def test_module_imports_no_heavy_dependencies() -> None:
    code = (
        "import sys, tui_gan.render.halfblock; "
        "print(','.join(m for m in ('torch', 'rich', 'textual') if m in sys.modules))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == ""
