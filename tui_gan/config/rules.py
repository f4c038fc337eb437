"""Rules across a preset's fields: which family goes with which data and which settings apply."""

# Each rule returns what the fields must be (the message after "expected"), or None when the
# preset keeps it. The order is the order the messages are tried in. What a family needs is
# read from its descriptor (tui_gan/families): no rule here names a family.

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui_gan import families
from tui_gan.config.choices import CLASS_COUNTS

if TYPE_CHECKING:
    from tui_gan.config.schema import Preset

Rule = Callable[["Preset"], "str | None"]

MNIST_SETS = ("mnist", "fashion-mnist")  # 28x28 by construction


def _one_d_family_on_one_d_data(p: Preset) -> str | None:
    # 1-D data for a 1-D family, images for the others
    if (p.data.name == "toy1d") != families.family(p.model.family).one_d:
        one_d = " or ".join(repr(f.name) for f in families.REGISTRY.values() if f.one_d)
        return f"model.family {one_d} exactly when data.name is 'toy1d'"
    return None


def _no_augment_for_1d(p: Preset) -> str | None:
    # data set: DiffAugment works on images
    if p.data.name == "toy1d" and p.train.augment:
        return "train.augment = [] for 1-D data (it is for images)"
    return None


def _family_image_size(p: Preset) -> str | None:
    # family descriptor: the sizes its networks are built for
    return families.family(p.model.family).image_size_rule(p.data.image_size)


def _mnist_size(p: Preset) -> str | None:
    # data set: MNIST and Fashion-MNIST are 28x28
    if p.data.name in MNIST_SETS and p.data.image_size != 28:
        return "data.image_size = 28 for MNIST data sets"
    return None


def _labels_for_conditional(p: Preset) -> str | None:
    # family descriptor: caps.labels
    if families.family(p.model.family).caps.labels and p.data.name not in CLASS_COUNTS:
        labelled = " or ".join(CLASS_COUNTS)
        return f"data.name {labelled} for {p.model.family} (it needs labels)"
    return None


def _one_sample_per_class(p: Preset) -> str | None:
    # family descriptor: caps.labels
    k = CLASS_COUNTS.get(p.data.name, 0)
    if families.family(p.model.family).caps.labels and p.log.count_samples < k:
        return f"log.count_samples >= {k} for {p.model.family} (one per class)"
    return None


def _gan_settings_off(p: Preset) -> str | None:
    # family descriptor: `applies`, which of these GAN settings it reads
    applies = families.family(p.model.family).applies
    gan_only: dict[str, tuple[Any, Any]] = {
        "train.precision": (p.train.precision, "fp32"),
        "train.channels_last": (p.train.channels_last, False),
        "train.compile": (p.train.compile, "off"),
        "train.sync_batchnorm": (p.train.sync_batchnorm, False),
        "train.d_steps": (p.train.d_steps, 1),
        "train.augment": (list(p.train.augment), []),
        "model.ema_decay": (p.model.ema_decay, 0.0),
        "model.spectral_norm": (p.model.spectral_norm, False),
    }
    assert set(gan_only) == families.GAN_SETTINGS  # one list of them, checked here
    for key, (value, off) in gan_only.items():
        if key not in applies and value != off:
            return f"{key} = {off!r} for {p.model.family} (a GAN setting)"
    return None


def _family_rule(p: Preset) -> str | None:
    # family descriptor: its own rule (the EBM's buffer holds a batch)
    rule = families.family(p.model.family).rule
    return rule(p) if rule is not None else None


def _warm_start_where_declared(p: Preset) -> str | None:
    # family descriptor: caps.warm_start
    if p.model.init_g_from and not families.family(p.model.family).caps.warm_start:
        return f"model.init_g_from = '' for {p.model.family} (a GAN's G only)"
    return None


RULES: tuple[Rule, ...] = (
    _one_d_family_on_one_d_data,
    _no_augment_for_1d,
    _family_image_size,
    _mnist_size,
    _labels_for_conditional,
    _one_sample_per_class,
    _gan_settings_off,
    _family_rule,
    _warm_start_where_declared,
)


def first_problem(p: Preset) -> str | None:
    """What the first rule that `p` breaks wants of its fields; None when it keeps them all."""
    for rule in RULES:
        problem = rule(p)
        if problem is not None:
            return problem
    return None
