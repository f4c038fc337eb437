"""How the dashboard draws: its colour depth and its character set, chosen once before it opens."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from tui_gan.render.ascii import RENDER_ENV

Colour = Literal["truecolor", "256", "16", "none"]
DASH_RENDERS: tuple[str, ...] = ("auto", "truecolor", "256", "16", "ascii")


@dataclass(frozen=True)
class Mode:
    """`colour` is the palette Textual may use ("none": NO_COLOR, Unicode kept); `ascii`
    means every character on screen is within 0x20-0x7E (borders, charts, samples)."""

    colour: Colour = "truecolor"
    ascii: bool = False

    @property
    def plain(self) -> bool:
        """Samples must read without colour: the luminance ramp, not coloured half-blocks."""
        return self.ascii or self.colour == "none"

    @property
    def textual_colour(self) -> str:
        """The value for TEXTUAL_COLOR_SYSTEM (Textual reads NO_COLOR itself)."""
        return {"truecolor": "truecolor", "256": "256", "16": "standard"}.get(self.colour, "auto")


DEFAULT = Mode()


def _utf8(env: Mapping[str, str]) -> bool:
    locale = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
    return not locale or "utf-8" in locale.lower() or "utf8" in locale.lower()


def pick_mode(env: Mapping[str, str] | None = None, forced: str | None = None) -> Mode:
    """`forced` (--render) or TUI_GAN_RENDER wins; else ASCII on TERM=dumb or a locale that is
    not UTF-8, no colour under NO_COLOR, and the colour depth COLORTERM and TERM announce."""
    env = os.environ if env is None else env
    choice = (forced or env.get(RENDER_ENV, "") or "auto").strip().lower()
    no_colour = "NO_COLOR" in env
    if choice == "ascii":
        return Mode("none" if no_colour else "16", ascii=True)
    ascii_only = choice == "auto" and (env.get("TERM") == "dumb" or not _utf8(env))
    if no_colour:
        return Mode("none", ascii=ascii_only)
    if choice in ("truecolor", "256", "16"):
        return Mode(choice, ascii=False)  # type: ignore[arg-type]
    if env.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        colour: Colour = "truecolor"
    elif "256" in env.get("TERM", ""):
        colour = "256"
    else:
        colour = "16"
    return Mode(colour, ascii=ascii_only)


def mode_of(widget) -> Mode:
    """The mode of the app a widget is mounted in (the default outside the dashboard)."""
    try:
        return getattr(widget.app, "draw_mode", DEFAULT)
    except Exception:  # noqa: BLE001 - no active app (a widget tested on its own)
        return DEFAULT
