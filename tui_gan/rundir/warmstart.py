"""Warm-start discovery: the newest run of a preset beside this one (model.init_g_from)."""

from __future__ import annotations

from pathlib import Path

import tomllib

from tui_gan.errors import CheckpointError
from tui_gan.rundir.names import LAST, PRESET, SWEEP

LATEST = "latest:"  # model.init_g_from = "latest:PRESET": that preset's newest run beside this


def latest_run(root: Path, preset_name: str, exclude: Path | None = None) -> Path:
    """last.pt of the newest run of a preset under root (the folder this run is in)."""
    found: list[tuple[float, Path]] = []
    # A sweep's runs live in OUT/SWEEP: the VAE a sweep warm-starts from sits beside it.
    roots = [root, root.parent] if (root / SWEEP).is_file() else [root]
    for d in (d for r in roots if r.is_dir() for d in r.iterdir()):
        last = d / LAST
        if d == exclude or not last.is_file():
            continue
        try:
            name = tomllib.loads((d / PRESET).read_text()).get("name")
        except (OSError, ValueError):
            continue
        if name == preset_name:
            found.append((last.stat().st_mtime, last))
    if not found:
        raise CheckpointError(
            f"model.init_g_from {LATEST}{preset_name}: no {preset_name} run with a checkpoint "
            f"under {root}; train one first: tui-gan train --preset {preset_name} --out {root}"
        )
    return max(found)[1]
