"""The preset's choice lists, each written once as a `Literal`; the tuples are derived from it."""

from __future__ import annotations

from typing import Literal, get_args

from tui_gan import families

DatasetName = Literal["mnist", "fashion-mnist", "faces", "toy1d"]
Target1D = Literal["sine", "mixture", "gaussian"]
LatentDist = Literal["normal", "uniform"]
LossKind = Literal["bce", "bce-saturating", "lsgan", "hinge", "wgan-gp"]
Device = Literal["auto", "cpu", "cuda", "mps"]
Precision = Literal["fp32", "bf16", "fp16"]
CompileMode = Literal["off", "default", "reduce-overhead"]
Augmentation = Literal["color", "translation", "cutout"]  # DiffAugment's policy names
Recon = Literal["bce", "mse"]

DATASETS: tuple[DatasetName, ...] = get_args(DatasetName)
TARGETS_1D: tuple[Target1D, ...] = get_args(Target1D)
LATENT_DISTS: tuple[LatentDist, ...] = get_args(LatentDist)
LOSS_KINDS: tuple[LossKind, ...] = get_args(LossKind)
DEVICES: tuple[Device, ...] = get_args(Device)
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
COMPILE_MODES: tuple[CompileMode, ...] = get_args(CompileMode)
AUGMENTATIONS: tuple[Augmentation, ...] = get_args(Augmentation)
RECONS: tuple[Recon, ...] = get_args(Recon)
FAMILIES: tuple[str, ...] = families.NAMES  # declared once, in tui_gan/families

# The loss kinds whose D outputs a logit of P(real): sigmoid(D) reads as a probability.
BCE_LIKE: tuple[LossKind, ...] = ("bce", "bce-saturating")
# Labelled data sets and their class counts: what the conditional families need.
CLASS_COUNTS: dict[str, int] = {"mnist": 10, "fashion-mnist": 10}
