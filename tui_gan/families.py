"""Model families: the one place a family is declared (its trainer class, records and panels).

Pure data, no torch: the preset schema, the record schema, the dashboard and the CLI all read
it. A new family is its model file (built in engine/models/__init__.py), its trainable class
(step, generate, score, state) and one entry here; the loop, the records, the panels, `runs`,
`sample`, `eval` and `score` take it from there.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Series:
    """One logged value as a dashboard panel draws it."""

    key: str  # the StepMetrics field
    label: str
    colour: str


@dataclass(frozen=True)
class Family:
    name: str
    kind: Literal["gan", "ebm", "vae"]
    impl: str  # "module:Class" of its trainable, imported only when a run needs it
    losses: tuple[Series, Series]  # the losses panel
    outputs: tuple[Series, Series]  # the second panel
    outputs_title: str
    conditional: bool = False  # G and D see class labels (labelled data sets only)
    has_score: bool = True  # `tui-gan score` can rank images by it

    @property
    def metrics(self) -> tuple[str, ...]:
        """The StepMetrics fields this family fills (its step's own order is metric_names)."""
        return tuple(s.key for s in (*self.losses, *self.outputs))

    def trainable(self) -> Any:
        module, _, cls = self.impl.partition(":")
        return getattr(importlib.import_module(module), cls)


_GAN_LOSSES = (Series("loss_g", "G loss", "green"), Series("loss_d", "D loss", "magenta"))
_GAN_OUTPUTS = (Series("d_real", "D(x)", "cyan"), Series("d_fake", "D(G(z))", "yellow"))


def _gan(name: str, conditional: bool = False) -> Family:
    return Family(
        name,
        "gan",
        "tui_gan.engine.gan:GAN",
        _GAN_LOSSES,
        _GAN_OUTPUTS,
        "discriminator",
        conditional=conditional,
    )


REGISTRY: dict[str, Family] = {
    f.name: f
    for f in (
        _gan("mlp"),
        _gan("dcgan"),
        _gan("faces-dcgan"),
        _gan("toy1d"),
        _gan("cmlp", conditional=True),
        _gan("cdcgan", conditional=True),
        Family(
            "ebm",
            "ebm",
            "tui_gan.engine.ebm:EBM",
            (Series("loss_cd", "CD loss", "green"), Series("loss_reg", "reg loss", "magenta")),
            (Series("e_real", "E(real)", "cyan"), Series("e_fake", "E(sample)", "yellow")),
            "energies (low = data)",
        ),
        Family(
            "vae",
            "vae",
            "tui_gan.engine.vae:VAE",
            (Series("loss_rec", "recon", "green"), Series("loss_kl", "KL", "magenta")),
            (Series("active", "active z", "cyan"), Series("post_std", "mean σ", "yellow")),
            "latent (posterior collapse: active → 0)",
        ),
    )
}
NAMES: tuple[str, ...] = tuple(REGISTRY)
METRIC_KEYS: tuple[str, ...] = tuple(dict.fromkeys(k for f in REGISTRY.values() for k in f.metrics))
# GAN records may also carry loss_g / loss_d (issue 11: D overpowering a warm-started G).
RATIO_KEY = "g_d_ratio"


def family(name: str) -> Family:
    """The family of a preset's model.family; an unknown name (a newer run) reads as mlp's."""
    return REGISTRY.get(name, REGISTRY["mlp"])
