"""The ASCII rendering of samples: a pure function with a golden test, and the auto choice."""

from __future__ import annotations

import numpy as np

from tui_gan.render.ascii import ascii_rows, pick_render, render_ascii


def test_a_digit_in_ascii_golden():
    img = np.zeros((6, 4, 3), np.uint8)
    img[1:5, 2] = 255  # a stroke
    img[1, 1] = 128  # a grey serif
    assert ascii_rows(img) == [
        "        ",
        "  ++@@  ",
        "    @@  ",
        "    @@  ",
        "    @@  ",
        "        ",
    ]


SEVEN = np.array(
    [
        [255, 255, 255, 255, 255],
        [0, 0, 0, 0, 255],
        [0, 0, 0, 200, 0],
        [0, 0, 128, 0, 0],
        [0, 0, 128, 0, 0],
        [0, 64, 0, 0, 0],
        [0, 64, 0, 0, 0],
    ],
    np.uint8,
)
SEVEN_ROWS = [
    "@@@@@@@@@@",
    "        @@",
    "      ##  ",
    "    ++    ",
    "    ++    ",
    "  ::      ",
    "  ::      ",
]


def test_a_seven_in_ascii_golden():
    # Ink by brightness (a full stroke @, a fainter # and + and :), two characters a pixel.
    assert ascii_rows(np.repeat(SEVEN[..., None], 3, axis=2)) == SEVEN_ROWS
    # Drawn twice as large, then fitted to 10 columns and 7 lines: the same seven.
    big = np.kron(SEVEN, np.ones((2, 2), np.uint8))
    assert render_ascii(big, width=10, height=7).splitlines() == SEVEN_ROWS


def test_rendering_fits_and_stays_printable_ascii():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (56, 84), dtype=np.uint8)
    text = render_ascii(img, width=80, height=24)
    lines = text.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    assert all(0x20 <= ord(c) <= 0x7E for c in text.replace("\n", ""))


def test_the_auto_choice():
    tty = {"TERM": "xterm-256color", "LANG": "en_GB.UTF-8"}
    assert pick_render(tty, True) == "256"
    assert pick_render({**tty, "TERM": "xterm"}, True) == "16"  # no 256 announced
    assert pick_render({**tty, "TERM": "linux"}, True) == "16"  # the console
    assert pick_render({**tty, "TERM": "screen"}, True) == "16"  # tmux's default
    assert pick_render({**tty, "TERM": "xterm", "COLORTERM": "truecolor"}, True) == "truecolor"
    assert pick_render({**tty, "TUI_GAN_RENDER": "16"}, True) == "16"
    assert pick_render({**tty, "TUI_GAN_RENDER": "16"}, False) == "16"  # asked for: a pipe too
    assert pick_render({**tty, "COLORTERM": "truecolor"}, True) == "truecolor"
    assert pick_render(tty, False) == "ascii"  # a pipe or a file
    assert pick_render({**tty, "NO_COLOR": "1"}, True) == "ascii"
    assert pick_render({**tty, "TERM": "dumb"}, True) == "ascii"
    assert pick_render({**tty, "LANG": "C"}, True) == "ascii"
    assert pick_render({**tty, "TUI_GAN_RENDER": "ascii"}, True) == "ascii"
    assert pick_render({**tty, "TUI_GAN_RENDER": "truecolor"}, False) == "truecolor"
