"""Model families: build G and D for a preset."""

from __future__ import annotations

from torch import nn

from tui_gan.config import Preset


def build_models(preset: Preset, channels: int) -> tuple[nn.Module, nn.Module]:
    """(G, D) for the preset's family: G maps (B, latent) to samples, D samples to (B,) logits."""
    m = preset.model
    if m.family == "mlp":
        from tui_gan.engine.models.mlp import MLPDiscriminator, MLPGenerator

        shape = (channels, preset.data.image_size, preset.data.image_size)
        return (
            MLPGenerator(m.latent_dim, m.g_hidden, shape, m.leak),
            MLPDiscriminator(shape, m.d_hidden, m.leak),
        )
    if m.family == "dcgan":
        from tui_gan.engine.models.dcgan import DCGANDiscriminator28, DCGANGenerator28

        return (
            DCGANGenerator28(m.latent_dim, m.g_hidden[0], channels),
            DCGANDiscriminator28(m.d_hidden[0], channels, m.leak),
        )
    if m.family == "faces-dcgan":
        from tui_gan.engine.models.faces import FacesDiscriminator, FacesGenerator

        return (
            FacesGenerator(m.latent_dim, m.g_hidden[0], channels),
            FacesDiscriminator(m.d_hidden[0], channels, m.leak),
        )
    from tui_gan.engine.models.toy1d import Toy1DDiscriminator, Toy1DGenerator

    return Toy1DGenerator(m.latent_dim, m.g_hidden, m.leak), Toy1DDiscriminator(m.d_hidden, m.leak)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN paper init: conv weights N(0, 0.02), BatchNorm scale N(1, 0.02), bias 0."""
    name = type(module).__name__
    if "Conv" in name:
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif "BatchNorm" in name:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
