"""The help screen: every key and what it does, and what the quality numbers mean."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("p", "pick a preset: type to filter, Enter starts it (the current run saves and stops)"),
    ("s", "save a checkpoint now"),
    ("space", "pause / resume training (the screen stays live)"),
    (
        "f",
        "fixed-noise grid (quality over time) / fresh random samples (diversity); an EBM: "
        "replay buffer / fresh Langevin chains; a VAE also: real | reconstruction pairs",
    ),
    (
        "z",
        "zoom the samples: dense (many small tiles, to catch a collapse), half size, "
        "full resolution",
    ),
    (
        "r",
        "report: write the run's figures and report.md to RUN/report (tui-gan report); "
        "a Kitty or Sixel terminal shows the loss figure",
    ),
    ("w", "wide: the samples across the whole width (a noise-by-class grid needs it)"),
    ("i", "latent walks: 4 rows walking z0 -> z1 in 8 steps, redrawn at each checkpoint"),
    ("m", "smooth the loss and D charts (a moving average) / the raw series again"),
    ("d", "detach: leave the run training and exit; `tui-gan attach RUN_DIR` returns"),
    ("x", "stop the run: it saves a checkpoint and ends (asks first); the dashboard exits"),
    (
        "q",
        "quit: leave the viewer; a run you attached to goes on; for a run this dashboard "
        "started, asks: s stops it, d leaves it training",
    ),
    ("?", "this help; Esc closes it"),
    ("ctrl+p", "the command palette: the keys' actions by name"),
)


def two_columns(rows: tuple[tuple[str, str], ...]) -> Table:
    """Names on the left, each text wrapped in its own column (not under the name)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold", no_wrap=True)
    table.add_column()
    for name, what in rows:
        table.add_row(name, what)
    return table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help { width: 90%; max-width: 100; height: auto; max-height: 100%; border: round $accent;
            background: $surface; padding: 1 2; overflow-y: auto; }
    #help > Static { margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "close", "close")]

    def compose(self) -> ComposeResult:
        from tui_gan.tui.widgets.quality import METRICS

        with VerticalScroll(id="help"):
            yield Static(Text("tui-gan keys", style="bold"))
            yield Static(two_columns(KEYS))
            yield Static("The run is its own process: closing the terminal never stops it.")
            yield Static(
                Text.assemble(
                    ("the quality panel", "bold"), " (every log.eval_every steps, on n samples)"
                )
            )
            yield Static(two_columns(METRICS))

    def action_close(self) -> None:
        self.dismiss(None)
