"""Draw an `interpolate`/`grid` .npz as plain half-block text (no colour), for the README.

python tools/text_strip.py walk.npz --cols 8 --scale 2
"""

from __future__ import annotations

import argparse

import numpy as np

from tui_gan.render.halfblock import area_resize, make_grid

GLYPHS = {(0, 0): " ", (1, 0): "▀", (0, 1): "▄", (1, 1): "█"}


def to_text(images: np.ndarray, cols: int, scale: int, threshold: int = 110) -> str:
    """Tiles (N x 1 x H x W uint8) in rows of `cols`, each pixel pair one character."""
    tiles = images[:, 0].astype(np.float32)
    if scale > 1:
        n, h, w = tiles.shape
        tiles = area_resize(tiles.transpose(1, 2, 0), h // scale, w // scale).transpose(2, 0, 1)
    grid = make_grid(tiles.round().astype(np.uint8), ncol=cols, pad=1)[..., 0]
    if grid.shape[0] % 2:
        grid = np.vstack([grid, np.zeros((1, grid.shape[1]), grid.dtype)])
    on = grid > threshold
    lines = []
    for y in range(0, on.shape[0], 2):
        lines.append(
            "".join(GLYPHS[(int(a), int(b))] for a, b in zip(on[y], on[y + 1], strict=True))
        )
    return "\n".join(line.rstrip() for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("npz")
    parser.add_argument("--cols", type=int, required=True, help="tiles per row (the steps)")
    parser.add_argument("--scale", type=int, default=2, help="shrink tiles by this factor")
    args = parser.parse_args()
    print(to_text(np.load(args.npz)["images"], args.cols, args.scale))


if __name__ == "__main__":
    main()
