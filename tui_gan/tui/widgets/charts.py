"""Loss and discriminator panels: two charts each (G above D), with their current values,
a y range that ignores the first steps' spike, a step axis and an optional smoothing."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive

from tui_gan.render.spark import (
    ema,
    fmt_tick,
    fmt_value,
    level_rows,
    mid_row_of,
    robust_range,
    step_axis,
    stretch,
    tick_decimals,
)
from tui_gan.tui.mode import mode_of
from tui_gan.tui.widgets.base import ViewPanel
from tui_gan.view.history import History

SMOOTH_COLUMNS = 8  # the moving average spans an eighth of the chart: the trend, not noise
# Labels come from the family descriptors; ASCII mode spells out what is not ASCII.
ASCII_NAMES = {"σ": "sd"}


@dataclass(frozen=True)
class Track:
    """One series to draw: its label, its history and its style (the family's colour)."""

    label: str
    hist: History
    style: str


@dataclass(frozen=True)
class Fixed:
    """A scale that does not follow the data (D's probabilities: 0..1 around 0.5)."""

    lo: float
    hi: float
    mid: float | None = None


@dataclass
class _Drawn:
    columns: list[float]
    lo: float
    hi: float


def _ascii_text(text: str) -> str:
    for char, name in ASCII_NAMES.items():
        text = text.replace(char, name)
    return text.encode("ascii", "replace").decode()


def _columns(
    track: Track, width: int, start: float, end: float, smooth: bool, fixed: Fixed | None
) -> _Drawn:
    h = track.hist
    cols = stretch(h.steps(), h.points(), width, start, end)
    # The range comes from the raw columns: the average would smear the first steps' spike
    # over the columns after it and widen the scale again.
    lo, hi = (fixed.lo, fixed.hi) if fixed is not None else robust_range(cols)
    if smooth and cols:
        cols = ema(cols, max(2.0, width / SMOOTH_COLUMNS))
    return _Drawn(cols, lo, hi)


def _ticks(d: _Drawn, rows: int, mid: float | None) -> list[str]:
    """Tick labels by row (top first): the range's top and bottom, the mid level between."""
    if not d.columns and mid is None:
        return [""] * rows
    dec = tick_decimals(d.lo, d.hi)
    out = [""] * rows
    out[0], out[-1] = fmt_tick(d.hi, dec), fmt_tick(d.lo, dec)
    m = mid_row_of(mid, d.lo, d.hi, rows)
    if m is not None and mid is not None:
        out[m] = fmt_tick(mid, dec)
    return out


def _range_text(d: _Drawn, coarse: int = 0) -> str:
    """lo..hi to a tenth of the range (`coarse`: that many decimals fewer)."""
    if not d.columns:
        return ""
    dec = max(0, tick_decimals(d.lo, d.hi) - coarse)
    return f"{fmt_tick(d.lo, dec)}..{fmt_tick(d.hi, dec)}"


class _Rows:
    """Lines of styled parts, each cropped to the panel's width."""

    def __init__(self, width: int):
        self.width = width
        self.lines: list[Text] = []

    def add(self, *parts: tuple[str, str]) -> None:
        row = Text(no_wrap=True, overflow="crop")
        used = 0
        for text, style in parts:
            text = text[: max(self.width - used, 0)]
            row.append(text, style=style)
            used += len(text)
        self.lines.append(row)

    def text(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        for i, row in enumerate(self.lines):
            if i:
                out.append("\n")
            out.append_text(row)
        return out


@dataclass(frozen=True)
class _Frame:
    """What both charts of a panel share: the step axis's ends, the scale, the mode."""

    start: float
    end: float
    known: bool  # any value logged yet (else no axis)
    smooth: bool
    fixed: Fixed | None
    ascii: bool

    @property
    def mid(self) -> float | None:
        return self.fixed.mid if self.fixed else None

    @property
    def rule(self) -> str:
        return "-" if self.ascii else "─"

    def columns(self, track: Track, width: int) -> _Drawn:
        return _columns(track, width, self.start, self.end, self.smooth, self.fixed)

    def axis(self, rows: _Rows, gutter: int, tag: str = "") -> None:
        if not self.known:
            rows.add((" " * rows.width, "dim"))
            return
        left = tag if len(tag) < gutter else ""
        axis = step_axis(self.start, self.end, rows.width - gutter)
        rows.add((left.ljust(gutter), "dim"), (axis, "dim"))


def _titled(rows: _Rows, tracks: tuple[Track, Track], height: int, f: _Frame) -> None:
    """A title row (label, value, rule) over each chart, ticks in a gutter at the left
    when a chart has two rows or more, the step axis under both."""
    width = rows.width
    chart_h = (height - 3) // 2
    gap = (height - 3) % 2
    gutter = 0
    drawn = [f.columns(t, width) for t in tracks]
    if chart_h >= 2:
        # The gutter's width depends on the ticks, the ticks on the columns drawn in what
        # the gutter leaves: settle it in a pass or two.
        for _ in range(3):
            need = max(len(x) for d in drawn for x in _ticks(d, chart_h, f.mid)) + 1
            if need == gutter:
                break
            gutter = min(need, max(width // 3, 1))
            drawn = [f.columns(t, width - gutter) for t in tracks]
    cw = width - gutter
    bar, tick = ("|", "|") if f.ascii else ("│", "┤")
    for i, (t, d) in enumerate(zip(tracks, drawn, strict=True)):
        if i == 1 and gap:
            rows.add((" " * width, "dim"))
        extras = []
        if chart_h == 1 and d.columns:
            extras.append(_range_text(d))
        if f.smooth:
            extras.append("smoothed")
        if f.mid is not None and mid_row_of(f.mid, d.lo, d.hi, chart_h) is None:
            extras.append(f"{fmt_tick(f.mid, 1)} = half")
        value = f"{fmt_value(t.hist.last)} "
        tail = "".join(f" {x} " for x in extras)
        rows.add(
            (f"{t.label} ", f"bold {t.style}"),
            (value, "bold"),
            (tail, "dim"),
            (f.rule * (width - len(t.label) - 1 - len(value) - len(tail)), "dim"),
        )
        ticks = _ticks(d, chart_h, f.mid) if gutter else [""] * chart_h
        chart = level_rows(d.columns, chart_h, d.lo, d.hi, f.ascii, f.mid) if d.columns else []
        for r in range(chart_h):
            side = (ticks[r].rjust(gutter - 1) + (tick if ticks[r] else bar)) if gutter else ""
            rows.add((side[:gutter], "dim"), (chart[r] if chart else " " * cw, t.style))
    f.axis(rows, gutter)


def _inline(rows: _Rows, tracks: tuple[Track, Track], height: int, f: _Frame) -> None:
    """A row a chart: label and value at the left, the range at the right; a rule between
    them from four rows, the step axis under them from three."""
    width = rows.width
    label_w = max(len(t.label) for t in tracks)
    value_w = max(len(fmt_value(t.hist.last)) for t in tracks)
    gutter = label_w + value_w + 2
    drawn = [f.columns(t, max(1, width - gutter)) for t in tracks]
    # The range at the right, a decimal coarser if that leaves the chart 8 columns, none if
    # even that does not.
    coarse, right_w = 0, 0
    for coarse in (0, 1):
        right_w = max(len(_range_text(d, coarse)) for d in drawn)
        if width - gutter - right_w - 1 >= 8:
            break
    else:
        right_w = 0
    cw = max(1, width - gutter - (right_w + 1 if right_w else 0))
    drawn = [f.columns(t, cw) for t in tracks]
    if right_w:
        right_w = max(len(_range_text(d, coarse)) for d in drawn)

    def chart_row(t: Track, d: _Drawn) -> None:
        chart = level_rows(d.columns, 1, d.lo, d.hi, f.ascii)[0] if d.columns else " " * cw
        rows.add(
            (f"{t.label:<{label_w}} ", f"bold {t.style}"),
            (f"{fmt_value(t.hist.last):>{value_w}} ", "bold"),
            (chart, t.style),
            ((" " + _range_text(d, coarse).rjust(right_w)) if right_w else "", "dim"),
        )

    chart_row(tracks[0], drawn[0])
    if height >= 4:
        # The mid line has no row of its own here: say where it is.
        legend = f"{fmt_tick(f.mid, 1)} = half height " if f.mid is not None else ""
        rows.add((legend, "dim"), (f.rule * width, "dim"))
    if height >= 2:
        chart_row(tracks[1], drawn[1])
    if height >= 3:
        f.axis(rows, gutter, "smoothed" if f.smooth else "")


def draw_pair(
    first: Track,
    second: Track,
    width: int,
    height: int,
    *,
    ascii: bool = False,
    smooth: bool = False,
    fixed: Fixed | None = None,
) -> Text:
    """Two charts in `width` x `height` cells, the first above: each with its label and
    current value, its range (ticks at the left, or the range beside it when a chart is one
    row tall), one step axis under both. Five rows or more: a title row over each chart;
    fewer: a row each."""
    if width <= 0 or height <= 0:
        return Text()
    if ascii:
        first = Track(_ascii_text(first.label), first.hist, first.style)
        second = Track(_ascii_text(second.label), second.hist, second.style)
    firsts = [h.first_step for h in (first.hist, second.hist) if h.first_step is not None]
    lasts = [h.last_step for h in (first.hist, second.hist) if h.last_step is not None]
    frame = _Frame(
        start=min(firsts, default=0.0),
        end=max(lasts, default=0.0),
        known=bool(firsts),
        smooth=smooth,
        fixed=fixed,
        ascii=ascii,
    )
    rows = _Rows(width)
    (_titled if height >= 5 else _inline)(rows, (first, second), height, frame)
    return rows.text()


class ChartPanel(ViewPanel):
    """Two series of the run's view, drawn by draw_pair; `smooth` draws their moving average."""

    smooth: reactive[bool] = reactive(False)

    def toggle_smooth(self) -> bool:
        """Draw the moving average instead of the raw series (or back); the new state."""
        self.smooth = not self.smooth
        return self.smooth

    def watch_smooth(self, smooth: bool) -> None:
        self.border_subtitle = "smoothed (EMA)" if smooth else ""

    def tracks(self) -> tuple[Track, Track]:
        raise NotImplementedError

    def fixed(self) -> Fixed | None:
        return None

    def render(self) -> Text:
        if self.view is None:
            return Text()
        size = self.content_size
        first, second = self.tracks()
        return draw_pair(
            first,
            second,
            size.width,
            size.height,
            ascii=mode_of(self).ascii,
            smooth=self.smooth,
            fixed=self.fixed(),
        )


def _tracks(view, series) -> tuple[Track, Track]:
    a, b = series
    return Track(a.label, view.hist(a.key), a.colour), Track(b.label, view.hist(b.key), b.colour)


class LossPanel(ChartPanel):
    """The family's two losses: G and D, CD and regularisation, reconstruction and KL."""

    def __init__(self, **kwargs):
        super().__init__("losses", **kwargs)

    def signature(self, view):
        return (view.run_dir, view.family, *(view.hist(s.key).count for s in view.kind.losses))

    def tracks(self) -> tuple[Track, Track]:
        assert self.view is not None
        return _tracks(self.view, self.view.kind.losses)


class DiscPanel(ChartPanel):
    """The family's outputs: D(x) and D(G(z)), an EBM's energies, a VAE's latent use."""

    def __init__(self, **kwargs):
        super().__init__("discriminator", **kwargs)

    def signature(self, view):
        counts = (view.hist(s.key).count for s in view.kind.outputs)
        return (view.run_dir, view.family, *counts, view.probabilities, view.d_dominates())

    def update_view(self, view) -> None:
        kind = view.kind
        ratio = view.d_dominates()
        if not kind.adversarial:
            title = kind.outputs_title
        elif ratio is not None:
            # The seed's warm-started G: D wins at once and G's gradient vanishes.
            title = f"D DOMINATES: G/D loss {ratio:,.0f}x"
        elif view.probabilities:
            title = "discriminator (0.5 = equilibrium)"
        else:
            title = f"discriminator (raw {view.loss_kind.upper()} scores)"
        self.border_title = title
        self.set_class(ratio is not None, "alarm")
        super().update_view(view)

    def tracks(self) -> tuple[Track, Track]:
        assert self.view is not None
        return _tracks(self.view, self.view.kind.outputs)

    def fixed(self) -> Fixed | None:
        return Fixed(0.0, 1.0, 0.5) if self.view is not None and self.view.probabilities else None
