"""Every family draws its first picture with its first record (step 25 or sooner on every
shipped preset), whatever its sample_every: the EBM's 500 steps took over a minute."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_gan.engine import events as ev
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run
from tui_gan.presets import load_preset

PRESETS = Path(__file__).parents[2] / "presets"
# One preset of each family whose data is here (faces and fashion presets need theirs).
FAMILIES = ["mnist-mlp", "mnist-dcgan", "mnist-cdcgan", "mnist-ebm", "mnist-vae", "toy1d-sine"]
# Smaller and shorter than the presets', the cadence theirs: only when the first grid comes
# is under test.
QUICK = {
    "train.batch_size": "16",
    "log.eval_every": "0",
    "log.checkpoint_every": "0",
    "log.count_samples": "20",
    "data.download": "false",
}
EBM = {"ebm.mcmc_steps": "2", "ebm.sample_steps": "4", "ebm.buffer_size": "64"}


def test_every_shipped_family_is_covered():
    shipped = {load_preset(p.stem).model.family for p in PRESETS.glob("*.toml")}
    covered = {load_preset(name).model.family for name in FAMILIES}
    assert covered == shipped - {"faces-dcgan"}  # dcgan's network sized for 24x24 faces


@pytest.mark.parametrize("name", FAMILIES)
def test_the_first_picture_comes_with_the_first_record(name: str, tmp_path: Path):
    shipped = load_preset(name)
    first = shipped.log.log_every
    assert first <= 25 < shipped.log.sample_every  # so the early grid is what comes first
    sets = {**QUICK, **(EBM if shipped.model.family == "ebm" else {}), "train.steps": str(first)}
    for net in ("g_hidden", "d_hidden"):
        sets[f"model.{net}"] = str([8] * len(getattr(shipped.model, net)))
    if shipped.data.name == "toy1d":
        sets = {"train.steps": str(first), "log.eval_every": "0"}
    preset = load_preset(name, tuple(f"{k}={v}" for k, v in sets.items()))
    events = list(run(RunSpec(preset, tmp_path / "run")))
    pictures = [e for e in events if isinstance(e, ev.Samples | ev.Toy1DSnapshot)]
    assert pictures and pictures[0].step == first
