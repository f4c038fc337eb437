"""The two-series chart the loss and D panels draw, as text at the panels' real sizes."""

from __future__ import annotations

import math
import re

import pytest
from rich.console import Console

from tui_gan.render.spark import CLIP_HIGH
from tui_gan.tui.widgets.charts import Fixed, Track, draw_pair
from tui_gan.view.history import History

# Content sizes of the panels: 80x24 (38x3, 38x4), 100x30 (48x4), and taller layouts.
SIZES = [(38, 3), (38, 4), (48, 4), (38, 5), (38, 6), (48, 7), (50, 9), (50, 12), (120, 20)]
PROBABILITIES = Fixed(0.0, 1.0, 0.5)


def losses(n: int = 40, every: int = 10, spike: bool = True) -> tuple[Track, Track]:
    g, d = History(), History()
    for s in range(every, n * every + 1, every):
        g.append(6.0 if spike and s <= every else 0.70 + 0.02 * math.sin(s), step=s)
        d.append(1.38 - 0.3 * math.exp(-s / 100), step=s)
    return Track("G loss", g, "green"), Track("D loss", d, "magenta")


def outputs(n: int = 40) -> tuple[Track, Track]:
    real, fake = History(), History()
    for s in range(10, n * 10 + 1, 10):
        real.append(0.5 + 0.4 * math.exp(-s / 150), step=s)
        fake.append(0.5 - 0.3 * math.exp(-s / 150), step=s)
    return Track("D(x)", real, "cyan"), Track("D(G(z))", fake, "yellow")


def lines(text) -> list[str]:
    return text.plain.split("\n")


@pytest.mark.parametrize(("w", "h"), SIZES)
@pytest.mark.parametrize("smooth", [False, True])
def test_every_size_shows_values_range_and_steps_within_the_panel(w, h, smooth):
    g, d = losses()
    out = lines(draw_pair(g, d, w, h, smooth=smooth))
    assert len(out) == h
    assert all(len(line) <= w for line in out)  # labels never push the chart out
    text = "\n".join(out)
    assert "G loss" in text and "D loss" in text
    assert f"{g.hist.last:.3f}" in text and f"{d.hist.last:.3f}" in text
    assert "step 400" in out[-1] and " 10 " in f" {out[-1]}"  # the first and last step
    # The range is shown as numbers, and G's spike at the first step is not its top.
    assert "0.6" in text or "0.7" in text
    assert "6.0" not in text and "6.00" not in text


@pytest.mark.parametrize(("w", "h"), SIZES)
def test_g_and_d_each_get_their_own_labelled_chart_with_a_divider(w, h):
    g, d = losses()
    out = lines(draw_pair(g, d, w, h))
    g_row = next(i for i, line in enumerate(out) if line.startswith("G loss"))
    d_row = next(i for i, line in enumerate(out) if line.startswith("D loss"))
    assert g_row < d_row
    if h >= 4:  # D's title is a rule, or a rule sits between: never G's bars on D's
        above = out[d_row - 1]
        assert out[d_row].endswith("─") or set(above.split()[-1]) == {"─"}


def test_probabilities_keep_zero_to_one_and_show_the_mid_line():
    real, fake = outputs()
    for w, h in SIZES:
        text = draw_pair(real, fake, w, h, fixed=PROBABILITIES).plain
        assert "1.0" in text and "0.0" in text
        if h >= 4:  # where 0.5 is: its own tick, or a legend when it has no row of its own
            assert re.search(r"0\.5(┤| = half)", text), (w, h)
    tall = lines(draw_pair(real, fake, 50, 9, fixed=PROBABILITIES))
    mid = [line for line in tall if line.startswith("0.5")]
    assert len(mid) == 2  # D(x)'s and D(G(z))'s tick at 0.5
    assert "╌" in "".join(mid)  # the dotted line where D(G(z)) stays under it


def test_ticks_at_the_left_when_rows_allow():
    g, d = losses()
    out = lines(draw_pair(g, d, 50, 9))
    ticked = [line for line in out if "┤" in line]
    assert len(ticked) == 4  # top and bottom of each chart
    for line in ticked:
        number = line.split("┤")[0].strip()
        float(number)  # a number, not a word


def test_short_runs_fill_the_width():
    g, d = History(), History()
    for s in (100, 200, 300, 400, 500):
        g.append(s / 500, step=s)
        d.append(1 - s / 500, step=s)
    out = lines(draw_pair(Track("G loss", g, "green"), Track("D loss", d, "red"), 120, 9))
    bottom = out[3].split("┤", 1)[1]  # G's chart is rows 1-3 under its title
    assert len(bottom) > 100
    assert " " not in bottom  # bars in every column, not the left 5%


def test_clipped_spike_is_marked():
    g, d = losses()
    out = lines(draw_pair(g, d, 50, 9))
    assert out[1].split("┤", 1)[1][0] == CLIP_HIGH


def test_smoothing_is_said_in_the_titles():
    g, d = losses()
    assert "smoothed" not in draw_pair(g, d, 50, 9).plain
    titles = [line for line in lines(draw_pair(g, d, 50, 9, smooth=True)) if "loss" in line]
    assert all("smoothed" in line for line in titles)
    assert "smoothed" in draw_pair(g, d, 48, 4, smooth=True).plain


@pytest.mark.parametrize(("w", "h"), SIZES)
def test_ascii_mode_draws_only_printable_ascii(w, h):
    mean_sd = History()
    active = History()
    for s in range(0, 300, 7):
        mean_sd.append(0.3 + 0.1 * math.sin(s), step=s)
        active.append(float(s % 13), step=s)
    cases = [
        (*losses(), None),
        (*outputs(), PROBABILITIES),
        (Track("active z", active, "cyan"), Track("mean σ", mean_sd, "yellow"), None),
    ]
    for first, second, fixed in cases:
        for smooth in (False, True):
            text = draw_pair(first, second, w, h, ascii=True, smooth=smooth, fixed=fixed).plain
            bad = {c for c in text if c != "\n" and not 0x20 <= ord(c) <= 0x7E}
            assert not bad, (w, h, bad)
    assert "mean sd" in draw_pair(cases[2][0], cases[2][1], 50, 9, ascii=True).plain


def test_every_segment_carries_a_style():
    # Textual's NO_COLOR filter fails on a segment whose style is None.
    console = Console(width=60, color_system=None)
    for w, h in SIZES:
        text = draw_pair(*losses(), w, h, smooth=True)
        assert all(seg.style is not None for seg in text.render(console))


def test_no_data_yet_draws_labels_and_no_numbers():
    empty = (Track("G loss", History(), "green"), Track("D loss", History(), "magenta"))
    for w, h in SIZES:
        out = lines(draw_pair(*empty, w, h))
        assert len(out) == h and all(len(line) <= w for line in out)
        assert "--" in out[0]


@pytest.mark.parametrize(("w", "h"), [(1, 1), (5, 2), (12, 3), (12, 8), (3, 9)])
def test_tiny_panels_do_not_break(w, h):
    out = lines(draw_pair(*losses(), w, h))
    assert len(out) == h and all(len(line) <= w for line in out)
