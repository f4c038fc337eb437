"""What the loop and `train` ask of a family beyond the interface every trainable has, each
answered by the family's descriptor (tui_gan/families) or by the capabilities it declares
(tui_gan/engine/family.py): never by its kind, never by a hasattr probe. No torch."""

from __future__ import annotations

from typing import Any

from tui_gan.config import BCE_LIKE
from tui_gan.engine import family as interface
from tui_gan.engine.family import Trainable
from tui_gan.families import Family, family

RATIO_LOSSES = (*BCE_LIKE, "lsgan")  # where loss_g / loss_d says who is ahead


def trains_distributed(fam: Family) -> bool:
    """Whether several processes (torchrun) can train it."""
    return fam.caps.distributed


def distribute(model: Trainable, dist: Any) -> None:
    """Make it one rank of several processes (only a family that trains_distributed)."""
    d = interface.distributable(model)
    assert d is not None, "asked only of a family that declares caps.distributed"
    d.distribute(dist)


def reconstructs(model: Trainable) -> bool:
    """Whether it draws real images back through itself (recon.png)."""
    return model.caps.reconstruction


def reconstruct(model: Trainable, real: Any) -> Any:
    """Real images drawn back through it (only a model that reconstructs)."""
    r = interface.reconstructing(model)
    assert r is not None, "asked only of a family that declares caps.reconstruction"
    return r.reconstruct(real)


def critic_curve(model: Trainable, xs: Any) -> Any:
    """D's output over 1-D values, the 1-D panel's curve (a 1-D run's G/D pair)."""
    c = interface.critic(model)
    assert c is not None, "asked only of a 1-D family, which declares caps.critic"
    return c.discriminate(xs)


def warm_start(model: Trainable, state: dict[str, Any], source: str) -> None:
    """Load another run's G (a VAE's decoder) into its G, before step 0 (model.init_g_from,
    which the preset's rules allow only for a family that declares caps.warm_start)."""
    w = interface.warm_startable(model)
    assert w is not None, "the preset's rules allow init_g_from only with caps.warm_start"
    w.init_g_from(state, source)


def logs_gd_ratio(fam: Family, loss_kind: str) -> bool:
    """Whether its records carry loss_g / loss_d: a G/D pair whose losses are positive and
    fall as their side wins (hinge and wgan-gp losses are signed)."""
    return fam.adversarial and loss_kind in RATIO_LOSSES


def divergence_advice(fam: Family) -> str:
    """What to change when its losses or weights turn NaN."""
    return fam.advice


def warm_start_source(family_name: str) -> tuple[str, str]:
    """(family name, what of it a warm start loads into G): its g_role ("decoder", "G")."""
    fam = family(family_name)
    return fam.name, fam.g_role or "G"


def discriminator_line(fam: Family) -> bool:
    """Whether `train` prints its step as a GAN's (losses, D outputs, G/D) rather than from
    the family's panels."""
    return fam.adversarial
