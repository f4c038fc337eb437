"""Every model family and loss takes a real training step on the CPU."""

from __future__ import annotations

import pytest
import torch

from tui_gan.engine.gan import GAN
from tui_gan.engine.losses import GanLoss
from tui_gan.presets import load_preset

CASES = [
    ("mnist-mlp", (1, 28, 28), ()),
    ("mnist-lsgan", (1, 28, 28), ()),
    ("mnist-dcgan", (1, 28, 28), ()),
    ("faces-dcgan", (1, 24, 24), ()),
    ("toy1d-sine", (1,), ()),
    ("mnist-mlp", (1, 28, 28), ("loss.kind=bce-saturating", "loss.label_smoothing=0.1")),
    ("mnist-mlp", (1, 28, 28), ("model.latent_dist=uniform", "train.d_steps=2")),
]


@pytest.mark.parametrize("name, shape, overrides", CASES)
def test_family_takes_a_training_step(name, shape, overrides):
    torch.manual_seed(0)
    preset = load_preset(name, ("model.g_hidden=[32, 32]", "model.d_hidden=[32, 32]", *overrides))
    gan = GAN(preset, channels=1, device=torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    real = torch.rand(8, *shape) * 2 - 1
    before = [p.detach().clone() for p in gan.G.parameters()]
    metrics = gan.step(lambda k: real, gen)
    assert metrics.shape == (4,) and torch.isfinite(metrics).all()
    assert any(not torch.equal(a, b) for a, b in zip(before, gan.G.parameters(), strict=True))
    out = gan.generate(gan.sample_z(5, gen))
    assert out.shape == (5, *shape)
    if len(shape) == 3:
        assert out.min() >= -1 and out.max() <= 1  # tanh output


def test_dcgan_generator_shapes_match_the_state_size_comments():
    preset = load_preset("mnist-dcgan")
    gan = GAN(preset, 1, torch.device("cpu"))
    z = torch.randn(2, 100)
    x = gan.G.net[0](z.view(2, 100, 1, 1))
    assert x.shape == (2, 128, 7, 7)  # base 32: 4 x 32 channels at 7x7
    assert gan.D(gan.generate(z)).shape == (2,)


def test_losses_known_values():
    zero = torch.zeros(4)
    bce = GanLoss("bce")
    # D(x) = D(G(z)) = 0.5: each BCE term is log 2.
    assert bce.d_loss(zero, zero).item() == pytest.approx(2 * 0.6931, abs=1e-3)
    assert bce.g_loss(zero).item() == pytest.approx(0.6931, abs=1e-3)
    assert GanLoss("bce-saturating").g_loss(zero).item() == pytest.approx(-0.6931, abs=1e-3)
    ls = GanLoss("lsgan")
    assert ls.d_loss(torch.ones(4), torch.zeros(4)).item() == 0.0
    assert ls.g_loss(torch.ones(4)).item() == 0.0
    assert ls.d_output(torch.full((2,), 3.0)).tolist() == [3.0, 3.0]  # raw, not a probability
    assert bce.d_output(zero).tolist() == [0.5] * 4
    smooth = GanLoss("bce", label_smoothing=0.1)
    assert smooth.d_loss(torch.full((4,), 10.0), torch.full((4,), -10.0)).item() > 0.3
