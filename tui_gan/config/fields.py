"""Field types of the preset: bounded numbers, sizes, names and choices, each with its check."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, get_args

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from tui_gan.config.choices import AUGMENTATIONS, Augmentation
from tui_gan.errors import PresetError
from tui_gan.rundir.read import MAX_STEP

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


def float_in(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> BeforeValidator:
    """A finite float in [lo, hi] (or open at either end)."""
    what = f"a number in {'(' if lo_open else '['}{_g(lo)}, {_g(hi)}{')' if hi_open else ']'}"

    def check(v: Any) -> float:
        x = _number(v, what)
        if x < lo or x > hi or (lo_open and x == lo) or (hi_open and x == hi):
            raise PydanticCustomError("expected", what)
        return x

    return BeforeValidator(check)


def int_in(lo: int, hi: int) -> BeforeValidator:
    """An integer in [lo, hi]."""
    what = f"an integer in [{_g(lo)}, {_g(hi)}]"

    def check(v: Any) -> int:
        x = _integer(v, what)
        if not lo <= x <= hi:
            raise PydanticCustomError("expected", what)
        return x

    return BeforeValidator(check)


def choice(*options: str) -> BeforeValidator:
    """One of `options`, exactly (no case folding, no coercion)."""

    def check(v: Any) -> str:
        if not isinstance(v, str) or v not in options:
            raise PydanticCustomError("expected", "one of " + ", ".join(options))
        return v

    return BeforeValidator(check)


def choice_of(alias: Any) -> BeforeValidator:
    """One of a `Literal` alias's values, in its order: the alias is the list's one definition."""
    return choice(*get_args(alias))


def string(max_len: int) -> BeforeValidator:
    """A string of at most `max_len` characters, valid UTF-8, without NUL."""
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


def _betas(v: Any) -> tuple[float, float]:
    what = "two numbers in [0, 1), e.g. [0.5, 0.999]"
    if not isinstance(v, list | tuple) or len(v) != 2:
        raise PydanticCustomError("expected", what)
    b1, b2 = (_number(b, what) for b in v)
    if not (0 <= b1 < 1 and 0 <= b2 < 1):
        raise PydanticCustomError("expected", what)
    return b1, b2


def _sizes(v: Any) -> tuple[int, ...]:
    what = f"a list of 1 to {MAX_LAYERS} integers in [1, {_g(MAX_WIDTH)}]"
    if not isinstance(v, list | tuple) or not 1 <= len(v) <= MAX_LAYERS:
        raise PydanticCustomError("expected", what)
    if not all(isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= MAX_WIDTH for x in v):
        raise PydanticCustomError("expected", what)
    return tuple(v)


def _policy(v: Any) -> tuple[Augmentation, ...]:
    what = "a list of distinct names from " + ", ".join(AUGMENTATIONS)
    if not isinstance(v, list | tuple) or len(set(map(repr, v))) != len(v):
        raise PydanticCustomError("expected", what)
    if not all(isinstance(x, str) and x in AUGMENTATIONS for x in v):
        raise PydanticCustomError("expected", what)
    return tuple(v)


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


Lr = Annotated[float, float_in(1e-9, 10.0)]
Eps = Annotated[float, float_in(1e-20, 1.0)]
Decay = Annotated[float, float_in(0.0, 10.0)]
UnitFloat = Annotated[float, float_in(0.0, 1.0, hi_open=True)]
Width = Annotated[int, int_in(1, MAX_WIDTH)]
Steps = Annotated[int, int_in(0, MAX_STEPS)]
Every = Annotated[int, int_in(0, MAX_STEPS)]
Betas = Annotated[tuple[float, float], BeforeValidator(_betas)]
Sizes = Annotated[tuple[int, ...], BeforeValidator(_sizes)]
Str = Annotated[str, string(1000)]
Name = Annotated[str, BeforeValidator(_name)]
Augment = Annotated[tuple[Augmentation, ...], BeforeValidator(_policy)]
