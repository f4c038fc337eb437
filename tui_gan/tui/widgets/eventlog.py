"""The event log: checkpoints, preset switches, warnings and errors, newest last, wrapped and
scrollable; its top border shows what the run's process and GPU use (the app's resources
reader)."""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBarRender
from textual.strip import Strip

from tui_gan.errors import one_line
from tui_gan.tui.mode import mode_of, to_ascii

HISTORY = 500  # lines kept to scroll back through; older ones go (nothing grows with a run)


class AsciiScrollBarRender(ScrollBarRender):
    """A scrollbar of blanks and reverse video only: Textual's eighth-blocks are not ASCII."""

    VERTICAL_BARS = [" "] * 8
    HORIZONTAL_BARS = [" "] * 8


class EventLog(ScrollView, can_focus=True):
    """Each line wraps to the width; the newest stays in view unless the user has scrolled
    back (arrows, PgUp/PgDn, Home/End, the wheel), and a new line then leaves the view where
    it is."""

    DEFAULT_CSS = """
    EventLog { height: 3; padding: 0 1; border-top: solid $panel-lighten-2;
               overflow-x: hidden; overflow-y: auto; scrollbar-size-vertical: 1;
               scrollbar-gutter: stable;
               border-title-align: right; border-title-color: $text-muted; }
    EventLog:focus { background-tint: $foreground 3%; }
    EventLog.-ascii { border-top: ascii $panel-lighten-2; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lines: deque[str] = deque(maxlen=HISTORY)
        self._rows: list[Strip] = []  # the lines wrapped to _width, oldest first
        self._counts: deque[int] = deque()  # rows per line, to drop a line's rows with it
        self._width = 0
        self._follow = True  # keep the newest line in view (False once scrolled back)

    def on_mount(self) -> None:
        if mode_of(self).ascii:
            self.add_class("-ascii")
            self.vertical_scrollbar.renderer = AsciiScrollBarRender  # type: ignore[misc]

    def say(self, text: str) -> None:
        # Lines quote run names, paths and records' own messages: escaped, nothing raw.
        line = one_line(text)
        if mode_of(self).ascii:
            line = to_ascii(line)
        if len(self.lines) == HISTORY:  # the oldest line goes with its rows
            self._drop_oldest()
        self.lines.append(line)
        if self._width:
            rows = self._wrap(line, self._width)
            self._rows += rows
            self._counts.append(len(rows))
            self._resize()
        if self._follow:
            self.scroll_end(animate=False)  # after the refresh that shows the scrollbar
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow = round(new_value) >= self.max_scroll_y

    def _drop_oldest(self) -> None:
        self.lines.popleft()
        if self._counts:
            del self._rows[: self._counts.popleft()]

    def _wrap(self, line: str, width: int) -> list[Strip]:
        style = "bold red" if "error" in line else "yellow" if "warning" in line else ""
        text = Text(line, style=style)
        console = self.app.console
        return [
            Strip(list(row.render(console)), row.cell_len)
            for row in text.wrap(console, width, overflow="fold")
        ] or [Strip.blank(0)]

    def _rewrap(self, width: int) -> None:
        self._width = width
        self._rows, self._counts = [], deque()
        for line in self.lines:
            rows = self._wrap(line, width)
            self._rows += rows
            self._counts.append(len(rows))
        self._resize()

    def _resize(self) -> None:
        self.virtual_size = Size(self._width, len(self._rows))

    def on_resize(self) -> None:
        # The text's width; the scrollbar's column is kept (scrollbar-gutter), so the first
        # line that overflows does not rewrap the rest.
        width = max(1, self.scrollable_content_region.width)
        if width != self._width:
            self._rewrap(width)
            if self._follow:
                self.scroll_end(animate=False)

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if 0 <= index < len(self._rows):
            strip = self._rows[index]
        else:
            strip = Strip([Segment("")])
        return strip.apply_style(style).extend_cell_length(width, style).crop(0, width)

    def render(self) -> Text:
        """The history as one Text, for a test that reads what the log said (the screen is
        drawn row by row by render_line)."""
        return Text("\n".join(self.lines))
