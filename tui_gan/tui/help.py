"""The help screen: every key and what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
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
    ("w", "wide: the samples across the whole width (a noise-by-class grid needs it)"),
    ("i", "latent walks: 4 rows walking z0 -> z1 in 8 steps, redrawn at each checkpoint"),
    ("d", "detach: leave the run training and exit; `tui-gan attach RUN_DIR` returns"),
    ("q", "quit: save a checkpoint, stop the run, exit"),
    ("?", "this help; Esc closes it"),
)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help { width: 90%; max-width: 90; height: auto; border: round $accent;
            background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "close", "close")]

    def compose(self) -> ComposeResult:
        text = "\n".join(f"[b]{k:>6}[/b]  {what}" for k, what in KEYS)
        with Vertical(id="help"):
            yield Static(
                "[b]tui-gan keys[/b]\n\n" + text + "\n\nThe run is its own process: "
                "closing the terminal never stops it."
            )

    def action_close(self) -> None:
        self.dismiss(None)
