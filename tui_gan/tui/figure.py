"""A figure from the report shown in real pixels (Kitty graphics or Sixel terminals); Esc closes."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_gan.errors import one_line
from tui_gan.rundir.read import open_grid


class FigureScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    FigureScreen { align: center middle; }
    #figure { width: 90%; height: 90%; border: round $accent; background: $surface; }
    #figure #picture { width: 1fr; height: 1fr; }
    """
    BINDINGS = [Binding("escape,q,r", "close", "close")]

    def __init__(self, path: Path, protocol: str):
        super().__init__()
        self.path, self.protocol = path, protocol

    def compose(self) -> ComposeResult:
        from textual_image.widget import SixelImage, TGPImage

        picture = open_grid(self.path, "RGB")
        with Vertical(id="figure") as box:
            # Text: a border title or a Static would take "[b]" in a run's name for markup.
            box.border_title = Text(one_line(f"{self.path}  (Esc closes)"))
            if picture is None:
                yield Static(Text(one_line(f"cannot read {self.path}")))
            else:
                widget = SixelImage if self.protocol == "sixel" else TGPImage
                yield widget(picture, id="picture")

    def action_close(self) -> None:
        self.dismiss(None)
