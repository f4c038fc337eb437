"""G EMA: the moving average of G's weights, what samples use, kept and resumed exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from tui_gan.config import validate
from tui_gan.engine import events as ev
from tui_gan.engine.checkpoint import load_run_checkpoint
from tui_gan.engine.context import RunSpec
from tui_gan.engine.gan import GAN
from tui_gan.engine.recorder import run
from tui_gan.presets import load_preset

SMALL = ("model.g_hidden=[16]", "model.d_hidden=[16]")


def make(*overrides: str) -> GAN:
    """A small mnist-mlp (its preset keeps an average: ema_decay 0.999, every 4 steps)."""
    torch.manual_seed(0)
    return GAN(load_preset("mnist-mlp", (*SMALL, *overrides)), 1, torch.device("cpu"))


def train(gan: GAN, steps: int) -> None:
    g = torch.Generator().manual_seed(1)
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    for _ in range(steps):
        gan.step(lambda k: real, g)


def test_decay_0_samples_from_the_raw_g():
    gan = make("model.ema_decay=0")
    train(gan, 3)
    assert gan.G_ema is None and not gan.sampling_ema
    z = gan.sample_z(5, torch.Generator().manual_seed(2))
    gan.G.eval()
    assert torch.equal(gan.generate(z), gan.G(z))
    assert "G_ema" not in gan.state_dict()


def test_the_average_follows_its_warmed_up_decay():
    """After t steps the decay is min(decay, (1+t)/(10+t)): 0.1 first, so the average
    starts next to G instead of at the random init."""
    gan = make("model.ema_decay=0.999", "model.ema_every=1")
    assert gan.G_ema is not None
    ema_before = [p.clone() for p in gan.G_ema.parameters()]
    train(gan, 1)
    for e0, e1, g in zip(ema_before, gan.G_ema.parameters(), gan.G.parameters(), strict=True):
        assert torch.allclose(e1, 0.1 * e0 + 0.9 * g.detach(), atol=1e-6)
    for t in range(1, 4):  # d = 2/11, 3/12, 4/13
        ema_before = [p.clone() for p in gan.G_ema.parameters()]
        train(gan, 1)
        d = (1 + t) / (10 + t)
        for e0, e1, g in zip(ema_before, gan.G_ema.parameters(), gan.G.parameters(), strict=True):
            assert torch.allclose(e1, d * e0 + (1 - d) * g.detach(), atol=1e-6)
    assert gan.ema_updates == 4
    assert not any(p.requires_grad for p in gan.G_ema.parameters())
    # BatchNorm statistics are G's own, copied.
    for b_ema, b in zip(gan.G_ema.buffers(), gan.G.buffers(), strict=True):
        assert torch.equal(b_ema, b)


def test_updating_every_k_steps_applies_the_decay_to_the_power_k():
    gan = make("model.ema_decay=0.999", "model.ema_every=4")
    train(gan, 4)  # steps t = 0..3: one update, at the last, with d = (4/13)^4
    ema_before = [p.clone() for p in gan.G_ema.parameters()]
    train(gan, 3)
    assert all(torch.equal(a, b) for a, b in zip(ema_before, gan.G_ema.parameters(), strict=True))
    train(gan, 1)  # t = 7: d = (8/17)^4
    d = (8 / 17) ** 4
    for e0, e1, g in zip(ema_before, gan.G_ema.parameters(), gan.G.parameters(), strict=True):
        assert torch.allclose(e1, d * e0 + (1 - d) * g.detach(), atol=1e-6)
    assert gan.ema_updates == 8


def test_samples_come_from_the_average_unless_raw():
    gan = make("model.ema_decay=0.99")
    train(gan, 5)
    z = gan.sample_z(4, torch.Generator().manual_seed(3))
    ema = gan.generate(z)
    gan.use_ema = False
    raw = gan.generate(z)
    gan.G.eval()
    assert torch.equal(raw, gan.G(z)) and not torch.equal(ema, raw)


def mnist_spec(tmp_path: Path, name: str, steps: int, classifiers: Path) -> RunSpec:
    preset = validate(
        {
            "data": {"name": "mnist"},
            "model": {
                "family": "mlp",
                "g_hidden": [16],
                "d_hidden": [16],
                "ema_decay": 0.95,
                "ema_every": 2,
            },
            "train": {"steps": steps, "batch_size": 16, "augment": ["translation", "cutout"]},
            "log": {"log_every": 1, "sample_every": 3, "checkpoint_every": 3},
        },
        "test",
    )
    run_dir = tmp_path / name
    shutil.copytree(classifiers, run_dir / "classifiers")
    return RunSpec(preset, run_dir)


def test_resume_equals_straight_with_ema_and_augmentation(tmp_path: Path, mnist_classifiers):
    """Both G and G_ema (and the augmentation draws) continue exactly: 6 steps straight equal
    3 steps, a checkpoint, and 3 more."""
    straight = list(run(mnist_spec(tmp_path, "straight", 6, mnist_classifiers)))
    half = mnist_spec(tmp_path, "halves", 3, mnist_classifiers)
    list(run(half))
    state = load_run_checkpoint(half.run_dir / "last.pt")
    assert state["ema_updates"] == 3 and set(state["G_ema"]) == set(state["G"])
    # ema_every = 2: the halves cut between two updates, and resume still lands on them.
    full = mnist_spec(tmp_path, "unused", 6, mnist_classifiers).preset
    resumed = list(run(RunSpec(full, half.run_dir, half.run_dir / "last.pt", resume_state=state)))

    def metrics(events):
        return [(e.step, e.loss_d, e.loss_g) for e in events if isinstance(e, ev.StepMetrics)]

    assert metrics(straight)[3:] == metrics(resumed)
    a = load_run_checkpoint(tmp_path / "straight" / "last.pt")
    b = load_run_checkpoint(half.run_dir / "last.pt")
    for key in ("G", "G_ema", "D"):
        for name, t in a[key].items():
            assert torch.equal(t, b[key][name]), f"{key}.{name}"
    samples = [e for e in resumed if isinstance(e, ev.Samples)]
    assert samples and all(e.generator == "ema" for e in samples)


def test_a_checkpoint_without_an_average_starts_it_at_g():
    old = make("model.ema_decay=0")
    train(old, 2)
    new = make("model.ema_decay=0.999")
    new.load_state_dict(old.state_dict())
    assert new.ema_updates == 0
    for a, b in zip(new.G_ema.parameters(), old.G.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("bad", ["1", "-0.1", "true"])
def test_a_decay_outside_0_1_is_one_line(bad):
    from tui_gan.errors import PresetError

    with pytest.raises(PresetError, match="model.ema_decay: expected a number in \\[0, 1\\)"):
        load_preset("mnist-mlp", (f"model.ema_decay={bad}",))
