"""The preset picker: type to filter, Enter starts the highlighted preset."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui_gan.errors import one_line


def shipped_presets() -> list[tuple[str, str]]:
    from tui_gan.presets import list_presets

    return [(p.name, p.description) for p in list_presets()]


class PresetPicker(ModalScreen[str | None]):
    DEFAULT_CSS = """
    PresetPicker { align: center middle; }
    #picker { width: 90%; max-width: 100; height: auto; max-height: 90%;
              border: round $accent; background: $surface; padding: 0 1; }
    #picker OptionList { height: auto; max-height: 14; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, source=None):
        super().__init__()
        self.presets = (source or shipped_presets)()

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("Start a preset (the current run saves and stops once it starts)")
            yield Input(placeholder="type to filter…", id="filter")
            yield OptionList(*self._options(""), id="options")

    def _options(self, text: str) -> list[Option]:
        words = text.lower().split()
        return [
            # Text: a preset file's name or description is shown as written, never as markup.
            Option(Text(one_line(f"{name:<14} {desc}")), id=name)
            for name, desc in self.presets
            if all(w in f"{name} {desc}".lower() for w in words)
        ]

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        options.highlighted = 0 if options.option_count else None

    def on_key(self, event) -> None:
        # Up/down move the highlight while typing in the filter.
        options = self.query_one(OptionList)
        if event.key in ("down", "up") and options.option_count:
            options.action_cursor_down() if event.key == "down" else options.action_cursor_up()
            event.stop()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._choose()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def _choose(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        self.dismiss(options.get_option_at_index(options.highlighted).id)

    def action_cancel(self) -> None:
        self.dismiss(None)
