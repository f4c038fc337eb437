"""Preset schema: frozen, documented types loaded from TOML, with one-line errors."""

from __future__ import annotations

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

from tui_gan.errors import PresetError

# --- value checks -----------------------------------------------------------
# Custom checks instead of pydantic's stock constraints so every error reads
# "expected <what>, got <value>" whatever went wrong (wrong type or out of range).


def _number(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise PydanticCustomError("expected", what)
    return float(v)


def _integer(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise PydanticCustomError("expected", what)
    return v


def _positive_float(v: Any) -> float:
    x = _number(v, "a positive number")
    if not x > 0:
        raise PydanticCustomError("expected", "a positive number")
    return x


def _nonneg_float(v: Any) -> float:
    x = _number(v, "a number >= 0")
    if x < 0:
        raise PydanticCustomError("expected", "a number >= 0")
    return x


def _unit_float(v: Any) -> float:
    x = _number(v, "a number in [0, 1)")
    if not 0 <= x < 1:
        raise PydanticCustomError("expected", "a number in [0, 1)")
    return x


def _positive_int(v: Any) -> int:
    x = _integer(v, "a positive integer")
    if x <= 0:
        raise PydanticCustomError("expected", "a positive integer")
    return x


def _nonneg_int(v: Any) -> int:
    x = _integer(v, "an integer >= 0")
    if x < 0:
        raise PydanticCustomError("expected", "an integer >= 0")
    return x


def _betas(v: Any) -> tuple[float, float]:
    what = "two numbers in [0, 1), e.g. [0.5, 0.999]"
    if not isinstance(v, list | tuple) or len(v) != 2:
        raise PydanticCustomError("expected", what)
    out = tuple(_number(b, what) for b in v)
    if not all(0 <= b < 1 for b in out):
        raise PydanticCustomError("expected", what)
    return out  # type: ignore[return-value]


def _sizes(v: Any) -> tuple[int, ...]:
    what = "a list of positive integers"
    if not isinstance(v, list | tuple) or not v:
        raise PydanticCustomError("expected", what)
    return tuple(_positive_int(x) for x in v)


def _choice(*options: str):
    def check(v: Any) -> str:
        if v not in options:
            raise PydanticCustomError("expected", "one of " + ", ".join(options))
        return v

    return BeforeValidator(check)


def _string(v: Any) -> str:
    if not isinstance(v, str):
        raise PydanticCustomError("expected", "a string")
    return v


def _eval_n(v: Any) -> int:
    x = _integer(v, "an integer >= 10")
    if x < 10:  # the k-NN metrics need more samples than neighbours
        raise PydanticCustomError("expected", "an integer >= 10")
    return x


PosFloat = Annotated[float, BeforeValidator(_positive_float)]
NonNegFloat = Annotated[float, BeforeValidator(_nonneg_float)]
UnitFloat = Annotated[float, BeforeValidator(_unit_float)]
PosInt = Annotated[int, BeforeValidator(_positive_int)]
NonNegInt = Annotated[int, BeforeValidator(_nonneg_int)]
Betas = Annotated[tuple[float, float], BeforeValidator(_betas)]
Sizes = Annotated[tuple[int, ...], BeforeValidator(_sizes)]
Str = Annotated[str, BeforeValidator(_string)]

DatasetName = Literal["mnist", "fashion-mnist", "faces", "toy1d"]
Family = Literal["mlp", "dcgan", "faces-dcgan", "toy1d"]
LossKind = Literal["bce", "bce-saturating", "lsgan"]
LatentDist = Literal["normal", "uniform"]
Target1D = Literal["sine", "mixture", "gaussian"]
Device = Literal["auto", "cpu", "cuda", "mps"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    """Where the training images (or 1-D samples) come from."""

    name: Annotated[DatasetName, _choice("mnist", "fashion-mnist", "faces", "toy1d")] = "mnist"
    """Data set: mnist, fashion-mnist, faces (a folder of images) or toy1d."""
    root: Str = ""
    """Data root for torchvision data sets or the image folder for faces; '' = cache folder."""
    download: bool = True
    """Let torchvision download the data set when it is missing and the network allows."""
    image_size: PosInt = 28
    """Side of the square images the models see (faces are resized to it)."""
    target: Annotated[Target1D, _choice("sine", "mixture", "gaussian")] = "sine"
    """toy1d only: the real density (sine-shaped on [-pi, pi], a Gaussian mixture, a Gaussian)."""
    size: PosInt = 20000
    """toy1d only: how many real samples make one epoch."""


class ModelConfig(_Section):
    """Generator and discriminator architecture."""

    family: Annotated[Family, _choice("mlp", "dcgan", "faces-dcgan", "toy1d")] = "mlp"
    """mlp, dcgan (28x28 conv), faces-dcgan (Linear to 128x6x6, up to 24x24), toy1d."""
    latent_dim: PosInt = 100
    """Size of z."""
    latent_dist: Annotated[LatentDist, _choice("normal", "uniform")] = "normal"
    """z ~ N(0, 1) or U[0, 1)."""
    g_hidden: Sizes = (256, 512, 1024)
    """Hidden widths of G (mlp, toy1d) or base channel count first (conv families)."""
    d_hidden: Sizes = (512, 256)
    """Hidden widths of D (mlp, toy1d) or base channel count first (conv families)."""
    leak: UnitFloat = 0.2
    """Negative slope of LeakyReLU."""


class LossConfig(_Section):
    """The GAN objective."""

    kind: Annotated[LossKind, _choice("bce", "bce-saturating", "lsgan")] = "bce"
    """bce (non-saturating G loss), bce-saturating (minimax), lsgan (least squares)."""
    label_smoothing: UnitFloat = 0.0
    """One-sided smoothing: D's target for real data is 1 - this."""


class OptimConfig(_Section):
    """Adam settings of one network."""

    lr: PosFloat = 2e-4
    betas: Betas = (0.5, 0.999)
    eps: PosFloat = 1e-8
    weight_decay: NonNegFloat = 0.0


class OptimPair(_Section):
    """Separate optimizer settings for G and D."""

    g: OptimConfig = OptimConfig()
    d: OptimConfig = OptimConfig()


class TrainConfig(_Section):
    """Length, batch and reproducibility of a run."""

    batch_size: PosInt = 64
    steps: NonNegInt = 0
    """Total generator steps of the run; 0 = use epochs."""
    epochs: NonNegInt = 1
    """Passes over the training set, used when steps is 0."""
    seed: NonNegInt = 0
    device: Annotated[Device, _choice("auto", "cpu", "cuda", "mps")] = "auto"
    """auto picks cuda, then mps, then cpu."""
    d_steps: PosInt = 1
    """Discriminator updates per generator update."""


class LogConfig(_Section):
    """How often the run reports, samples and saves."""

    log_every: PosInt = 50
    """Steps between metric records (the only host syncs of the loop)."""
    sample_every: NonNegInt = 500
    """Steps between sample grids and class counts; 0 = only at the end."""
    checkpoint_every: NonNegInt = 1000
    """Steps between checkpoints; 0 = only at the end."""
    keep_checkpoints: PosInt = 3
    """How many ckpt-NNNNNNN.pt files to keep (last.pt is always kept)."""
    n_samples: PosInt = 64
    """Images in the fixed-noise grid."""
    count_samples: PosInt = 1000
    """Fresh samples classified for the class counts (1-D: samples in each histogram)."""
    eval_every: NonNegInt = 0
    """Steps between evaluations (FID, precision/recall, coverage; 1-D: W1, KS); 0 = off."""
    eval_n: Annotated[int, BeforeValidator(_eval_n)] = 2000
    """Generated samples per periodic evaluation (`tui-gan eval` defaults to 5,000)."""


class Preset(_Section):
    """One experiment: everything a run needs, resolved."""

    name: Str = "custom"
    description: Str = ""
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    loss: LossConfig = LossConfig()
    optim: OptimPair = OptimPair()
    train: TrainConfig = TrainConfig()
    log: LogConfig = LogConfig()

    @model_validator(mode="after")
    def _consistent(self) -> Preset:
        toy_data, toy_model = self.data.name == "toy1d", self.model.family == "toy1d"
        if toy_data != toy_model:
            raise PydanticCustomError(
                "expected",
                "model.family 'toy1d' exactly when data.name is 'toy1d'",
            )
        if self.model.family == "faces-dcgan" and self.data.image_size != 24:
            raise PydanticCustomError("expected", "data.image_size = 24 for faces-dcgan")
        if self.data.name in ("mnist", "fashion-mnist") and self.data.image_size != 28:
            raise PydanticCustomError("expected", "data.image_size = 28 for MNIST data sets")
        if self.model.family == "dcgan" and self.data.image_size != 28:
            raise PydanticCustomError("expected", "data.image_size = 28 for dcgan")
        return self


def _fmt_value(v: Any) -> str:
    return repr(v) if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else repr(v)


def format_error(source: str, err: ValidationError) -> str:
    """The first validation problem as `source: dotted.field: expected X, got Y`."""
    e = err.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in e["loc"])
    kind = e["type"]
    if kind == "extra_forbidden":
        return f"{source}: {loc}: unknown key (got {_fmt_value(e['input'])})"
    if kind == "expected":
        where = f"{loc}: " if loc else ""
        return f"{source}: {where}expected {e['msg']}, got {_fmt_value(e['input'])}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{source}: {loc}: expected a table, got {_fmt_value(e['input'])}"
    if kind == "bool_type" or kind == "bool_parsing":
        return f"{source}: {loc}: expected true or false, got {_fmt_value(e['input'])}"
    return f"{source}: {loc}: {e['msg']}, got {_fmt_value(e['input'])}"


def validate(raw: dict[str, Any], source: str) -> Preset:
    """Validate a raw TOML table into a Preset, or raise PresetError with one line."""
    try:
        return Preset.model_validate(raw)
    except ValidationError as err:
        raise PresetError(format_error(source, err)) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """`a.b.c=VALUE` -> (['a','b','c'], value); VALUE is read as TOML, else as a string."""
    if "=" not in text:
        raise PresetError(f"--set {text}: expected KEY=VALUE, e.g. optim.g.lr=1e-4")
    key, _, value = text.partition("=")
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise PresetError(f"--set {text}: expected a dotted key such as train.steps")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()  # bare words (e.g. lsgan) are strings
    return key.split("."), parsed


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Return a copy of raw with each `a.b=VALUE` applied (validation happens later)."""
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


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise PresetError(f"{path}: no such preset file") from None
    except tomllib.TOMLDecodeError as err:
        raise PresetError(f"{path}: not valid TOML: {err}") from None


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


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)
