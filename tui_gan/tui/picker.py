"""The preset picker: type to filter, add `--set` values, Enter starts the preset; an exact
name wins, and a preset that cannot start here says why before it is chosen."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui_gan.errors import TuiGanError, one_line
from tui_gan.launch import Readiness, readiness
from tui_gan.presets import DEFAULT_PRESET
from tui_gan.tui.mode import mode_of, to_ascii
from tui_gan.tui.widgets.eventlog import AsciiScrollBarRender

MARKS = {"yes": " ", "maybe": "?", "no": "x"}  # before each name in the list
LEGEND = "x: cannot start here  ?: downloads its data first"


@dataclass(frozen=True)
class Pick:
    """The picker's answer: a preset (a shipped name or a TOML path) and its `--set` values,
    validated against it as `tui-gan train --preset NAME --set ...` would be."""

    name: str
    overrides: tuple[str, ...] = ()


def shipped_presets() -> list[tuple[str, str]]:
    from tui_gan.presets import list_presets

    return [(p.name, p.description) for p in list_presets()]


def parse_sets(text: str) -> tuple[str, ...]:
    """`field=value ...` as typed (a leading `--set` before each is allowed, quotes group): a
    word without `=` continues the value before it (`optim.g.betas=[0.5, 0.999]`).
    Raises TuiGanError on a line that says no KEY=VALUE."""
    from tui_gan.errors import UsageError

    try:
        words = [w for w in shlex.split(text) if w != "--set"]
    except ValueError as err:  # an unclosed quote
        raise UsageError(f"--set {text.strip()}: {err}") from None
    out: list[str] = []
    for word in words:
        if "=" in word or not out:
            out.append(word)
        else:
            out[-1] += " " + word
    return tuple(out)


@dataclass(frozen=True)
class _Check:
    """One preset with the typed `--set` values: the one-line error, or what its start meets."""

    error: str = ""
    ready: Readiness = Readiness()

    @property
    def can(self) -> str:
        return "no" if self.error else self.ready.can

    @property
    def why(self) -> str:
        return self.error or self.ready.why


class PresetPicker(ModalScreen[Pick | None]):
    """Dismisses with a Pick, or None (Esc). `source` lists (name, description) pairs (the
    shipped presets by default); `out` is the folder the new run goes in, where a preset
    that starts from another run's G (model.init_g_from = "latest:...") looks for it."""

    DEFAULT_CSS = """
    PresetPicker { align: center middle; }
    #picker { width: 90%; max-width: 100; height: auto; max-height: 100%;
              border: round $accent; background: $surface; padding: 0 1; }
    #picker.-ascii { border: ascii $accent; }
    #picker Horizontal { height: 1; }
    #picker .prompt { width: 8; color: $text-muted; }
    #picker Input { width: 1fr; }
    #options { height: auto; max-height: 12; margin-top: 1;
               text-wrap: nowrap; text-overflow: ellipsis; }
    #picker.-ascii #options { text-overflow: clip; }
    #picker.-plain #options > .option-list--option-highlighted { text-style: reverse; }
    #about { height: auto; max-height: 2; color: $text-muted; }
    #why { height: auto; max-height: 4; }
    #why.-no { color: $error; text-style: bold; }
    #why.-maybe { color: $warning; }
    #legend { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(
        self,
        source: Callable[[], list[tuple[str, str]]] | None = None,
        out: Path | None = None,
    ):
        super().__init__()
        self.presets = (source or shipped_presets)()
        self.descriptions = dict(self.presets)
        self.out = out
        self._checks: dict[tuple[str, tuple[str, ...]], _Check] = {}
        self._sets_error = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("Start a preset (the current run saves and stops once it starts)")
            with Horizontal():
                yield Label("preset", classes="prompt")
                yield Input(placeholder="type a name or words to filter", id="filter", compact=True)
            with Horizontal():
                yield Label("--set", classes="prompt")
                yield Input(placeholder="field=value ... (optional)", id="sets", compact=True)
            yield OptionList(id="options", compact=True)
            yield Static("", id="about", markup=False)
            yield Static("", id="why", markup=False)
            yield Static(LEGEND, id="legend", markup=False)

    def on_mount(self) -> None:
        if mode_of(self).plain:  # no colour: the highlight must show without it
            self.query_one("#picker").add_class("-plain")
        if mode_of(self).ascii:
            self.query_one("#picker").add_class("-ascii")
            bar = self.query_one(OptionList).vertical_scrollbar
            bar.renderer = AsciiScrollBarRender  # type: ignore[misc] # as Textual documents it
        self._fit_height()
        self._refill("")
        self.query_one("#filter", Input).focus()

    def on_resize(self) -> None:
        self._fit_height()

    def _fit_height(self) -> None:
        # All the presets at 100x30; at 80x24 what leaves room for the fields, the highlighted
        # preset's description and why it cannot start.
        room = self.size.height - 15
        self.query_one(OptionList).styles.max_height = max(3, min(len(self.presets), room))

    # --- what the list shows ---------------------------------------------------------------

    def _text(self, text: str) -> str:
        text = one_line(text)  # a preset file's name or description is shown as written
        return to_ascii(text) if mode_of(self).ascii else text

    def _sets(self) -> tuple[str, ...]:
        """The typed --set values; a line that cannot be read is said under the list."""
        try:
            sets = parse_sets(self.query_one("#sets", Input).value)
            self._sets_error = ""
        except TuiGanError as err:
            sets, self._sets_error = (), str(err)
        return sets

    def check(self, name: str) -> _Check:
        """The preset with the typed --set values, as `tui-gan train` would load it, and what
        stands between it and its first step here (read once per name and values)."""
        from tui_gan.presets import load_preset

        key = (name, self._sets())
        if key not in self._checks:
            try:
                self._checks[key] = _Check(ready=readiness(load_preset(*key), self.out))
            except TuiGanError as err:
                self._checks[key] = _Check(error=str(err))
            except OSError as err:  # a preset file that went away or cannot be read
                self._checks[key] = _Check(error=f"{name}: {err.strerror or err}")
        return self._checks[key]

    def _matches(self, text: str) -> list[tuple[str, str]]:
        words = text.lower().split()
        return [
            (name, desc)
            for name, desc in self.presets
            if all(w in f"{name} {desc}".lower() for w in words)
        ]

    def _refill(self, text: str) -> None:
        """The presets the filter matches, each marked; highlighted: the exact name typed (the
        default preset before anything is typed), else the first that can start here."""
        options = self.query_one(OptionList)
        shown = self._matches(text)
        width = max((len(self._text(n)) for n, _ in shown), default=0)
        options.clear_options()
        # A row each, cut at the width (CSS): the highlighted one's description shows whole below.
        options.add_options(
            Option(Text(self._text(f"{MARKS[self.check(n).can]} {n:<{width}}  {d}")), id=n)
            for n, d in shown
        )
        if not shown:
            options.highlighted = None
            self._say_why()
            return
        names = [n for n, _ in shown]
        exact = self._exact(text) or (DEFAULT_PRESET if not text.strip() else None)
        if exact in names and self.check(exact).can != "no":
            options.highlighted = names.index(exact)
        else:
            ranked = sorted(range(len(names)), key=lambda i: ("yes", "maybe", "no").index(
                self.check(names[i]).can))  # fmt: skip
            options.highlighted = ranked[0]
        self._say_why()

    def _exact(self, text: str) -> str | None:
        """The preset whose name is exactly what was typed (a shipped name, or a file's)."""
        typed = text.strip()
        for name, _ in self.presets:
            if typed and typed in (name, Path(name).stem):
                return name
        return None

    def _highlighted(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def _say_why(self, name: str | None = None) -> None:
        """Under the list: why the highlighted preset cannot start here, what its start will
        meet, or what Enter does."""
        name = name or self._highlighted()
        why = self.query_one("#why", Static)
        why.remove_class("-no", "-maybe")
        if name is None:
            self.query_one("#about", Static).update("")
            why.update("no preset matches: Esc goes back")
            return
        found = self.check(name)
        if self._sets_error:
            line = self._sets_error
        elif found.can == "no":
            line = f"cannot start {name} here: {found.why}"
        else:
            note = f" ({found.why})" if found.why else ""
            line = f"Enter starts {name}{note}; Tab: --set values, Esc: back"
        if self._sets_error or found.can != "yes":
            why.add_class("-no" if self._sets_error else f"-{found.can}")
        self.query_one("#about", Static).update(self._text(self.descriptions.get(name, "")))
        why.update(self._text(line))

    # --- keys --------------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        # The marks hold for the --set values typed, so a new value marks the list again.
        self._refill(self.query_one("#filter", Input).value)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._say_why(event.option.id)

    def on_key(self, event) -> None:
        # Up/down move the highlight while typing in either field.
        options = self.query_one(OptionList)
        if event.key in ("down", "up") and options.option_count:
            options.action_cursor_down() if event.key == "down" else options.action_cursor_up()
            event.stop()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        typed = self.query_one("#filter", Input).value
        self._choose(self._exact(typed) or self._highlighted())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option.id)

    def _choose(self, name: str | None) -> None:
        """Start `name` with the --set values, unless it cannot start: then the reason stays
        on screen and nothing starts."""
        if name is None:
            return
        found = self.check(name)
        if self._sets_error or found.can == "no":
            self._say_why(name)
            self.app.bell()
            return
        self.dismiss(Pick(name, self._sets()))

    def action_cancel(self) -> None:
        self.dismiss(None)
