"""Rules across a preset's fields: which family goes with which data and which settings apply."""

# Each rule returns what the fields must be (the message after "expected"), or None when the
# preset keeps it. The order is the order the messages are tried in. Rules marked "family:"
# are facts about one family written here by name; they belong on its descriptor in
# tui_gan/families.py (image sizes, 1-D data, what applies), and this module should then ask
# the descriptor instead of naming the family.

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui_gan import families
from tui_gan.config.choices import CLASS_COUNTS

if TYPE_CHECKING:
    from tui_gan.config.schema import Preset

Rule = Callable[["Preset"], "str | None"]

MNIST_SETS = ("mnist", "fashion-mnist")  # 28x28 by construction


def _toy1d_pairs_with_toy1d(p: Preset) -> str | None:
    # family: the toy1d family is the one 1-D family, and toy1d the one 1-D data set
    if (p.data.name == "toy1d") != (p.model.family == "toy1d"):
        return "model.family 'toy1d' exactly when data.name is 'toy1d'"
    return None


def _no_augment_for_1d(p: Preset) -> str | None:
    # data set: DiffAugment works on images
    if p.data.name == "toy1d" and p.train.augment:
        return "train.augment = [] for 1-D data (it is for images)"
    return None


def _faces_dcgan_size(p: Preset) -> str | None:
    # family: faces-dcgan's only image size
    if p.model.family == "faces-dcgan" and p.data.image_size != 24:
        return "data.image_size = 24 for faces-dcgan"
    return None


def _mnist_size(p: Preset) -> str | None:
    # data set: MNIST and Fashion-MNIST are 28x28
    if p.data.name in MNIST_SETS and p.data.image_size != 28:
        return "data.image_size = 28 for MNIST data sets"
    return None


def _labels_for_conditional(p: Preset) -> str | None:
    # family descriptor: `conditional` (already read from it)
    if families.family(p.model.family).conditional and p.data.name not in CLASS_COUNTS:
        labelled = " or ".join(CLASS_COUNTS)
        return f"data.name {labelled} for {p.model.family} (it needs labels)"
    return None


def _one_sample_per_class(p: Preset) -> str | None:
    # family descriptor: `conditional` (already read from it)
    k = CLASS_COUNTS.get(p.data.name, 0)
    if families.family(p.model.family).conditional and p.log.count_samples < k:
        return f"log.count_samples >= {k} for {p.model.family} (one per class)"
    return None


def _gan_settings_off(p: Preset) -> str | None:
    # family: which preset fields apply (today: every non-GAN kind turns these off)
    if families.family(p.model.family).kind == "gan":
        return None
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
    for key, (value, off) in gan_only.items():
        if value != off:
            return f"{key} = {off!r} for {p.model.family} (a GAN setting)"
    return None


def _ebm_buffer_holds_a_batch(p: Preset) -> str | None:
    # family: ebm's own rule on its [ebm] table
    if families.family(p.model.family).kind == "ebm" and p.ebm.buffer_size < p.train.batch_size:
        return (
            f"ebm.buffer_size >= train.batch_size ({p.train.batch_size}): each batch "
            "continues chains from distinct buffer slots"
        )
    return None


def _vae_sizes(p: Preset) -> str | None:
    # family: vae's image sizes (those of its two decoders)
    if families.family(p.model.family).kind == "vae" and p.data.image_size not in (24, 28):
        return "data.image_size 28 (the dcgan decoder) or 24 (faces-dcgan's) for vae"
    return None


def _warm_start_for_gans(p: Preset) -> str | None:
    # family: whether a warm start applies (a GAN's G, not toy1d's)
    kind = families.family(p.model.family).kind
    if p.model.init_g_from and (kind != "gan" or p.model.family == "toy1d"):
        return f"model.init_g_from = '' for {p.model.family} (a GAN's G only)"
    return None


def _dcgan_size(p: Preset) -> str | None:
    # family: dcgan's and cdcgan's only image size
    if p.model.family in ("dcgan", "cdcgan") and p.data.image_size != 28:
        return f"data.image_size = 28 for {p.model.family}"
    return None


RULES: tuple[Rule, ...] = (
    _toy1d_pairs_with_toy1d,
    _no_augment_for_1d,
    _faces_dcgan_size,
    _mnist_size,
    _labels_for_conditional,
    _one_sample_per_class,
    _gan_settings_off,
    _ebm_buffer_holds_a_batch,
    _vae_sizes,
    _warm_start_for_gans,
    _dcgan_size,
)


def first_problem(p: Preset) -> str | None:
    """What the first rule that `p` breaks wants of its fields; None when it keeps them all."""
    for rule in RULES:
        problem = rule(p)
        if problem is not None:
            return problem
    return None
