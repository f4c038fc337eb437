"""A family's descriptor: what it can do, its panels, and its text and preset rules. No torch."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from tui_gan.errors import UsageError, one_line

if TYPE_CHECKING:  # the interface its trainable implements lives in the engine, with torch
    from tui_gan.engine.family import TrainableClass

# The preset fields only an adversarial G/D pair reads; a family that does not list one in
# `applies` keeps it at its off value (the config's rule says which value that is).
GAN_SETTINGS = frozenset(
    {
        "train.precision",
        "train.channels_last",
        "train.compile",
        "train.sync_batchnorm",
        "train.d_steps",
        "train.augment",
        "model.ema_decay",
        "model.spectral_norm",
    }
)


@dataclass(frozen=True)
class Series:
    """One logged value as a dashboard panel draws it."""

    key: str  # the StepMetrics field, or a key of its `values` for a family from outside
    label: str
    colour: str


@dataclass(frozen=True)
class Capabilities:
    """What a family's trainable can do beyond the interface every one has. Each flag is a
    promise: a True one means the trainable implements the matching protocol of
    tui_gan/engine/family.py (the contract test checks), and callers ask the flag, never
    `hasattr`."""

    latent: bool = False
    """A latent space to walk: interpolation strips, `tui-gan grid` and `interpolate`."""
    labels: bool = False
    """G and D see class labels: labelled data sets only, grids with a column per class."""
    ema: bool = False
    """Samples may come from a moving average of its generator (model.ema_decay): `Averaging`."""
    distributed: bool = False
    """Trains over several processes (torchrun, `--gpus`): `Distributable`."""
    reconstruction: bool = False
    """Draws real images back through itself (samples/recon.png): `Reconstructing`."""
    chains: bool = False
    """Samples are MCMC chains whose length can be set (`--mcmc-steps`): `Chains`."""
    warm_start: bool = False
    """Its G can start from another run's G or decoder (model.init_g_from): `WarmStartable`."""
    critic: bool = False
    """Scores a 1-D grid of values with D (the 1-D panel's D(x) curve): `Critic`."""
    score: bool = False
    """Ranks images by an anomaly score (`tui-gan score`): `Scoring`."""


@dataclass(frozen=True)
class Family:
    """One model family: pure data that the preset schema, the records, the dashboard and the
    CLI read without torch. Its trainable class is imported only when a run needs it."""

    name: str
    """What model.family says, and runs and records call it."""
    kind: str
    """Its group, shown to people ("gan" for every G/D pair); no code branches on it."""
    impl: str
    """"module:Class" of its trainable (tui_gan/engine/family.py's Trainable)."""
    losses: tuple[Series, Series]
    """The losses panel's two series."""
    outputs: tuple[Series, Series]
    """The second panel's two series."""
    outputs_title: str
    """The second panel's title."""
    noun: str
    """How a sentence names one of its models: "a GAN", "an EBM"."""
    caps: Capabilities = Capabilities()
    # --- the preset: what config's cross-field rules read ------------------------------------
    one_d: bool = False
    """Trains on 1-D data (data.name toy1d) instead of images."""
    image_sizes: tuple[int, ...] = ()
    """The data.image_size values its networks are built for; () = any."""
    image_sizes_text: str = ""
    """How the rule's line names several sizes, each with why ("28 (...) or 24 (...)")."""
    applies: frozenset[str] = frozenset()
    """Which of the family-only preset fields (GAN_SETTINGS) it reads; the rest stay off."""
    rule: Callable[[Any], str | None] | None = field(default=None, compare=False)
    """Its own rule on a validated preset: what the fields must be, or None when kept."""
    # --- text ---------------------------------------------------------------------------------
    advice: str = "lower the learning rates"
    """What to change when its losses or weights turn NaN."""
    adversarial: bool = False
    """Trained against a D with the preset's [loss]: its outputs are D's (probabilities under a
    BCE loss), its records carry loss_g / loss_d, and `train` prints its step as a GAN's."""
    score_name: str = ""
    """What `tui-gan score` ranks by, in words (caps.score)."""
    sampler: tuple[str, str] = ("the model", "model")
    """What draws its samples, in a sentence and in a caption; "{steps}" is the chains'
    length (caps.chains). A family with EMA says "the EMA generator" while that draws."""
    drawn_by: str = "G"
    """What draws its samples, in a word (compare's column)."""
    fixed_view: str = "fixed noise"
    """The samples panel's fixed view, as its title names it."""
    fresh_view: str = "fresh samples"
    """The samples panel's fresh samples, as its title names them."""
    outputs_about: str = ""
    """What the report's outputs figure shows, in a phrase."""
    outputs_split: bool = False
    """Its two outputs are on different scales: the report draws them in two panels."""
    g_role: str | None = None
    """What its checkpoint's "G" is to a warm start that loads it ("G", "decoder"); None
    when it has none to give."""
    networks: tuple[tuple[str, str], ...] = ()
    """Its state_dict's networks and how a one-line message names each ("E", "energy
    network E"); a run checkpoint holds the first."""

    @property
    def metrics(self) -> tuple[str, ...]:
        """The values it logs (its step's own order is the trainable's metric_names)."""
        return tuple(s.key for s in (*self.losses, *self.outputs))

    @property
    def conditional(self) -> bool:
        """G and D see class labels (caps.labels)."""
        return self.caps.labels

    def image_size_rule(self, size: int) -> str | None:
        """What data.image_size must be for it, or None when `size` is one of its sizes."""
        if not self.image_sizes or size in self.image_sizes:
            return None
        if len(self.image_sizes) == 1:
            return f"data.image_size = {self.image_sizes[0]} for {self.name}"
        sizes = self.image_sizes_text or " or ".join(map(str, self.image_sizes))
        return f"data.image_size {sizes} for {self.name}"

    def sampler_text(self, short: bool = False, ema: bool = False, steps: int = 0) -> str:
        """What drew a sample, for a sentence (`short`: a caption)."""
        if ema:
            return "EMA generator" if short else "the EMA generator"
        return self.sampler[1 if short else 0].replace("{steps}", str(steps))

    def trainable(self) -> TrainableClass:
        """Its trainable class, imported now (torch with it); a module or class that is not
        there is one line."""
        module, _, cls = self.impl.partition(":")
        try:
            found = getattr(importlib.import_module(module), cls)
        except Exception as err:  # an outside family's module may fail in any way
            raise UsageError(
                f"family {self.name}: cannot load its trainable {self.impl} "
                f"({type(err).__name__}: {one_line(err)})"
            ) from None
        if not isinstance(found, type):
            raise UsageError(f"family {self.name}: {self.impl} is not a class")
        return cast("TrainableClass", found)
