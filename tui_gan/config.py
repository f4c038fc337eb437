"""Preset schema: frozen, documented types loaded from TOML, with one-line errors."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import tomllib
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tui_gan import families
from tui_gan.engine.safeio import MAX_STEP
from tui_gan.errors import PresetError

# --- value checks -----------------------------------------------------------
# Custom checks instead of pydantic's stock constraints so every error reads
# "expected <what>, got <value>" whatever went wrong (wrong type or out of range).


# Bounds: a preset comes from a file anyone may hand you. Each field is held to what a GAN on
# one machine can sensibly use, so a typo (or a fuzzer) meets a one-line error, not a
# multi-terabyte allocation, a float overflow or a learning rate of 5e-324.
MAX_WIDTH = 65536  # batch, latent and layer sizes
MAX_LAYERS = 16
MAX_STEPS = MAX_STEP  # the one bound on a step, which records and checkpoints share
MAX_SEED = 2**32 - 1  # seeds are mixed with steps (seed * 1_000_003 + step) for torch


def _number(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise PydanticCustomError("expected", what)
    x = float(v) if abs(v) < 1e300 else float("inf")
    if not math.isfinite(x):
        raise PydanticCustomError("expected", what)
    return x


def _integer(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise PydanticCustomError("expected", what)
    return v


def _g(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _float_in(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False):
    """A finite float in [lo, hi] (or open at either end)."""
    what = f"a number in {'(' if lo_open else '['}{_g(lo)}, {_g(hi)}{')' if hi_open else ']'}"

    def check(v: Any) -> float:
        x = _number(v, what)
        if x < lo or x > hi or (lo_open and x == lo) or (hi_open and x == hi):
            raise PydanticCustomError("expected", what)
        return x

    return BeforeValidator(check)


def _int_in(lo: int, hi: int):
    """An integer in [lo, hi]."""
    what = f"an integer in [{_g(lo)}, {_g(hi)}]"

    def check(v: Any) -> int:
        x = _integer(v, what)
        if not lo <= x <= hi:
            raise PydanticCustomError("expected", what)
        return x

    return BeforeValidator(check)


def _betas(v: Any) -> tuple[float, float]:
    what = "two numbers in [0, 1), e.g. [0.5, 0.999]"
    if not isinstance(v, list | tuple) or len(v) != 2:
        raise PydanticCustomError("expected", what)
    out = tuple(_number(b, what) for b in v)
    if not all(0 <= b < 1 for b in out):
        raise PydanticCustomError("expected", what)
    return out  # type: ignore[return-value]


def _sizes(v: Any) -> tuple[int, ...]:
    what = f"a list of 1 to {MAX_LAYERS} integers in [1, {_g(MAX_WIDTH)}]"
    if not isinstance(v, list | tuple) or not 1 <= len(v) <= MAX_LAYERS:
        raise PydanticCustomError("expected", what)
    if not all(isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= MAX_WIDTH for x in v):
        raise PydanticCustomError("expected", what)
    return tuple(v)


AUGMENTATIONS = ("color", "translation", "cutout")  # DiffAugment's policy names


def _policy(v: Any) -> tuple[str, ...]:
    what = "a list of distinct names from " + ", ".join(AUGMENTATIONS)
    if not isinstance(v, list | tuple) or len(set(map(repr, v))) != len(v):
        raise PydanticCustomError("expected", what)
    if not all(isinstance(x, str) and x in AUGMENTATIONS for x in v):
        raise PydanticCustomError("expected", what)
    return tuple(v)


def _choice(*options: str):
    def check(v: Any) -> str:
        if not isinstance(v, str) or v not in options:
            raise PydanticCustomError("expected", "one of " + ", ".join(options))
        return v

    return BeforeValidator(check)


def _string(max_len: int):
    what = f"a string of at most {max_len:,} characters, without NUL"

    def check(v: Any) -> str:
        if not isinstance(v, str) or len(v) > max_len or "\x00" in v or not _utf8(v):
            raise PydanticCustomError("expected", what)
        return v

    return BeforeValidator(check)


def _utf8(v: str) -> bool:
    """False for lone surrogates (bytes that were not UTF-8 on the command line)."""
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")


def check_run_name(name: str | None) -> None:
    """--name must be one folder under --out: no '/', no '..', no control characters."""
    if name is not None and not NAME_RE.fullmatch(name):
        raise PresetError(
            f"--name {name!r}: expected 1-64 letters, digits, '.', '_', '+' or '-', "
            "starting with a letter or digit (one folder under --out)"
        )


def _name(v: Any) -> str:
    # The preset's name becomes part of the run directory's name: no '/', no '..', no spaces.
    if not isinstance(v, str) or not NAME_RE.fullmatch(v):
        raise PydanticCustomError(
            "expected", "a name of 1-64 letters, digits, '.', '_', '+' or '-' (no '/')"
        )
    return v


Lr = Annotated[float, _float_in(1e-9, 10.0)]
Eps = Annotated[float, _float_in(1e-20, 1.0)]
Decay = Annotated[float, _float_in(0.0, 10.0)]
UnitFloat = Annotated[float, _float_in(0.0, 1.0, hi_open=True)]
Width = Annotated[int, _int_in(1, MAX_WIDTH)]
Steps = Annotated[int, _int_in(0, MAX_STEPS)]
Every = Annotated[int, _int_in(0, MAX_STEPS)]
Betas = Annotated[tuple[float, float], BeforeValidator(_betas)]
Sizes = Annotated[tuple[int, ...], BeforeValidator(_sizes)]
Str = Annotated[str, _string(1000)]
Name = Annotated[str, BeforeValidator(_name)]
Augment = Annotated[tuple[str, ...], BeforeValidator(_policy)]

DatasetName = Literal["mnist", "fashion-mnist", "faces", "toy1d"]
FAMILIES: tuple[str, ...] = families.NAMES  # declared once, in tui_gan/families.py
CLASS_COUNTS = {"mnist": 10, "fashion-mnist": 10}  # labelled data sets: what cmlp/cdcgan need
LossKind = Literal["bce", "bce-saturating", "lsgan", "hinge", "wgan-gp"]
LatentDist = Literal["normal", "uniform"]
Target1D = Literal["sine", "mixture", "gaussian"]
Device = Literal["auto", "cpu", "cuda", "mps"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    """Where the training images (or 1-D samples) come from."""

    name: Annotated[DatasetName, _choice("mnist", "fashion-mnist", "faces", "toy1d")] = "mnist"
    """Data set: mnist, fashion-mnist, faces (a folder of images) or toy1d."""
    root: Annotated[str, _string(4096)] = ""
    """Data root for torchvision data sets or the image folder for faces; '' = cache folder."""
    download: bool = True
    """Let torchvision download the data set when it is missing and the network allows."""
    image_size: Annotated[int, _int_in(8, 512)] = 28
    """Side of the square images the models see (faces are resized to it)."""
    target: Annotated[Target1D, _choice("sine", "mixture", "gaussian")] = "sine"
    """toy1d only: the real density (sine-shaped on [-pi, pi], a Gaussian mixture, a Gaussian)."""
    size: Annotated[int, _int_in(1, 10**8)] = 20000
    """toy1d only: how many real samples make one epoch."""


class ModelConfig(_Section):
    """Generator and discriminator architecture."""

    family: Annotated[str, _choice(*FAMILIES)] = "mlp"
    """mlp, dcgan (28x28 conv), faces-dcgan (Linear to 128x6x6, up to 24x24), toy1d, the
    conditional cmlp and cdcgan (G and D also see the class; labelled data sets only), ebm
    (an energy-based model, the [ebm] table) and vae (the [vae] table)."""
    latent_dim: Width = 100
    """Size of z."""
    latent_dist: Annotated[LatentDist, _choice("normal", "uniform")] = "normal"
    """z ~ N(0, 1) or U[0, 1)."""
    g_hidden: Sizes = (256, 512, 1024)
    """Hidden widths of G (mlp, toy1d) or base channel count first (conv families)."""
    d_hidden: Sizes = (512, 256)
    """Hidden widths of D (mlp, toy1d) or base channel count first (conv families)."""
    embed_dim: Annotated[int, _int_in(1, 4096)] = 10
    """cmlp, cdcgan: size of the label embedding joined to z at G's input."""
    leak: UnitFloat = 0.2
    """Negative slope of LeakyReLU."""
    spectral_norm: bool = False
    """Spectral normalisation of every linear and conv layer of D (Miyato et al. 2018)."""
    ema_decay: UnitFloat = 0.0
    """Exponential moving average of G's weights, what samples and evaluations use; 0 = off.
    The decay warms up as min(ema_decay, (1 + t) / (10 + t)) after t steps."""
    ema_every: Annotated[int, _int_in(1, 1000)] = 4
    """Steps between updates of the average, each with the decay to that power: the same
    average at a fraction of the cost (a lerp over G every step is ~10% of an MLP step)."""
    init_g_from: Annotated[str, _string(4096)] = ""
    """A run directory or checkpoint whose G (a vae run's decoder) G starts from, or
    'latest:PRESET', the newest run of that preset beside this one; its layout must be G's
    (a vae's decoder is dcgan's G on MNIST, faces-dcgan's on faces); '' = random init."""


class LossConfig(_Section):
    """The GAN objective."""

    kind: Annotated[LossKind, _choice("bce", "bce-saturating", "lsgan", "hinge", "wgan-gp")] = "bce"
    """bce (non-saturating G loss), bce-saturating (minimax), lsgan (least squares), hinge,
    wgan-gp (Wasserstein with a gradient penalty; give it train.d_steps 5)."""
    label_smoothing: UnitFloat = 0.0
    """One-sided smoothing: D's target for real data is 1 - this (bce kinds and lsgan)."""
    gp_weight: Annotated[float, _float_in(0.0, 1e4)] = 10.0
    """wgan-gp: weight of the penalty on D's gradient norm away from 1 (Gulrajani et al.)."""
    r1_gamma: Annotated[float, _float_in(0.0, 1e4)] = 0.0
    """R1 penalty on D's gradient at real data, gamma/2 * |grad|^2 (Mescheder et al.); 0 = off."""
    r1_every: Annotated[int, _int_in(1, 1000)] = 16
    """Lazy R1 (StyleGAN2): the penalty on one D step in this many, weighted by it; its
    double backward on every step costs ~20% of an MLP step's img/s."""


class OptimConfig(_Section):
    """Adam settings of one network."""

    lr: Lr = 2e-4
    betas: Betas = (0.5, 0.999)
    eps: Eps = 1e-8
    weight_decay: Decay = 0.0


class OptimPair(_Section):
    """Separate optimizer settings for G and D."""

    g: OptimConfig = OptimConfig()
    d: OptimConfig = OptimConfig()


class TrainConfig(_Section):
    """Length, batch and reproducibility of a run."""

    batch_size: Width = 64
    steps: Steps = 0
    """Total generator steps of the run; 0 = use epochs."""
    epochs: Annotated[int, _int_in(0, 10**6)] = 1
    """Passes over the training set, used when steps is 0."""
    seed: Annotated[int, _int_in(0, MAX_SEED)] = 0
    device: Annotated[Device, _choice("auto", "cpu", "cuda", "mps")] = "auto"
    """auto picks cuda, then mps, then cpu."""
    d_steps: Annotated[int, _int_in(1, 100)] = 1
    """Discriminator updates per generator update."""
    augment: Augment = ()
    """DiffAugment policy for D's inputs, real and fake alike: any of color, translation,
    cutout (Zhao et al. 2020); [] = off. Images only. R1 differentiates through it; the
    wgan-gp penalty is taken at un-augmented points between real and fake."""
    precision: Annotated[str, _choice("fp32", "bf16", "fp16")] = "fp32"
    """Autocast G's and D's forward passes: bf16 (Ampere GPUs and later, and CPUs; no
    scaler needed) or fp16 (with a gradient scaler per network). fp32 is the safe choice
    (full fp32 on a GPU unless train.tf32 is on)."""
    channels_last: bool = False
    """Conv nets and their image batches in NHWC memory order: faster convolutions on
    tensor-core GPUs, especially with bf16/fp16; no effect on an MLP."""
    sync_batchnorm: bool = False
    """Several GPUs (torchrun): BatchNorm statistics over the global batch rather than each
    GPU's share (SyncBatchNorm; CUDA only). Costs a collective per BatchNorm layer."""
    compile: Annotated[str, _choice("off", "default", "reduce-overhead")] = "off"
    """torch.compile G's and D's forward passes (the first steps pay the compile time);
    reduce-overhead also records CUDA graphs, so small steps stop being launch-bound."""
    tf32: bool = False
    """CUDA: TF32 tensor cores for fp32 matmuls and convolutions (Ampere and later; a 10-bit
    mantissa in the products). Off: fp32 is full fp32, convolutions included (PyTorch's own
    default lets convolutions use TF32). Off until a GPU comparison of quality says more."""
    cudnn_benchmark: bool = False
    """CUDA: cuDNN times its convolution algorithms on the first steps and keeps the fastest
    for these shapes; faster, but the choice (and the last bits) may differ between runs."""
    deterministic: bool = False
    """Deterministic algorithms (PyTorch's; on CUDA also cuBLAS's fixed workspace and cuDNN's
    deterministic kernels, with tf32 and cudnn_benchmark forced off): a GPU run then repeats
    itself, and a resume a straight run, at some cost in speed. CPU runs are exact anyway."""


class EbmConfig(_Section):
    """ebm only: contrastive divergence against Langevin chains (Du & Mordatch 2019)."""

    mcmc_steps: Annotated[int, _int_in(1, 10_000)] = 60
    """Langevin steps per training batch: the step's cost grows with it. Chains continue
    from the buffer, so short ones add up to long mixing over training."""
    sample_steps: Annotated[int, _int_in(1, 100_000)] = 256
    """Langevin steps for fresh chains from noise (samples, eval; `--mcmc-steps` overrides):
    the seed found 256 enough for readable digits."""
    step_size: Annotated[float, _float_in(0.0, 1e4, lo_open=True)] = 10.0
    """Multiplier of the (clipped) energy gradient per Langevin step: large, because the
    gradient of a regularised energy is tiny per pixel and the clip bounds the move."""
    grad_clip: Annotated[float, _float_in(0.0, 10.0, lo_open=True)] = 0.03
    """Each pixel's gradient is clipped to +-this, so one step moves a pixel at most
    step_size * grad_clip (0.3 of the [-1, 1] range) however sharp E is there."""
    noise: Annotated[float, _float_in(0.0, 1.0)] = 0.005
    """Std of the Gaussian noise added each Langevin step: keeps chains stochastic without
    washing out the small gradient steps."""
    real_noise: Annotated[float, _float_in(0.0, 1.0)] = 0.005
    """Std of noise added to real images, so E cannot key on their exact grey levels."""
    buffer_size: Annotated[int, _int_in(1, 200_000)] = 8192
    """Replay buffer of past chain ends that new chains continue from (8192 x 28 x 28
    floats is 26 MB, saved in every checkpoint so resume is exact)."""
    fresh_share: UnitFloat = 0.05
    """Share of each batch's chains restarted from uniform noise: without fresh starts the
    buffer collapses onto what E already models; with too many, chains never mix."""
    alpha: Annotated[float, _float_in(0.0, 1e3)] = 0.1
    """Weight of alpha * (E_real^2 + E_fake^2): CD only sees energy differences, so without
    it energies drift to large magnitudes and the sampler's gradients with them."""


class VaeConfig(_Section):
    """vae only: the evidence lower bound's terms."""

    beta: Annotated[float, _float_in(0.0, 100.0)] = 1.0
    """Weight of the KL term (1 = the ELBO; above 1 trades sharpness for a smoother latent)."""
    recon: Annotated[str, _choice("bce", "mse")] = "bce"
    """Reconstruction likelihood: bce (Bernoulli on pixels mapped to [0, 1], the classic
    MNIST VAE) or mse (Gaussian, summed over pixels)."""


class LogConfig(_Section):
    """How often the run reports, samples and saves."""

    log_every: Annotated[int, _int_in(1, MAX_STEPS)] = 50
    """Steps between metric records (the only host syncs of the loop)."""
    sample_every: Every = 500
    """Steps between sample grids and class counts; 0 = only at the end."""
    checkpoint_every: Every = 1000
    """Steps between checkpoints; 0 = only at the end."""
    keep_checkpoints: Annotated[int, _int_in(1, 1000)] = 3
    """How many ckpt-NNNNNNN.pt files to keep (last.pt is always kept)."""
    n_samples: Annotated[int, _int_in(1, 1024)] = 64
    """Images in the fixed-noise grid."""
    count_samples: Annotated[int, _int_in(1, 50_000)] = 1000
    """Fresh samples classified for the class counts (1-D: samples in each histogram)."""
    eval_every: Every = 0
    """Steps between evaluations (FID, precision/recall, coverage; 1-D: W1, KS); 0 = off."""
    # at least 10: the k-NN metrics need more samples than neighbours
    eval_n: Annotated[int, _int_in(10, 100_000)] = 2000
    """Generated samples per periodic evaluation (`tui-gan eval` defaults to 5,000)."""
    tensorboard: Annotated[str, _string(4096)] = ""
    """A folder for TensorBoard event files (scalars and sample grids) beside the run's own
    record; '' = none. Needs the optional extra: pip install 'tui-gan[tensorboard]'."""


class Preset(_Section):
    """One experiment: everything a run needs, resolved."""

    name: Name = "custom"
    description: Str = ""
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    loss: LossConfig = LossConfig()
    optim: OptimPair = OptimPair()
    train: TrainConfig = TrainConfig()
    log: LogConfig = LogConfig()
    ebm: EbmConfig = EbmConfig()
    vae: VaeConfig = VaeConfig()

    @model_validator(mode="after")
    def _consistent(self) -> Preset:
        toy_data, toy_model = self.data.name == "toy1d", self.model.family == "toy1d"
        if toy_data != toy_model:
            raise PydanticCustomError(
                "expected",
                "model.family 'toy1d' exactly when data.name is 'toy1d'",
            )
        if toy_data and self.train.augment:
            raise PydanticCustomError(
                "expected", "train.augment = [] for 1-D data (it is for images)"
            )
        if self.model.family == "faces-dcgan" and self.data.image_size != 24:
            raise PydanticCustomError("expected", "data.image_size = 24 for faces-dcgan")
        if self.data.name in ("mnist", "fashion-mnist") and self.data.image_size != 28:
            raise PydanticCustomError("expected", "data.image_size = 28 for MNIST data sets")
        if self.model.family in ("cmlp", "cdcgan") and self.data.name not in CLASS_COUNTS:
            raise PydanticCustomError(
                "expected",
                f"data.name mnist or fashion-mnist for {self.model.family} (it needs labels)",
            )
        k = CLASS_COUNTS.get(self.data.name, 0)
        if self.model.family in ("cmlp", "cdcgan") and self.log.count_samples < k:
            raise PydanticCustomError(
                "expected", f"log.count_samples >= {k} for {self.model.family} (one per class)"
            )
        kind = families.family(self.model.family).kind
        if kind != "gan":
            gan_only = {
                "train.precision": (self.train.precision, "fp32"),
                "train.channels_last": (self.train.channels_last, False),
                "train.compile": (self.train.compile, "off"),
                "train.sync_batchnorm": (self.train.sync_batchnorm, False),
                "train.d_steps": (self.train.d_steps, 1),
                "train.augment": (list(self.train.augment), []),
                "model.ema_decay": (self.model.ema_decay, 0.0),
                "model.spectral_norm": (self.model.spectral_norm, False),
            }
            for key, (value, off) in gan_only.items():
                if value != off:
                    raise PydanticCustomError(
                        "expected", f"{key} = {off!r} for {self.model.family} (a GAN setting)"
                    )
        if kind == "ebm" and self.ebm.buffer_size < self.train.batch_size:
            raise PydanticCustomError(
                "expected",
                f"ebm.buffer_size >= train.batch_size ({self.train.batch_size}): each batch "
                "continues chains from distinct buffer slots",
            )
        if kind == "vae" and self.data.image_size not in (24, 28):
            raise PydanticCustomError(
                "expected",
                "data.image_size 28 (the dcgan decoder) or 24 (faces-dcgan's) for vae",
            )
        if self.model.init_g_from and (kind != "gan" or self.model.family == "toy1d"):
            raise PydanticCustomError(
                "expected", f"model.init_g_from = '' for {self.model.family} (a GAN's G only)"
            )
        if self.model.family in ("dcgan", "cdcgan") and self.data.image_size != 28:
            raise PydanticCustomError("expected", f"data.image_size = 28 for {self.model.family}")
        return self


def _fmt_value(v: Any) -> str:
    text = str(v).lower() if isinstance(v, bool) else _safe_repr(v)
    return text if len(text) <= 60 else text[:57] + "..."  # the line stays one line


def _safe_repr(v: Any) -> str:
    try:
        return repr(v)
    except (RecursionError, ValueError):  # nested past the limit; an int too long to print
        return f"<{type(v).__name__}>"


def close_key(loc: tuple[Any, ...], model: type[BaseModel]) -> str | None:
    """The dotted key that an unknown key `loc` was probably meant to be (`optim.g.lrr` ->
    `optim.g.lr`), among the fields of the table it sits in; None when nothing is close."""
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        sub = field.annotation if field is not None else None
        if not (isinstance(sub, type) and issubclass(sub, BaseModel)):
            return None
        model = sub
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return ".".join([*map(str, loc[:-1]), close[0]]) if close else None


def format_error(source: str, err: ValidationError, model: type[BaseModel] | None = None) -> str:
    """The first validation problem as `source: dotted.field: expected X, got Y`; an unknown
    key of `model` with a field of a close name gets a "did you mean"."""
    e = err.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in e["loc"])
    kind = e["type"]
    if kind == "extra_forbidden":
        line = f"{source}: {loc}: unknown key (got {_fmt_value(e['input'])})"
        meant = close_key(tuple(e["loc"]), model) if model is not None and e["loc"] else None
        return f"{line}; did you mean {meant}?" if meant else line
    if kind == "expected":
        if not loc:  # a rule across fields: its message names them and what they must be
            return f"{source}: expected {e['msg']}"
        return f"{source}: {loc}: expected {e['msg']}, got {_fmt_value(e['input'])}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{source}: {loc}: expected a table, got {_fmt_value(e['input'])}"
    if kind == "bool_type" or kind == "bool_parsing":
        return f"{source}: {loc}: expected true or false, got {_fmt_value(e['input'])}"
    return f"{source}: {loc}: {e['msg']}, got {_fmt_value(e['input'])}"


MAX_DEPTH = 6  # a preset is table.table.field = [list]: 4 levels; more is junk


def _depth(v: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of dicts and lists, counted only up to limit + 1 (no deep recursion)."""
    if limit < 0 or not isinstance(v, dict | list | tuple):
        return 0
    children = v.values() if isinstance(v, dict) else v
    return 1 + max((_depth(c, limit - 1) for c in children), default=0)


def check_depth(raw: Any, source: str) -> None:
    if _depth(raw) > MAX_DEPTH:
        raise PresetError(f"{source}: nested more than {MAX_DEPTH} levels deep; not a preset")


def validate(raw: dict[str, Any], source: str, overrides: Iterable[str] = ()) -> Preset:
    """Validate a raw TOML table into a Preset, or raise PresetError with one line. A field
    that an override set is blamed on the command line, not on the file it overrode."""
    check_depth(raw, source)
    try:
        return Preset.model_validate(raw)
    except ValidationError as err:
        loc = ".".join(str(p) for p in err.errors(include_url=False)[0]["loc"])
        set_keys = {text.partition("=")[0].strip() for text in overrides}
        # The override's own key, a field inside the table it set, or (a table name's typo)
        # the table that only the override made.
        blamed = (loc == k or loc.startswith(k + ".") or k.startswith(loc + ".") for k in set_keys)
        if loc and any(blamed):
            source = "command line"
        raise PresetError(format_error(source, err, Preset)) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """`a.b.c=VALUE` -> (['a','b','c'], value); VALUE is read as TOML, else as a string."""
    if "=" not in text:
        raise PresetError(f"--set {text}: expected KEY=VALUE, e.g. optim.g.lr=1e-4")
    key, _, value = text.partition("=")
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise PresetError(f"--set {text}: expected a dotted key such as train.steps")
    try:
        doc = tomllib.loads(f"v = {value.strip()}")
        if set(doc) != {"v"}:  # "3\nfoo = 1" smuggles a second key past the first
            raise PresetError(f"--set {key}: expected one value, got more than one line of TOML")
        parsed = doc["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()  # bare words (e.g. lsgan) are strings
    except RecursionError:
        raise PresetError(f"--set {key}: the value is nested too deeply") from None
    if _depth(parsed) > MAX_DEPTH:
        raise PresetError(f"--set {key}: the value is nested too deeply")
    return key.split("."), parsed


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Return a copy of raw with each `a.b=VALUE` applied (validation happens later)."""
    if not isinstance(raw, dict):
        raise PresetError("the preset is not a table")
    check_depth(raw, "the preset")
    out = _deepcopy(raw)
    for text in overrides:
        path, value = parse_override(text)
        node = out
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {} if child is None else child
                node[part] = child
            if not isinstance(child, dict):
                raise PresetError(f"--set {text}: {part} is not a table")
            node = child
        node[path[-1]] = value
    return out


def _deepcopy(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _deepcopy(v) if isinstance(v, dict) else v for k, v in d.items()}


MAX_PRESET_BYTES = 1 << 20


def load_toml_bytes(data: bytes, path: Path | str) -> dict[str, Any]:
    """TOML from bytes, every failure one PresetError line naming the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PresetError(
            f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); "
            "a preset is a UTF-8 TOML file"
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PresetError(f"{path}: not valid TOML: {err}") from None
    except RecursionError:
        raise PresetError(f"{path}: nested too deeply; not a preset") from None
    check_depth(raw, str(path))
    return raw


def read_toml(path: Path) -> dict[str, Any]:
    """A preset file's table; an empty file is an error, not the default preset in disguise."""
    from tui_gan.engine.safeio import read_bytes

    if not Path(path).exists():
        raise PresetError(f"{path}: no such preset file")
    data = read_bytes(Path(path), MAX_PRESET_BYTES)
    if data is None:
        raise PresetError(
            f"{path}: not a readable preset (not a regular file, unreadable, "
            f"or larger than {MAX_PRESET_BYTES >> 10} KiB)"
        )
    raw = load_toml_bytes(data, path)
    if not raw:
        raise PresetError(
            f"{path}: the preset is empty; start from a shipped one: tui-gan presets mnist-mlp"
        )
    return raw


def to_toml(preset: Preset) -> str:
    """The resolved preset as TOML (every field, defaults included)."""
    data = preset.model_dump(mode="json")
    lines = [f"name = {_toml_value(data.pop('name'))}"]
    lines.append(f"description = {_toml_value(data.pop('description'))}")
    _emit_tables(data, [], lines)
    return "\n".join(lines) + "\n"


def _emit_tables(data: dict[str, Any], prefix: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    if prefix and scalars:
        lines.append("")
        lines.append(f"[{'.'.join(prefix)}]")
    for k, v in scalars.items():
        lines.append(f"{k} = {_toml_value(v)}")
    for k, v in tables.items():
        _emit_tables(v, [*prefix, k], lines)


def _toml_char(c: str) -> str:
    if c in '"\\':
        return "\\" + c
    return f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):  # a TOML basic string: control characters as \uXXXX escapes
        return '"' + "".join(_toml_char(c) for c in v) + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)
