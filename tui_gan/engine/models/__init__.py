"""Model families' networks: G and D, an EBM's energy, a VAE's decoder and encoder."""

from __future__ import annotations

import torch
from torch import nn

from tui_gan.config import CLASS_COUNTS, Preset
from tui_gan.errors import UsageError

CONDITIONAL = {"cmlp": "mlp", "cdcgan": "dcgan"}  # conditional family -> its base


def num_classes(preset: Preset) -> int:
    """Classes a conditional family is told (0: an unconditional one)."""
    return CLASS_COUNTS[preset.data.name] if preset.model.family in CONDITIONAL else 0


def build_models(preset: Preset, channels: int) -> tuple[nn.Module, ...]:
    """The family's networks. GANs: (G, D), G maps (B, latent) to samples, D samples to (B,)
    logits, and a conditional family's G and D also take (B,) class labels. ebm: (E,), image
    to energy. vae: (decoder, encoder), the decoder laid out as the data set's DCGAN G."""
    m = preset.model
    size = preset.data.image_size
    if m.family == "ebm":
        from tui_gan.engine.models.ebm import EnergyNet

        return (EnergyNet(m.d_hidden[0], channels, size),)
    if m.family == "vae":
        from tui_gan.engine.models.vae import Encoder

        # The decoder is the very generator class of the data set's GAN preset, so its
        # weights load into that G (model.init_g_from) key for key.
        gan = "faces-dcgan" if size == 24 else "dcgan"
        as_gan = preset.model_copy(update={"model": m.model_copy(update={"family": gan})})
        decoder, _ = _family(as_gan, channels)
        return decoder, Encoder(m.latent_dim, m.d_hidden[0], channels, size, m.leak)
    G, D = _family(preset, channels)
    if preset.model.spectral_norm:
        from torch.nn.utils.parametrizations import spectral_norm

        for layer in list(D.modules()):
            if isinstance(layer, nn.Linear | nn.Conv2d):
                spectral_norm(layer)
    return G, D


def _family(preset: Preset, channels: int) -> tuple[nn.Module, nn.Module]:
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
        G, D = _family(base, channels)
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


def build_models_checked(
    preset: Preset, channels: int, device: torch.device, training: bool = True
) -> tuple[nn.Module, ...]:
    """build_models, but first on the meta device (no memory), to refuse in one line a model
    that cannot fit before a single real byte is allocated."""
    with torch.device("meta"):
        nets = build_models(preset, channels)
    n_g, *rest = (sum(p.numel() for p in m.parameters()) for m in nets)
    n_d = sum(rest)
    # fp32 weights; training adds gradients and Adam's two moments (4x in all), and a
    # moving average of G one more copy of G.
    need = (n_g + n_d) * 4 * (4 if training else 1) + (n_g * 4 if preset.model.ema_decay else 0)
    free = free_memory(device)
    if free is not None and need > free:
        gan = len(nets) == 2 and preset.model.family != "vae"
        sizes = f"G has {n_g:,} and D {n_d:,} parameters" if gan else f"{n_g + n_d:,} parameters"
        raise UsageError(
            f"the model is too large: {sizes}, about "
            f"{need / 2**30:,.1f} GiB to {'train' if training else 'load'}, and {device} has "
            f"{free / 2**30:,.1f} GiB free; lower model.g_hidden, model.d_hidden or "
            "model.latent_dim"
        )
    return build_models(preset, channels)


def free_memory(device: torch.device) -> int | None:
    """Bytes free for tensors on the device, when the device can tell."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    if device.type == "cpu":
        import psutil

        free = psutil.virtual_memory().available
        try:  # a ulimit -v caps us below what the machine has free
            import resource

            soft, _ = resource.getrlimit(resource.RLIMIT_AS)
            if soft != resource.RLIM_INFINITY:
                free = min(free, max(0, soft - psutil.Process().memory_info().vms))
        except (ImportError, OSError, ValueError):
            pass
        return free
    return None


def dcgan_init(module: nn.Module) -> None:
    """DCGAN paper init: conv weights N(0, 0.02), BatchNorm scale N(1, 0.02), bias 0."""
    name = type(module).__name__
    if "Conv" in name:
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif "BatchNorm" in name:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
