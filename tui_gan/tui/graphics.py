"""Which way to draw samples: real pixels (Kitty graphics or Sixel) or Unicode half-blocks."""

from __future__ import annotations

import os
import sys

CHOICES = ("auto", "halfblock", "kitty", "sixel")


def pick_protocol(env: dict[str, str] | None = None) -> str:
    """'kitty', 'sixel' or 'halfblock'. Call before the App starts: the probe reads stdin.

    TUI_GAN_GRAPHICS=halfblock|kitty|sixel skips the probe. In auto mode textual-image asks the
    terminal, waiting 0.1 s per question, so a terminal that never answers costs 0.2 s and
    gets half-blocks; it cannot hang start-up.
    """
    env = os.environ if env is None else env
    wanted = env.get("TUI_GAN_GRAPHICS", "auto").strip().lower()
    if wanted in ("halfblock", "kitty", "sixel"):
        return wanted
    if not (
        sys.__stdout__ and sys.__stdout__.isatty() and sys.__stdin__ and sys.__stdin__.isatty()
    ):
        return "halfblock"
    try:
        from textual_image import renderable
        from textual_image.renderable.sixel import Image as SixelRenderable
        from textual_image.renderable.tgp import Image as TGPRenderable
    except Exception:  # a probe that fails in any way must not cost the user the dashboard
        return "halfblock"
    if renderable.Image is TGPRenderable:
        return "kitty"
    if renderable.Image is SixelRenderable:
        return "sixel"
    return "halfblock"
