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
    assert pick_render({**tty, "COLORTERM": "truecolor"}, True) == "truecolor"
    assert pick_render(tty, False) == "ascii"  # a pipe or a file
    assert pick_render({**tty, "NO_COLOR": "1"}, True) == "ascii"
    assert pick_render({**tty, "TERM": "dumb"}, True) == "ascii"
    assert pick_render({**tty, "LANG": "C"}, True) == "ascii"
    assert pick_render({**tty, "TUI_GAN_RENDER": "ascii"}, True) == "ascii"
    assert pick_render({**tty, "TUI_GAN_RENDER": "truecolor"}, False) == "truecolor"
