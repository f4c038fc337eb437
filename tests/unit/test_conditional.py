"""Conditional GANs: G(z, y) and the projection D(x, y), labelled batches, and a tiny run in
which G must learn to draw the class it is asked for."""

from __future__ import annotations

import pytest
import torch

from tui_gan.config import apply_overrides, validate
from tui_gan.engine.data import BatchSource, ImageData
from tui_gan.engine.gan import GAN
from tui_gan.engine.models import build_models
from tui_gan.errors import DataError, PresetError


def preset(family: str = "cmlp", **fields):
    raw = {
        "model": {"family": family, "g_hidden": [32], "d_hidden": [32], "latent_dim": 8},
        "train": {"batch_size": 16},
    }
    return validate(apply_overrides(raw, [f"{k}={v}" for k, v in fields.items()]), "test")


@pytest.mark.parametrize("family", ["cmlp", "cdcgan"])
def test_g_and_d_take_the_class(family: str):
    p = preset(family, **{"model.embed_dim": 5})
    G, D = build_models(p, 1)
    z, y = torch.randn(6, 8), torch.arange(6) % 10
    x = G(z, y)
    assert x.shape == (6, 1, 28, 28)
    assert D(x, y).shape == (6,)
    # The label reaches both: another class changes G's image and D's score.
    G.eval()
    assert not torch.allclose(G(z, y), G(z, (y + 1) % 10))
    with torch.no_grad():
        D.embed.weight.normal_()
    assert not torch.allclose(D(x, y), D(x, (y + 1) % 10))


def test_projection_adds_the_class_term_to_the_unconditional_score():
    p = preset("cmlp")
    _, D = build_models(p, 1)
    x, y = torch.randn(4, 1, 28, 28), torch.tensor([0, 3, 3, 9])
    h = D.body(x)
    expected = D.head(h).view(-1) + (D.embed.weight[y] * h).sum(1)
    assert torch.allclose(D(x, y), expected, atol=1e-6)


def test_conditional_families_need_labelled_data():
    with pytest.raises(PresetError, match="mnist or fashion-mnist for cdcgan"):
        validate(
            {"data": {"name": "faces", "image_size": 28}, "model": {"family": "cdcgan"}}, "p.toml"
        )
    with pytest.raises(PresetError, match="model.embed_dim: expected an integer"):
        preset(**{"model.embed_dim": 0})
    # Fewer fresh samples than classes would leave a class with no accuracy to report.
    with pytest.raises(PresetError, match="log.count_samples >= 10 for cmlp"):
        preset(**{"log.count_samples": 5})


def test_labelled_batches_carry_the_labels_of_their_images():
    images = torch.arange(40, dtype=torch.uint8).view(40, 1, 1, 1).expand(40, 1, 2, 2).contiguous()
    labels = torch.arange(40) % 7
    data = ImageData("mnist", "k", 1, 2, images, labels, 10)
    source = BatchSource(data, 8, seed=3, device=torch.device("cpu"), labels=True)
    x, y = source.batch(2)
    which = ((x[:, 0, 0, 0] + 1) * 127.5).round().long()  # back to the image index
    assert torch.equal(y, which % 7)
    with pytest.raises(DataError, match="needs labelled images"):
        BatchSource(ImageData("faces", "k", 1, 2, None, None, None, []), 8, 0, "cpu", labels=True)


def test_generate_without_labels_draws_every_class_equally():
    gan = GAN(preset(), 1, torch.device("cpu"))
    assert gan.conditional and gan.num_classes == 10
    assert gan.balanced_labels(25).tolist() == [i % 10 for i in range(25)]
    z = torch.randn(25, 8)
    assert torch.allclose(gan.generate(z), gan.generate(z, gan.balanced_labels(25)))
    unconditional = GAN(preset("mlp"), 1, torch.device("cpu"))
    assert unconditional.balanced_labels(5) is None


def test_g_learns_to_draw_the_class_it_is_asked_for():
    """Class 0 is black images, class 1 white ones: after training, G asked for 1 must draw
    brighter images than G asked for 0 (ignored labels would leave them alike)."""
    torch.manual_seed(0)
    p = preset(
        "cmlp",
        **{"optim.g.lr": 1e-3, "optim.d.lr": 1e-3, "loss.kind": "hinge", "train.batch_size": 32},
    )
    gan = GAN(p, 1, torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)

    def batch(k: int):
        y = torch.randint(0, 2, (32,), generator=gen)
        x = (y.float() * 2 - 1).view(-1, 1, 1, 1).expand(32, 1, 28, 28)
        return x + 0.05 * torch.randn(x.shape, generator=gen), y

    for _ in range(150):
        metrics = gan.step(batch, gen)
    assert torch.isfinite(metrics).all()
    z = torch.randn(64, 8, generator=gen)
    dark = gan.generate(z, torch.zeros(64, dtype=torch.long)).mean().item()
    bright = gan.generate(z, torch.ones(64, dtype=torch.long)).mean().item()
    assert bright - dark > 1.0, (dark, bright)
