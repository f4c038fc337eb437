"""`tui-gan attach SWEEP_DIR`: a live table of a sweep's runs; Enter opens one's dashboard."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from tui_gan.errors import one_line
from tui_gan.sweep.progress import (
    RunRow,
    progress_text,
    read_meta,
    run_rows,
    score_cell,
    summary,
    sweep_metric,
)
from tui_gan.tui.mode import Mode, line_filters, pick_mode

POLL_S = 1.0
STATE_STYLE = {
    "running": "green",
    "starting": "green",
    "paused": "yellow",
    "finished": "blue",
    "failed": "red",
    "pending": "dim",
}


@dataclass
class RowsRead(Message):
    rows: list[RunRow]


def shown(value: object) -> Text:
    """A name or value from sweep.json or the folder, as a cell or a title shows it: escaped,
    and a Text, so "[b]" in it is never taken for markup."""
    return Text(one_line(value))


class SweepApp(App[Path | None]):
    """Exits with the run directory picked (Enter), or None (q)."""

    CSS = """
    #title { height: 1; padding: 0 1; background: $panel; }
    DataTable { height: 1fr; }
    DataTable:nocolor > .datatable--cursor { text-style: reverse bold; }
    """
    TITLE = "tui-gan sweep"
    BINDINGS = [
        Binding("enter", "open", "open run", show=True),
        Binding("q", "quit_sweep", "quit"),
    ]

    def __init__(self, sweep_dir: Path, cursor: int = 0, draw_mode: Mode | None = None):
        super().__init__()
        # Colour depth and character set, as the dashboard's (the CLI may set it after this).
        self.draw_mode = draw_mode or pick_mode()
        self.sweep_dir = Path(sweep_dir)
        self.meta = read_meta(self.sweep_dir) or {"runs": []}
        names = [
            a["name"]
            for a in self.meta.get("axes", [])
            if isinstance(a, dict) and isinstance(a.get("name"), str)
        ]
        self.axes = list(dict.fromkeys(names))  # a hand-edited sweep.json may repeat one
        self.metric = sweep_metric(self.meta)  # FID, or W1 for a sweep of 1-D runs
        self.rows: list[RunRow] = []
        self.start_cursor = cursor

    def compose(self) -> ComposeResult:
        yield Static(shown(f"sweep {self.sweep_dir.name}"), id="title")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def get_line_filters(self):
        # The mode's: no colour codes at all under "none", every character ASCII in ASCII.
        return line_filters(self.draw_mode, super().get_line_filters())

    def on_mount(self) -> None:
        if self.draw_mode.colour == "none":
            self.no_color = True  # the :nocolor rule marks the cursor's row without colour
        table = self.query_one(DataTable)
        # Keys apart from the labels: an axis may be called "step" or "FID".
        table.add_column("run", key="_run")
        for axis in self.axes:
            table.add_column(shown(axis), key=f"axis:{axis}")
        for col, label in (("state", "state"), ("step", "step"), ("score", self.metric)):
            table.add_column(label, key=f"_{col}")
        self.watch()

    @work(thread=True, exclusive=True)
    def watch(self) -> None:
        """Reads the runs' files off the UI thread, once a second; the table is told only
        when a row has changed (a finished sweep wakes nothing)."""
        worker = get_current_worker()
        last: list[RunRow] | None = None
        while not worker.is_cancelled:
            rows = run_rows(self.sweep_dir, self.meta)
            if rows != last:
                last = rows
                self.post_message(RowsRead(rows))
            time.sleep(POLL_S)

    def on_rows_read(self, message: RowsRead) -> None:
        from rich.text import Text

        self.rows = message.rows
        table = self.query_one(DataTable)
        first = table.row_count == 0
        for r in message.rows:
            step = f"{r.step}/{r.total}" if r.total else str(r.step)
            score = score_cell(r.metric, r.score)
            state = Text(r.state, style=STATE_STYLE.get(r.state, "magenta"))
            axes = (shown(r.values.get(a, "")) for a in self.axes)
            cells = (shown(r.name), *axes, state, step, score)
            if first:
                table.add_row(*cells, key=r.name)
            else:
                for col, value in zip(("_state", "_step", "_score"), cells[-3:], strict=True):
                    table.update_cell(r.name, col, value)
        if first and self.start_cursor:
            table.move_cursor(row=min(self.start_cursor, table.row_count - 1))
        counts = summary(message.rows)
        self.query_one("#title", Static).update(
            shown(
                f"sweep {self.sweep_dir.name}: {progress_text(counts, len(message.rows))}"
                "   (Enter: open a run, q: quit)"
            )
        )

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows:
            return
        row = self.rows[table.cursor_row]
        if row.state == "pending":
            self.notify(
                f"{one_line(row.name)} has not started yet", severity="warning", markup=False
            )
            return
        self.exit(self.sweep_dir / row.name)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_quit_sweep(self) -> None:
        self.exit(None)
