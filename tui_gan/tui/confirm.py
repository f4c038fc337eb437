"""One question before the dashboard ends a run: a key for each answer, Esc for none."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static


class Confirm(ModalScreen[str]):
    """`question`, answered by one of `answers` (key, what it does); Esc dismisses with ""."""

    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Static { width: auto; max-width: 76; border: round $warning; padding: 0 1;
                       background: $panel; }
    """

    def __init__(self, question: str, answers: tuple[tuple[str, str], ...]):
        super().__init__()
        self.question, self.answers = question, answers
        for key, _ in answers:
            self._bindings.bind(key, f"answer('{key}')", show=False)

    BINDINGS = [Binding("escape", "answer('')", "back", show=False)]

    def compose(self) -> ComposeResult:
        keys = "  ".join(f"{key}: {what}" for key, what in self.answers)
        yield Static(f"{self.question}\n{keys}  esc: back", markup=False)

    def action_answer(self, key: str) -> None:
        self.dismiss(key)
