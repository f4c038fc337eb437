"""The interface a model family's trainable implements: the loop, `sample`, `eval`, `score`,
`grid` and `interpolate` touch a family through these and nothing else.

`Trainable` is what every family has. What only some can do is declared on the family's
descriptor (tui_gan/families, `Capabilities`) and reached through the typed accessors below,
which ask the declaration, never `hasattr`. The contract test (tests/contract) checks every
registered family against both: each declared capability's protocol is implemented.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast, runtime_checkable

from tui_gan.errors import UsageError
from tui_gan.families import Capabilities, Family

if TYPE_CHECKING:
    import torch
    from torch import Tensor

    from tui_gan.config import Preset
    from tui_gan.engine.dist import Dist

Source = Literal["ema", "live"]  # which network drew a sample, as records name it


@runtime_checkable
class Trainable(Protocol):
    """One family's model on a device: it trains a step at a time and draws samples."""

    caps: Capabilities
    """What it can do beyond this interface: its family's declaration."""
    preset: Preset
    device: torch.device
    metric_names: tuple[str, ...]
    """The values `step` returns, in its order: its family's metrics."""
    latent_dim: int
    """The width of `sample_z`'s rows (the fixed noise a checkpoint keeps)."""
    num_classes: int
    """Classes G is told (0 unless caps.labels)."""

    @property
    def conditional(self) -> bool:
        """G draws a class it is told, and `step`'s batches are (images, labels) (caps.labels)."""
        ...

    @property
    def has_latent(self) -> bool:
        """Its latent space can be walked (caps.latent)."""
        ...

    @property
    def generator(self) -> Source:
        """Which network draws its samples now, as records name it."""
        ...

    def sample_z(self, n: int, generator: torch.Generator) -> Tensor:
        """n rows of its latent noise (an EBM's: chain starts), on its device."""
        ...

    def step(self, real_batch: Callable[[int], Any], generator: torch.Generator) -> Tensor:
        """One update from `real_batch(k)` (the k-th batch this step draws); its metrics as one
        device tensor in metric_names' order, never synced to the host."""
        ...

    def fixed_view(self, fixed_noise: Tensor) -> Tensor:
        """The samples panel's fixed grid, in [-1, 1]."""
        ...

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Samples in [-1, 1] from `sample_z`'s noise (labels: a conditional G's classes)."""
        ...

    def balanced_labels(self, n: int) -> Tensor | None:
        """Classes 0..k-1 in turn for n samples of a conditional G; None otherwise."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """Its networks, optimizers and any state a resume needs, as one dict of tensors and
        primitives (weights_only loads it)."""
        ...

    def load_state_dict(self, state: dict[str, Any], source: str = "checkpoint") -> None:
        """The inverse of state_dict (optimizers when present); a state that does not fit is
        one CheckpointError line naming `source`."""
        ...


class TrainableClass(Protocol):
    """A trainable's class: built from a preset, the data's channels and a device."""

    def __call__(
        self, preset: Preset, channels: int, device: torch.device, training: bool = True
    ) -> Trainable: ...


@runtime_checkable
class Scoring(Protocol):
    """caps.score: an anomaly score per image, high for what the model takes for data."""

    def score(self, x: Tensor) -> Tensor: ...


@runtime_checkable
class Averaging(Protocol):
    """caps.ema: samples come from a moving average of G unless `use_ema` is turned off."""

    use_ema: bool


@runtime_checkable
class Distributable(Protocol):
    """caps.distributed: trains as one rank of several processes."""

    def distribute(self, d: Dist) -> None: ...


@runtime_checkable
class Reconstructing(Protocol):
    """caps.reconstruction: real images drawn back through the model."""

    def reconstruct(self, x: Tensor) -> Tensor: ...


@runtime_checkable
class Chains(Protocol):
    """caps.chains: samples are MCMC chains of `sample_steps` steps (`--mcmc-steps`)."""

    sample_steps: int


@runtime_checkable
class WarmStartable(Protocol):
    """caps.warm_start: G starts from another run's G or decoder (model.init_g_from)."""

    def init_g_from(self, state: dict[str, Any], source: str) -> None: ...


@runtime_checkable
class Critic(Protocol):
    """caps.critic: D's output on a batch of 1-D values (the 1-D panel's curve)."""

    def discriminate(self, x: Tensor) -> Tensor: ...


# Each capability and the protocol it promises; the contract test walks this table.
PROMISES: dict[str, type] = {
    "score": Scoring,
    "ema": Averaging,
    "distributed": Distributable,
    "reconstruction": Reconstructing,
    "chains": Chains,
    "warm_start": WarmStartable,
    "critic": Critic,
}


def scoring(model: Trainable) -> Scoring | None:
    return cast(Scoring, model) if model.caps.score else None


def averaging(model: Trainable) -> Averaging | None:
    return cast(Averaging, model) if model.caps.ema else None


def distributable(model: Trainable) -> Distributable | None:
    return cast(Distributable, model) if model.caps.distributed else None


def reconstructing(model: Trainable) -> Reconstructing | None:
    return cast(Reconstructing, model) if model.caps.reconstruction else None


def chains(model: Trainable) -> Chains | None:
    return cast(Chains, model) if model.caps.chains else None


def warm_startable(model: Trainable) -> WarmStartable | None:
    return cast(WarmStartable, model) if model.caps.warm_start else None


def critic(model: Trainable) -> Critic | None:
    return cast(Critic, model) if model.caps.critic else None


def broken_promises(model: object, caps: Capabilities) -> list[str]:
    """What `model` lacks of the interface and of the protocols its capabilities promise:
    the members' names, empty when it keeps them all."""
    missing = [] if isinstance(model, Trainable) else _members_missing(model, Trainable)
    for flag, proto in PROMISES.items():
        if getattr(caps, flag) and not isinstance(model, proto):
            missing += _members_missing(model, proto)
    return missing


def _members_missing(model: object, proto: type) -> list[str]:
    names = getattr(proto, "__protocol_attrs__", None) or _annotated_members(proto)
    return sorted(f"{proto.__name__}.{n}" for n in names if not hasattr(model, n))


def _annotated_members(proto: type) -> set[str]:
    own = set(vars(proto)) | set(getattr(proto, "__annotations__", {}))
    return {n for n in own if not n.startswith("_")}


def build(
    fam: Family, preset: Preset, channels: int, device: torch.device, training: bool = True
) -> Trainable:
    """The family's trainable for this preset: its class imported and built, and checked to
    keep its interface and its declared capabilities (one line naming what it lacks: a
    family from outside that breaks its promise is told so before the first step)."""
    model = fam.trainable()(preset, channels, device, training)
    missing = broken_promises(model, fam.caps)
    if missing:
        raise UsageError(f"family {fam.name}: {fam.impl} lacks {', '.join(missing)}")
    return model
