"""The VAE family and the warm start: the decoder is the GAN's G, layer for layer."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tui_gan.config import validate
from tui_gan.engine.gan import GAN
from tui_gan.engine.vae import VAE
from tui_gan.errors import CheckpointError, PresetError
from tui_gan.presets import load_preset
from tui_gan.rundir.warmstart import latest_run


def vae(*overrides: str) -> VAE:
    torch.manual_seed(0)
    return VAE(load_preset("mnist-vae", overrides), 1, torch.device("cpu"))


def test_the_decoder_has_exactly_the_dcgan_generators_layers():
    v = vae()
    torch.manual_seed(0)
    g = GAN(load_preset("mnist-dcgan"), 1, torch.device("cpu"))
    theirs, ours = v.G.state_dict(), g.G.state_dict()
    assert list(theirs) == list(ours)
    assert all(theirs[k].shape == ours[k].shape for k in ours)
    assert type(v.G) is type(g.G)


def test_faces_decoder_is_faces_dcgans_generator():
    preset = validate(
        {
            "data": {"name": "faces", "image_size": 24},
            "model": {"family": "vae", "g_hidden": [16], "d_hidden": [8]},
        },
        "t",
    )
    v = VAE(preset, 1, torch.device("cpu"))
    assert type(v.G).__name__ == "FacesGenerator"
    assert v.generate(v.sample_z(3, torch.Generator().manual_seed(0))).shape == (3, 1, 24, 24)


def test_an_elbo_step_lowers_the_loss_on_a_fixed_batch():
    v = vae("model.g_hidden=[8]", "model.d_hidden=[8]", "model.latent_dim=8")
    x = torch.rand(16, 1, 28, 28) * 2 - 1
    g = torch.Generator().manual_seed(1)
    first = v.step(lambda k: x, g)
    for _ in range(30):
        last = v.step(lambda k: x, g)
    assert first.shape == (4,)
    assert last[0] + last[1] < first[0] + first[1]  # the negative ELBO fell
    assert 0 <= last[2] <= 8 and 0 < last[3]  # active units of 8, a positive mean sigma


def test_score_is_higher_for_the_trained_on_images_than_for_noise():
    v = vae("model.g_hidden=[8]", "model.d_hidden=[8]", "model.latent_dim=8")
    x = -torch.ones(16, 1, 28, 28)
    x[:, :, 8:20, 12:16] = 1.0  # a bar on a black ground: easy to learn
    g = torch.Generator().manual_seed(2)
    for _ in range(60):
        v.step(lambda k: x, g)
    noise = torch.rand(16, 1, 28, 28) * 2 - 1
    assert v.score(x).mean() > v.score(noise).mean()
    assert v.reconstruct(x).shape == x.shape


def test_init_g_from_loads_the_decoder_into_g_and_its_average():
    v = vae()
    torch.manual_seed(5)
    g = GAN(load_preset("mnist-dcgan"), 1, torch.device("cpu"))
    g.init_g_from(v.state_dict(), "vae.pt")
    for k, t in v.G.state_dict().items():
        assert torch.equal(g.G.state_dict()[k], t)
        assert torch.equal(g.G_ema.state_dict()[k], t)


def test_a_decoder_that_does_not_fit_names_the_first_layer():
    v = vae("model.g_hidden=[16]")
    g = GAN(load_preset("mnist-dcgan"), 1, torch.device("cpu"))
    with pytest.raises(CheckpointError) as err:
        g.init_g_from(v.state_dict(), "model.init_g_from vae.pt")
    msg = str(err.value)
    assert "does not match G at net.0.weight: (100, 64, 7, 7) there, (100, 128, 7, 7) in G" in msg
    assert "\n" not in msg


def test_latest_run_picks_the_newest_run_of_the_preset(tmp_path: Path):
    import os

    for i, (name, preset) in enumerate([("a", "mnist-vae"), ("b", "mnist-vae"), ("c", "other")]):
        d = tmp_path / name
        d.mkdir()
        (d / "preset.toml").write_text(f'name = "{preset}"\n')
        (d / "last.pt").write_bytes(b"x")
        os.utime(d / "last.pt", (1000 + i, 1000 + i))
    assert latest_run(tmp_path, "mnist-vae") == tmp_path / "b" / "last.pt"
    assert latest_run(tmp_path, "mnist-vae", exclude=tmp_path / "b") == tmp_path / "a" / "last.pt"
    with pytest.raises(
        CheckpointError,
        match="no faces-vae run with a checkpoint under .*tui-gan train --preset faces-vae",
    ):
        latest_run(tmp_path, "faces-vae")


@pytest.mark.parametrize(
    "preset, override, field",
    [
        ("mnist-vae", "data.name=toy1d", "model.family 'toy1d' exactly when"),
        ("mnist-vae", "model.init_g_from=x", "model.init_g_from"),
        ("mnist-vae", "vae.recon=l1", "vae.recon"),
        ("toy1d-sine", "model.init_g_from=x", "model.init_g_from"),
    ],
)
def test_bad_vae_presets_are_one_line(preset, override, field):
    with pytest.raises(PresetError, match=field) as err:
        load_preset(preset, (override,))
    assert "\n" not in str(err.value)
