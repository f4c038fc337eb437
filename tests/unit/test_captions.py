"""What `grid` and `interpolate` print in the terminal: labels over the columns, t marked at
the walk's ends, and the caption under the picture (golden, in ASCII)."""

from __future__ import annotations

import numpy as np
import pytest

from tui_gan.cli.latent import Caption, between, draw, t_label


@pytest.mark.parametrize(
    ("t", "field", "label"),
    [
        (0.0, 7, "t=0"),
        (1.0, 7, "t=1"),
        (0.0, 2, "0"),  # no room for the mark: the number
        (1 / 9, 7, "0.11"),
        (1 / 9, 3, ".11"),
        (-1 / 3, 4, "-.33"),
        (-1 / 3, 3, "-.3"),
        (1.5, 7, "1.5"),
        (-1.0, 7, "-1"),
    ],
)
def test_a_column_s_t_fits_its_column(t, field, label):
    assert t_label(t, field) == label


def test_where_t_0_and_1_fall_between_columns():
    t = np.linspace(-0.5, 1.5, 4)  # -0.5, 0.17, 0.83, 1.5
    assert between(t, 0.0) == "t=0 falls between columns 1 and 2"
    assert between(t, 1.0) == "t=1 falls between columns 3 and 4"
    assert between(np.linspace(0, 1, 5), 0.0) is None  # a column has it: labelled there
    assert between(np.linspace(2, 3, 5), 1.0) is None  # outside the walk


def test_a_labelled_grid_in_ascii_golden(monkeypatch, capsys):
    monkeypatch.setenv("TUI_GAN_RENDER", "ascii")
    monkeypatch.setenv("COLUMNS", "20")
    monkeypatch.setenv("LINES", "24")
    solid = np.full((4, 4), 255, np.uint8)
    stroke = (np.eye(4) * 255).astype(np.uint8)
    images = np.stack([solid, stroke])[:, None]  # N x C x H x W: one row of two classes
    draw(images, 2, Caption(("run @ step 1, EMA generator",), classes=("0", "1")))
    assert capsys.readouterr().out.splitlines() == [
        "   0         1",
        "@@@@@@@@  @@      ",
        "@@@@@@@@    @@    ",
        "@@@@@@@@      @@  ",
        "@@@@@@@@        @@",
        "run @ step 1, EMA",
        "generator",
    ]
