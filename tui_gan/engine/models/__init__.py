"""The G/D families' networks; the EBM's energy and the VAE's encoder are in ebm.py and vae.py."""

from __future__ import annotations

from torch import Tensor, nn

from tui_gan.config import CLASS_COUNTS, Preset
from tui_gan.families import family

CONDITIONAL = {"cmlp": "mlp", "cdcgan": "dcgan"}  # conditional G/D family -> its base


def num_classes(preset: Preset) -> int:
    """Classes a conditional family is told (0: an unconditional one)."""
    return CLASS_COUNTS[preset.data.name] if family(preset.model.family).caps.labels else 0


def build_models(preset: Preset, channels: int) -> tuple[nn.Module, nn.Module]:
    """A G/D family's networks: G maps (B, latent) to samples, D samples to (B,) logits, and a
    conditional family's G and D also take (B,) class labels. (The EBM and the VAE build
    theirs in their own modules; the VAE's decoder is one of these Gs.)"""
    G, D = _pair(preset, channels)
    if preset.model.spectral_norm:
        from torch.nn.utils.parametrizations import spectral_norm

        for layer in list(D.modules()):
            if isinstance(layer, nn.Linear | nn.Conv2d):
                spectral_norm(layer)
    return G, D


def _pair(preset: Preset, channels: int) -> tuple[nn.Module, nn.Module]:
    m = preset.model
    if m.family in CONDITIONAL:
        # A conditional family is its unconditional base made class-aware: G's input widened
        # by the label embedding, D wrapped with a projection (models/conditional.py).
        from tui_gan.engine.models.conditional import (
            ConditionalGenerator,
            ProjectionDiscriminator,
        )

        k = num_classes(preset)
        base = preset.model_copy(
            update={
                "model": m.model_copy(
                    update={
                        "family": CONDITIONAL[m.family],
                        "latent_dim": m.latent_dim + m.embed_dim,
                    }
                )
            }
        )
        G, D = _pair(base, channels)
        return ConditionalGenerator(G, k, m.embed_dim), ProjectionDiscriminator(D, k)
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
    weight, bias = getattr(module, "weight", None), getattr(module, "bias", None)
    if "Conv" in name and isinstance(weight, Tensor):
        nn.init.normal_(weight, 0.0, 0.02)
    elif "BatchNorm" in name and isinstance(weight, Tensor) and isinstance(bias, Tensor):
        nn.init.normal_(weight, 1.0, 0.02)
        nn.init.zeros_(bias)
