"""The event line: checkpoints, preset switches, warnings and errors, newest last; its top
border shows what the run's process and GPU use (the app's resources reader)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui_gan.errors import one_line


class EventLog(Widget):
    DEFAULT_CSS = """
    EventLog { height: 3; padding: 0 1; border-top: solid $panel-lighten-2;
               text-wrap: nowrap; text-overflow: ellipsis;
               border-title-align: right; border-title-color: $text-muted; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lines: list[str] = []  # bounded: the newest 50

    def say(self, text: str) -> None:
        # Lines quote run names, paths and records' own messages: each one row, nothing raw.
        self.lines.append(one_line(text))
        del self.lines[:-50]
        self.refresh()

    def render(self) -> Text:
        shown = self.lines[-max(1, self.content_size.height) :]
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, line in enumerate(shown):
            style = "bold red" if "error" in line else "yellow" if "warning" in line else ""
            out.append(line + ("\n" if i < len(shown) - 1 else ""), style=style)
        return out
