"""The EBM family: Langevin chains go downhill, CD steps, the buffer, exact resume."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from torch import nn

from tui_gan.config import validate
from tui_gan.engine import events as ev
from tui_gan.engine.checkpoint import load_run_checkpoint
from tui_gan.engine.context import RunSpec
from tui_gan.engine.ebm import EBM
from tui_gan.engine.recorder import run
from tui_gan.errors import CheckpointError, PresetError

SMALL = {
    "data": {"name": "mnist"},
    "model": {"family": "ebm", "d_hidden": [4]},
    "ebm": {"mcmc_steps": 5, "sample_steps": 10, "buffer_size": 64},
}


def make(**ebm) -> EBM:
    torch.manual_seed(0)
    raw = {**SMALL, "ebm": {**SMALL["ebm"], **ebm}}
    return EBM(validate(raw, "test"), 1, torch.device("cpu"))


class Quadratic(nn.Module):
    """E(x) = mean((x - 0.5)^2): its minimum is the image of 0.5 everywhere."""

    def forward(self, x):
        return (x - 0.5).pow(2).flatten(1).mean(1)


def test_langevin_lowers_the_energy_of_its_chains_on_a_fixed_model():
    # dE/dx is 2(x - 0.5)/784 per pixel: a step of 200 moves each pixel half way to 0.5.
    model = make(noise=0.005, step_size=200.0, grad_clip=0.03)
    model.E = Quadratic()
    g = torch.Generator().manual_seed(1)
    start = model.sample_z(32, g).view(-1, 1, 28, 28)
    before = model.E(start)
    after = model.E(model.langevin(start, 30, g))
    assert bool((after < before).all()), "every chain should end lower than it began"
    assert after.mean() < 0.01 * before.mean()  # down to about the noise's own energy


def test_langevin_lowers_a_seeded_energy_net_and_stays_in_range():
    model = make()
    g = torch.Generator().manual_seed(2)
    start = model.sample_z(16, g).view(-1, 1, 28, 28)
    with torch.no_grad():
        before = model.E(start).mean()
    x = model.langevin(start, 40, g)
    with torch.no_grad():
        assert model.E(x).mean() < before
    assert x.min() >= -1 and x.max() <= 1
    # The sampler leaves E's weights untouched and trainable.
    assert all(p.requires_grad and p.grad is None for p in model.E.parameters())


def test_a_step_returns_the_four_values_and_writes_chains_back_to_the_buffer():
    model = make()
    before = model.buffer.clone()
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    out = model.step(lambda k: real, torch.Generator().manual_seed(3))
    assert out.shape == (4,) and bool(torch.isfinite(out).all())
    loss_cd, loss_reg, e_real, e_fake = out.tolist()
    assert loss_cd == pytest.approx(e_real - e_fake, abs=1e-5)
    assert loss_reg >= 0
    changed = (model.buffer != before).flatten(1).any(1).sum().item()
    assert 1 <= changed <= 8  # the batch's slots (drawn with replacement) and no others


def test_fresh_share_restarts_chains_from_noise():
    all_fresh = make(fresh_share=0.99, mcmc_steps=1, noise=0.0, step_size=1e-6)
    all_fresh.buffer.fill_(0.25)  # a buffer nothing could come from by one tiny step
    all_fresh.step(lambda k: torch.zeros(8, 1, 28, 28), torch.Generator().manual_seed(4))
    written = all_fresh.buffer[(all_fresh.buffer != 0.25).flatten(1).any(1)]
    assert len(written) > 0 and written.std() > 0.3  # uniform noise, not 0.25


def test_generate_is_fresh_chains_and_fixed_view_the_buffer():
    model = make()
    z = model.sample_z(6, torch.Generator().manual_seed(5))
    x = model.generate(z)
    assert x.shape == (6, 1, 28, 28)
    assert torch.equal(x, model.generate(z))  # the same starts give the same chains
    assert torch.equal(model.fixed_view(torch.zeros(5, 784)), model.buffer[:5])


def test_score_is_the_negative_energy():
    model = make()
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(model.score(x), -model.E(x))


def test_a_checkpoint_of_another_shape_is_one_line():
    model = make()
    state = model.state_dict()
    state["buffer"] = torch.zeros(4, 1, 24, 24)
    with pytest.raises(CheckpointError, match="energy network.*buffer has shape"):
        model.load_state_dict(state, "x.pt")


@pytest.mark.parametrize(
    "override, field",
    [
        ("data.name=toy1d", "model.family 'toy1d' exactly when"),
        ("ebm.step_size=0", "ebm.step_size"),
        ("ebm.fresh_share=1.5", "ebm.fresh_share"),
        ("model.init_g_from=runs/x", "model.init_g_from"),
        ("ebm.buffer_size=32", "ebm.buffer_size >= train.batch_size"),
    ],
)
def test_bad_ebm_presets_are_one_line(override, field):
    from tui_gan.presets import load_preset

    with pytest.raises(PresetError, match=field) as err:
        load_preset("mnist-ebm", (override,))
    assert "\n" not in str(err.value)


def ebm_spec(tmp_path: Path, name: str, steps: int, classifiers: Path) -> RunSpec:
    preset = validate(
        {
            **SMALL,
            "train": {"steps": steps, "batch_size": 16},
            "log": {"log_every": 1, "sample_every": 3, "checkpoint_every": 3, "count_samples": 20},
        },
        "test",
    )
    run_dir = tmp_path / name
    shutil.copytree(classifiers, run_dir / "classifiers")
    return RunSpec(preset, run_dir)


def test_resume_equals_straight_buffer_and_all(tmp_path: Path, mnist_classifiers):
    """6 steps straight equal 3, a checkpoint and 3 more: E, its optimizer, the buffer and
    the chains' noise all continue exactly."""
    straight = list(run(ebm_spec(tmp_path, "straight", 6, mnist_classifiers)))
    half = ebm_spec(tmp_path, "halves", 3, mnist_classifiers)
    list(run(half))
    state = load_run_checkpoint(half.run_dir / "last.pt")
    full = ebm_spec(tmp_path, "unused", 6, mnist_classifiers).preset
    resumed = list(run(RunSpec(full, half.run_dir, half.run_dir / "last.pt", resume_state=state)))

    def metrics(events):
        return [
            (e.step, e.loss_cd, e.e_real, e.e_fake) for e in events if isinstance(e, ev.StepMetrics)
        ]

    assert metrics(straight)[3:] == metrics(resumed)
    a = load_run_checkpoint(tmp_path / "straight" / "last.pt")
    b = load_run_checkpoint(half.run_dir / "last.pt")
    diff = (a["buffer"] != b["buffer"]).flatten(1).any(1).nonzero().view(-1).tolist()
    assert diff == [], f"buffer rows differ: {diff}"
    for name, t in a["E"].items():
        assert torch.equal(t, b["E"][name]), name
    # Every record is the EBM's: energies, no D outputs; samples were classified.
    steps = [e for e in straight if isinstance(e, ev.StepMetrics)]
    assert all(e.loss_d is None and e.family().name == "ebm" for e in steps)
    samples = [e for e in straight if isinstance(e, ev.Samples)]
    assert samples and samples[-1].class_counts is not None
    assert not any(isinstance(e, ev.CheckpointSaved) and e.interp for e in straight)
