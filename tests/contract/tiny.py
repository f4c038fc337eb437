"""Tiny runs of any registered family, built from its descriptor alone (no table keyed by
family here: a family from outside gets its runs the same way). The contract test and the
dashboard's Pilot test share them: each family trains once a session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tui_gan.config import Preset, validate
from tui_gan.engine import events as ev
from tui_gan.engine.checkpoint import load_run_checkpoint
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run
from tui_gan.families import Family

STEPS = 4  # a checkpoint at 2 and at 4: 2 + 2 through a checkpoint against 4 straight
HALF = 2


def faces_folder(root: Path, n: int = 24) -> Path:
    """A folder of made-up 'faces' (ellipses on grey): an image-folder data set."""
    import numpy as np
    from PIL import Image, ImageDraw

    folder = root / "faces"
    if folder.is_dir():
        return folder
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        img = Image.new("L", (32, 32), int(rng.integers(60, 120)))
        x, y = rng.integers(2, 8, 2)
        ImageDraw.Draw(img).ellipse((x, y, 32 - x, 32 - y), fill=int(rng.integers(150, 230)))
        img.save(folder / f"{i:03d}.png")
    return folder


def preset_for(fam: Family, root: Path, steps: int = STEPS) -> Preset:
    """The smallest run of `fam`: 1-D data for a 1-D family, else MNIST (28x28), or a faces
    folder when its networks are built for other sizes; narrow networks, every step logged."""
    if fam.one_d:
        data: dict = {"name": "toy1d", "size": 256}
    elif not fam.image_sizes or 28 in fam.image_sizes:
        data = {"name": "mnist", "image_size": 28}
    else:
        size = fam.image_sizes[0]
        data = {"name": "faces", "image_size": size, "root": str(faces_folder(root))}
    raw = {
        "data": data,
        "model": {"family": fam.name, "latent_dim": 8, "g_hidden": [8], "d_hidden": [4]},
        "train": {"steps": steps, "batch_size": 16},
        "log": {
            "log_every": 1,
            "sample_every": HALF,
            "checkpoint_every": HALF,
            "eval_every": 0,
            "count_samples": 10,  # a conditional family draws one of each of 10 classes
            "n_samples": 10,
        },
        # An EBM at its defaults would run 60-step chains from an 8,192-image buffer.
        "ebm": {"mcmc_steps": 2, "sample_steps": 3, "buffer_size": 32},
    }
    return validate(raw, f"tiny {fam.name}")


@dataclass(frozen=True)
class Runs:
    """One family's runs: 4 steps straight, and 2 then 2 more resumed from a checkpoint."""

    straight: Path
    straight_events: list[ev.Event]
    resumed: Path
    resumed_events: list[ev.Event]


_RUNS: dict[str, Runs] = {}


def runs(fam: Family, factory: pytest.TempPathFactory) -> Runs:
    """`fam`'s runs, trained the first time a test asks for them this session."""
    if fam.name not in _RUNS:
        root = factory.mktemp(f"family-{fam.name}")
        straight = root / "straight"
        straight_events = list(run(RunSpec(preset_for(fam, root), straight)))
        half = root / "halves"
        list(run(RunSpec(preset_for(fam, root, HALF), half)))
        state = load_run_checkpoint(half / "last.pt")
        resumed = list(
            run(RunSpec(preset_for(fam, root), half, half / "last.pt", resume_state=state))
        )
        _RUNS[fam.name] = Runs(straight, straight_events, half, resumed)
    return _RUNS[fam.name]
