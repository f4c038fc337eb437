"""A panel that draws the shared RunView; the app calls `update_view` a few times a second."""

from __future__ import annotations

from collections.abc import Hashable

from textual.widget import Widget

from tui_gan.view.runview import RunView


class ViewPanel(Widget):
    DEFAULT_CSS = """
    ViewPanel { border: round $panel-lighten-2; border-title-color: $text-muted; }
    """

    def __init__(self, title: str = "", **kwargs):
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self.border_title = title
        self._drawn: Hashable = None

    def signature(self, view: RunView) -> Hashable:
        """What this panel draws from the view; it redraws only when this changes."""
        return view.updated

    def update_view(self, view: RunView) -> None:
        self.view = view
        sig = self.signature(view)
        if sig != self._drawn:
            # Redrawing only what changed keeps the UI cheap while training owns the CPU.
            self._drawn = sig
            self.refresh()
