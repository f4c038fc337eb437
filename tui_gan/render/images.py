"""Open a sample grid PNG from a run directory, refusing what is not one (no hang, no bomb)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_gan.engine.safeio import open_regular


def open_grid(path: Path, mode: str) -> Any | None:
    """The image at path converted to mode ("L", "RGB"), or None when it is missing, not a
    regular file (a FIFO would block), not an image, or a decompression bomb."""
    from PIL import Image

    fh = open_regular(path, follow=False)  # a run's grid: never through a link
    if fh is None:
        return None
    with fh:
        try:
            with Image.open(fh) as img:
                return img.convert(mode)  # loaded now: the file is replaced later
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
