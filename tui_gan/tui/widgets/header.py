"""Header: preset, data set, device, progress, speed, time and state on two lines."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widget import Widget

from tui_gan.errors import one_line
from tui_gan.rundir.state import LIVE_STATES, Observed
from tui_gan.tui.mode import mode_of
from tui_gan.view.runview import RunView

STATE_STYLE: dict[Observed, str] = {
    "running": "bold green",
    "paused": "bold yellow",
    "starting": "bold cyan",
    "finished": "bold blue",
    "stopped": "bold magenta",
    "interrupted": "bold magenta",
    "failed": "bold red",
}


SEP = " │ "
ASCII_SEP = " | "


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    s = int(seconds)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


class RunHeader(Widget):
    DEFAULT_CSS = """
    RunHeader { height: 2; background: $boost; padding: 0 1;
                text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self._drawn: tuple | None = None

    def update_view(self, view: RunView) -> None:
        """Redraw when what it shows has changed; the app calls this each second while the
        run trains, so `elapsed` ticks between records."""
        self.view = view
        now = time.monotonic()
        eta = view.eta_at(now)
        sig = (
            (view.run_dir, view.step, view.state, view.total_steps, view.img_per_s)
            + (view.preset, view.dataset, view.device, int(view.elapsed(now)))
            + (None if eta is None else int(eta),)
        )
        if sig != self._drawn:
            self._drawn = sig
            self.refresh()

    @staticmethod
    def _line1(v: RunView, labels: bool, sep: str) -> Text:
        """tui-gan, the state first (it must survive a narrow screen), then labelled fields
        with a separator, so a preset name never runs into the data set's; the run last."""
        line = Text()
        line.append("tui-gan ", style="bold")
        line.append(f" {v.state} ", style=STATE_STYLE.get(v.state, "bold") + " reverse")
        for label, value, style in (
            ("preset", v.preset, "bold cyan"),
            ("data", v.dataset, ""),
            ("device", v.device, ""),
            ("run", v.run_dir.name, "dim"),
        ):
            line.append(sep, style="dim")
            if labels:
                line.append(f"{label} ", style="dim")
            line.append(one_line(value), style=style)  # from disk: one row, nothing raw
        return line

    def render(self) -> Text:
        v = self.view
        ascii_only = mode_of(self).ascii
        sep = ASCII_SEP if ascii_only else SEP
        if v is None:
            return Text("tui-gan  starting", style="bold")
        line1 = self._line1(v, labels=True, sep=sep)
        if line1.cell_len > self.content_size.width:  # 80 columns: the values alone
            line1 = self._line1(v, labels=False, sep=sep)
        total = v.total_steps or 0
        # status.json may say fewer steps than the records reached: never past 100%.
        pct = f" {100 * min(v.step, total) / total:3.0f}%" if total else ""
        now = time.monotonic()
        fields = [
            f"step {v.step}/{total or '?'}{pct}",
            f"epoch {v.epoch:.2f}",
            f"{v.img_per_s:,.0f} img/s",
            f"elapsed {fmt_duration(v.elapsed(now))}",
        ]
        if v.state in LIVE_STATES:  # an ended run has no time left to guess
            fields.append(f"ETA {fmt_duration(v.eta_at(now))}")
        line2 = Text(sep.join(fields))
        line1.append("\n")
        line1.append_text(line2)
        line1.no_wrap = True
        line1.overflow = "crop" if ascii_only else "ellipsis"
        return line1
