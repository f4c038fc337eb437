"""How the dashboard draws: its colour depth and its character set, chosen once before it opens."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
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


# --- drawing in a mode: what an App adds to Textual's own line filters ----------------------

# One ASCII character (or several, for a wide one) per character, cell for cell: what a
# widget still draws in Unicode (a border, an ellipsis, a scrollbar's edge) reads the same.
ASCII_FOR = {
    "…": ".",
    "·": ".",
    "•": "*",
    "–": "-",
    "—": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "→": ">",
    "←": "<",
    "↑": "^",
    "↓": "v",
    "▶": ">",
    "◀": "<",
    "▲": "^",
    "▼": "v",
    "×": "x",
    "°": "o",
    "µ": "u",
    "σ": "s",
    "±": "+",
    "≥": ">",
    "≤": "<",
    "●": "o",
    "○": "o",
    "✓": "v",
    "✔": "v",
    "✗": "x",
    "✘": "x",
    "▀": '"',
    "░": ".",
    "▒": ":",
    "▓": "#",
    "\u00a0": " ",
}
EIGHTHS = "_.:-=+*#"  # ▁ to █: a sparkline's bars keep their order of height


@lru_cache(maxsize=4096)
def ascii_char(c: str) -> str:
    """The ASCII stand-in for one character, as many cells wide as the character."""
    if " " <= c <= "~":
        return c
    if c in ASCII_FOR:
        return ASCII_FOR[c]
    o = ord(c)
    if 0x2581 <= o <= 0x2588:
        return EIGHTHS[o - 0x2581]
    if 0x2589 <= o <= 0x259F:  # left and right blocks, quadrants
        return "|" if o in (0x258F, 0x2595) else "#"
    if 0x2500 <= o <= 0x257F:
        return _box(unicodedata.name(c, ""))
    if 0x2800 <= o <= 0x28FF:  # braille dots
        return "." if o != 0x2800 else " "
    from rich.cells import cell_len

    width = cell_len(c)
    if width == 0:
        return ""
    plain = unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
    if width == 1 and len(plain) == 1 and " " <= plain <= "~":
        return plain  # an accented letter: its letter
    return "?" * width


def _box(name: str) -> str:
    """A box-drawing character as +, -, = or |: a heavy or double line stays apart (=)."""
    if "DIAGONAL" in name:
        return "X" if "CROSS" in name else "/" if "UPPER RIGHT" in name else "\\"
    across = any(w in name for w in ("HORIZONTAL", "LEFT", "RIGHT"))
    upright = any(w in name for w in ("VERTICAL", "UP", "DOWN"))
    if across and upright:
        return "+"
    if across:
        return "=" if "HEAVY" in name or "DOUBLE" in name else "-"
    return "|" if upright else "+"


def to_ascii(text: str) -> str:
    if text.isascii() and text.isprintable():
        return text
    return "".join(map(ascii_char, text))


class AsciiOnly:
    """A Textual line filter (duck-typed, so this module imports no Textual): every character
    of every line drawn within 0x20-0x7E, whichever widget drew it."""

    enabled = True

    def apply(self, segments: list, background: object) -> list:
        return [
            s
            if s.control or (s.text.isascii() and s.text.isprintable())
            else s._replace(text=to_ascii(s.text))
            for s in segments
        ]


@lru_cache(maxsize=8)
def mode_filters(mode: Mode) -> tuple:
    """The line filters a mode adds, made once per mode: Textual caches lines by filter."""
    from textual.filter import NoColor

    return (
        *([NoColor()] if mode.colour == "none" else []),
        *([AsciiOnly()] if mode.ascii else []),
    )


def line_filters(mode: Mode, textual_filters: Sequence) -> list:
    """An App's filters in `mode`: Textual's own, but for its NO_COLOR greys (grey is a colour
    code too; no colour means none), then the mode's."""
    from textual.filter import Monochrome

    own = [f for f in textual_filters if not (mode.colour == "none" and isinstance(f, Monochrome))]
    return [*own, *mode_filters(mode)]
