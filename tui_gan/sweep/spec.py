"""A sweep's spec: a preset, axes of values (each may set several fields), and its runs."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_gan.config import NAME_RE, _toml_value, read_toml
from tui_gan.errors import PresetError

MAX_RUNS = 1000  # a typo in a value list should not queue a month of training
# Columns of sweep.csv besides the axes: an axis may not take one of these names.
RESERVED = {"run", "state", "steps", "wall_s", "eval_step", "fid", "precision", "recall"}
RESERVED |= {"coverage", "class_entropy", "classes_covered", "w1", "ks", "cond_accuracy"}
SPEC_KEYS = {"name", "description", "preset", "steps", "set", "axis"}
AXIS_KEYS = {"name", "values", "set"}


@dataclass(frozen=True)
class Axis:
    """One swept quantity: its values, and the --set templates each value fills ({v})."""

    name: str
    values: tuple[Any, ...]
    sets: tuple[str, ...]

    def overrides(self, value: Any) -> list[str]:
        text = _toml_value(value)
        return [t.replace("{v}", text) for t in self.sets]


@dataclass(frozen=True)
class Run:
    """One combination: its folder name, the axis values and the overrides that make it."""

    name: str
    values: dict[str, Any]
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class SweepSpec:
    name: str
    preset: str | None
    axes: tuple[Axis, ...]
    steps: int | None = None
    fixed: tuple[str, ...] = ()  # --set for every run
    description: str = ""
    source: str = "command line"
    runs: tuple[Run, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        count = math.prod(len(a.values) for a in self.axes)
        if count > MAX_RUNS:  # before the product: 10^4 x 10^4 values must not hang
            raise PresetError(f"{self.source}: {count:,} runs; at most {MAX_RUNS} in a sweep")
        runs = []
        for combo in itertools.product(*(a.values for a in self.axes)):
            values = {a.name: v for a, v in zip(self.axes, combo, strict=True)}
            sets = [s for a, v in zip(self.axes, combo, strict=True) for s in a.overrides(v)]
            runs.append(Run(run_name(values), values, (*self.fixed, *sets)))
        names = [r.name for r in runs]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise PresetError(f"{self.source}: two runs would share the folder {dup}")
        object.__setattr__(self, "runs", tuple(runs))

    def to_json(self) -> dict[str, Any]:
        """What sweep.json keeps: enough to list the sweep and to know it again on a re-run."""
        return {
            "name": self.name,
            "preset": self.preset,
            "steps": self.steps,
            "set": list(self.fixed),
            "axes": [{"name": a.name, "values": list(a.values)} for a in self.axes],
            "runs": [
                {"name": r.name, "values": r.values, "set": list(r.overrides)} for r in self.runs
            ],
        }


def _slug(value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if text.startswith("-"):  # -0.2 and 0.2 need two folders
        text = "neg" + text[1:]
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-") or "x"


def run_name(values: dict[str, Any]) -> str:
    """`latent-9_hidden-16`: readable in `tui-gan runs`, and a valid run folder name."""
    name = "_".join(f"{_slug(k)}-{_slug(v)}" for k, v in values.items())
    return name[:64] if NAME_RE.fullmatch(name[:64]) else "run-" + name[:60]


def _fail(source: str, where: str, what: str, got: Any) -> PresetError:
    from tui_gan.config import _fmt_value

    return PresetError(f"{source}: {where}: expected {what}, got {_fmt_value(got)}")


def _scalar(v: Any) -> bool:
    return isinstance(v, bool | int | str) or (isinstance(v, float) and math.isfinite(v))


def parse_axis(raw: Any, source: str, where: str) -> Axis:
    if not isinstance(raw, dict):
        raise _fail(source, where, "a table with name, values and set", raw)
    extra = set(raw) - AXIS_KEYS
    if extra:
        raise PresetError(f"{source}: {where}.{sorted(extra)[0]}: unknown key")
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.+-]{1,32}", name):
        raise _fail(source, f"{where}.name", "1-32 letters, digits, '_', '.', '+' or '-'", name)
    if name in RESERVED:
        raise _fail(source, f"{where}.name", "a name that is not a sweep.csv column", name)
    values = raw.get("values")
    if (
        not isinstance(values, list)
        or not values
        or not all(map(_scalar, values))
        or len({repr(v) for v in values}) != len(values)
    ):
        raise _fail(source, f"{where}.values", "a list of distinct numbers or strings", values)
    sets = raw.get("set")
    if isinstance(sets, str):
        sets = [sets]
    if (
        not isinstance(sets, list)
        or not sets
        or not all(isinstance(s, str) and "=" in s and "{v}" in s for s in sets)
    ):
        raise _fail(
            source,
            f"{where}.set",
            'FIELD=TEMPLATE strings using {v}, e.g. "model.latent_dim={v}"',
            sets,
        )
    return Axis(name, tuple(values), tuple(sets))


def load_spec(path: Path) -> SweepSpec:
    """A sweep TOML file, every problem one line naming the file and the key."""
    raw = read_toml(Path(path))
    source = str(path)
    extra = set(raw) - SPEC_KEYS
    if extra:
        raise PresetError(f"{source}: {sorted(extra)[0]}: unknown key")
    axes = raw.get("axis")
    if not isinstance(axes, list) or not axes:
        raise _fail(source, "axis", "one or more [[axis]] tables", axes)
    parsed = tuple(parse_axis(a, source, f"axis[{i}]") for i, a in enumerate(axes))
    if len({a.name for a in parsed}) != len(parsed):
        raise PresetError(f"{source}: axis: two axes share a name")
    name = raw.get("name", Path(path).stem)
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise _fail(source, "name", "1-64 letters, digits, '.', '_', '+' or '-'", name)
    preset = raw.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise _fail(source, "preset", "a shipped preset name or a TOML path", preset)
    if preset and (preset.endswith(".toml") or "/" in preset):
        preset = str((Path(path).parent / preset).resolve())  # a path: from the spec's folder
    steps = raw.get("steps")
    if steps is not None and (not isinstance(steps, int) or isinstance(steps, bool) or steps < 1):
        raise _fail(source, "steps", "a positive integer", steps)
    fixed = raw.get("set", [])
    if not isinstance(fixed, list) or not all(isinstance(s, str) and "=" in s for s in fixed):
        raise _fail(source, "set", 'a list of "FIELD=VALUE" strings', fixed)
    desc = raw.get("description", "")
    if not isinstance(desc, str):
        raise _fail(source, "description", "a string", desc)
    return _checked(SweepSpec(name, preset, parsed, steps, tuple(fixed), desc, source))


def grid_spec(
    preset: str | None, grids: list[str], name: str | None, fixed: tuple[str, ...] = ()
) -> SweepSpec:
    """--grid KEY=V1,V2,... axes (values read as TOML scalars, else as strings)."""
    from tui_gan.config import parse_override

    axes = []
    for text in grids:
        key, eq, rest = text.partition("=")
        key = key.strip()
        if not eq or not key or not rest.strip():
            raise PresetError(f"--grid {text}: expected KEY=V1,V2,..., e.g. model.latent_dim=16,64")
        values = [parse_override(f"{key}={v}")[1] for v in rest.split(",")]
        if not all(map(_scalar, values)) or len({repr(v) for v in values}) != len(values):
            raise PresetError(f"--grid {text}: expected distinct numbers or words between commas")
        short = key.split(".")[-1]
        axes.append(Axis(key if short in RESERVED else short, tuple(values), (f"{key}={{v}}",)))
    if len({a.name for a in axes}) != len(axes):
        raise PresetError("--grid: two axes end in the same field name")
    sweep_name = name or f"{Path(preset).stem if preset else 'mnist-mlp'}-sweep"
    return _checked(SweepSpec(sweep_name, preset, tuple(axes), None, fixed))


def _checked(spec: SweepSpec) -> SweepSpec:
    if len(spec.runs) > MAX_RUNS:
        raise PresetError(f"{spec.source}: {len(spec.runs)} runs; at most {MAX_RUNS} in a sweep")
    return spec


def resolve_runs(spec: SweepSpec, steps: int | None) -> None:
    """Validate every run's preset before any starts: a bad cell is one line, naming it."""
    from tui_gan.presets import load_preset

    for run in spec.runs:
        extra = (f"train.steps={steps}",) if steps else ()
        try:
            load_preset(spec.preset, (*run.overrides, *extra))
        except PresetError as err:
            raise PresetError(f"sweep run {run.name}: {err}") from None
