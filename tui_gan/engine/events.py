"""The run's schema: each event the loop yields is also one metrics.jsonl record.

These dataclasses are the only definition of the record layout. The trainer yields them,
the recorder writes `to_record()`, and every reader (the dashboard, `runs`, `compare`, a
resume's truncation) gets them back through `parse_line`, which checks each field against its
annotation: a junk, torn, foreign or mistyped line is skipped, never half-used.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin, get_type_hints

from tui_gan.families import REGISTRY as _FAMILY_REGISTRY
from tui_gan.families import Family
from tui_gan.rundir.read import is_count, is_elapsed, is_number, is_step, open_regular
from tui_gan.rundir.state import EndState

MAX_LIST = 100_000  # histograms, curves and class counts are far shorter than this
MAX_TEXT = 10_000
MAX_VALUES = 16  # a family logs four values (and may add a few)

Check = Callable[[Any], bool]
# One family per set of values (the first: every GAN record reads as mlp's, a plain GAN).
_FAMILIES = tuple({frozenset(f.metrics): f for f in reversed(_FAMILY_REGISTRY.values())}.values())[
    ::-1
]


def _run_file(v: Any) -> bool:
    """A path inside the run directory, as the trainer writes it: relative, no '..'."""
    if not isinstance(v, str) or not v or len(v) > MAX_TEXT or "\x00" in v:
        return False
    p = PurePosixPath(v)
    return not p.is_absolute() and ".." not in p.parts


def _positive(v: Any) -> bool:
    return is_count(v) and v > 0


RunFile = Annotated[str, _run_file]
Positive = Annotated[int, _positive]
Step = Annotated[int, is_step]  # safeio.MAX_STEP: the bound checkpoints and presets share
Seconds = Annotated[float, is_elapsed]  # time since the run began (safeio.MAX_ELAPSED)
Generator = Literal["ema", "live"]  # G's moving average (model.ema_decay) or G itself
_BASIC: dict[Any, Check] = {
    int: is_count,
    float: is_number,
    bool: lambda v: isinstance(v, bool),
    str: lambda v: isinstance(v, str) and len(v) <= MAX_TEXT,
}


def _check_for(tp: Any) -> Check:
    """The check a record value must pass for a field of this type."""
    origin = get_origin(tp)
    if origin is Annotated:
        return next(m for m in tp.__metadata__ if callable(m))
    if origin in (Union, types.UnionType):  # `X | None`: None is never written
        (inner,) = [a for a in get_args(tp) if a is not type(None)]
        return _check_for(inner)
    if origin is Literal:
        allowed = get_args(tp)
        return lambda v: isinstance(v, str) and v in allowed
    if origin is list:
        item = _check_for(get_args(tp)[0])
        return lambda v: isinstance(v, list) and 0 < len(v) <= MAX_LIST and all(map(item, v))
    if origin is dict:  # a family's own values: a few named numbers
        key, value = (_check_for(a) for a in get_args(tp))
        return lambda v: (
            isinstance(v, dict)
            and 0 < len(v) <= MAX_VALUES
            and all(key(k) and value(x) for k, x in v.items())
        )
    return _BASIC[tp]


REGISTRY: dict[str, type[Event]] = {}


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened in a run, at a step."""

    TYPE: ClassVar[str] = ""
    step: Step

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.TYPE:
            assert cls.TYPE not in REGISTRY, f"two events are called {cls.TYPE!r}"
            REGISTRY[cls.TYPE] = cls

    @classmethod
    def fields_spec(cls) -> dict[str, tuple[Check, bool]]:
        """Recorded field -> (check, required); a field with a default may be absent."""
        # A class is hashable: eq=True takes the hash from its instances, not from it.
        return _spec(cls)  # type: ignore[arg-type]

    def to_record(self) -> dict[str, Any]:
        """The record; a value its own readers would reject (NaN, a huge string) is a bug in
        the writer, so it raises here instead of vanishing from the run's history."""
        rec: dict[str, Any] = {"type": self.TYPE}
        for name, (check, _) in self.fields_spec().items():
            value = getattr(self, name)
            if value is None:
                continue
            if not check(value):
                raise ValueError(f"{self.TYPE} record: {name}={value!r:.80} would not read back")
            rec[name] = value
        return rec

    @classmethod
    def from_record(cls, obj: dict[str, Any]) -> Event | None:
        """The event a record holds, or None when a field is missing, mistyped or
        inconsistent. Fields the type does not name are ignored: a newer tui-gan may add some."""
        kwargs = {}
        for name, (check, required) in cls.fields_spec().items():
            if name in obj:
                if not check(obj[name]):
                    return None
                kwargs[name] = obj[name]
            elif required:
                return None
        event = cls(**kwargs)
        return event if event.consistent() else None

    def consistent(self) -> bool:
        """Cross-field rules the readers rely on."""
        return True


@cache
def _spec(cls: type[Event]) -> dict[str, tuple[Check, bool]]:
    """A field left out of equality (`compare=False`) is the stream's alone: not recorded."""
    hints = get_type_hints(cls, include_extras=True)
    return {
        f.name: (_check_for(hints[f.name]), f.default is f.default_factory)  # both MISSING
        for f in fields(cls)
        if f.compare
    }


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    """The loop begins, at step 0 or at the checkpoint it resumes from."""

    TYPE = "start"
    total_steps: Step
    device: str = "?"
    time: Seconds | None = None
    preset: str | None = None
    dataset: str | None = None
    steps_per_epoch: int | None = None
    batch_size: int | None = None
    num_classes: int | None = None
    resumed: bool = False
    gpu: str | None = None  # the physical GPU's UUID (GPU-...), which NVML finds by name
    run_dir: Path | None = field(default=None, compare=False)  # absolute: the stream's only


@dataclass(frozen=True, kw_only=True)
class Notice(Event):
    """Something the user should read (a data fallback, a one-off classifier training)."""

    TYPE = "notice"
    message: str
    level: Literal["info", "warning"] = "info"


@dataclass(frozen=True, kw_only=True)
class StepMetrics(Event):
    """Means over the last `log.log_every` steps of one family's values (tui_gan/families).
    A GAN's losses and D outputs (as its loss reports them), an EBM's CD and regularisation
    losses and energies, a VAE's reconstruction and KL terms and latent use."""

    TYPE = "step"
    epoch: float
    time: Seconds
    # GANs
    loss_d: float | None = None
    loss_g: float | None = None
    d_real: float | None = None
    d_fake: float | None = None
    g_d_ratio: float | None = None  # loss_g / loss_d when both are positive: D's lead
    # ebm
    loss_cd: float | None = None
    loss_reg: float | None = None
    e_real: float | None = None
    e_fake: float | None = None
    # vae
    loss_rec: float | None = None
    loss_kl: float | None = None
    active: float | None = None  # latent units whose posterior mean varies over the batch
    post_std: float | None = None  # the mean posterior standard deviation
    img_per_s: float | None = None
    # A family registered from outside (tui_gan/families): its values, by its own names.
    values: dict[ValueName, float] | None = None

    @classmethod
    def of(cls, values: Mapping[str, float], **fields: Any) -> StepMetrics:
        """The record of a family's `values` (its metric names): each in its field when the
        schema has one, the others in `values`."""
        own: dict[str, Any] = {k: v for k, v in values.items() if k in _VALUE_FIELDS}
        other = {k: v for k, v in values.items() if k not in _VALUE_FIELDS}
        return cls(**fields, **own, values=other or None)

    def consistent(self) -> bool:
        """All of one family's values (a GAN's four for older runs), none of them twice."""
        if self.values and any(k in _VALUE_FIELDS for k in self.values):
            return False
        return any(all(self.value(k) is not None for k in f.metrics) for f in _FAMILIES)

    def value(self, key: str) -> float | None:
        """One logged value by its name (a field, or a key of `values`); None when absent."""
        if key in _VALUE_FIELDS:
            return getattr(self, key)
        return self.values.get(key) if self.values else None

    def items(self) -> Iterator[tuple[str, float]]:
        """Every value this record holds, by name: its family's, the G/D ratio, img/s."""
        for key in _VALUE_FIELDS:
            value = getattr(self, key)
            if value is not None:
                yield key, value
        if self.values:
            yield from self.values.items()

    def family(self) -> Family:
        """The (first) family whose values this record holds."""
        return next(f for f in _FAMILIES if all(self.value(k) is not None for k in f.metrics))


def _value_name(v: Any) -> bool:
    return isinstance(v, str) and v.isidentifier() and len(v) <= 40


ValueName = Annotated[str, _value_name]
# The StepMetrics fields that hold logged values (not where or when the record was taken).
_VALUE_FIELDS = tuple(
    f.name for f in fields(StepMetrics) if f.name not in ("step", "epoch", "time", "values")
)


@dataclass(frozen=True, kw_only=True)
class Samples(Event):
    """The fixed-noise grid (quality over time) and fresh samples (diversity), as PNG grids."""

    TYPE = "samples"
    epoch: float
    time: Seconds
    path: RunFile
    nrow: Positive = 8
    fresh: RunFile = "samples/fresh.png"
    fresh_nrow: Positive = 8  # format 1 wrote fresh.png 8 tiles wide whatever its count
    recon: RunFile | None = None  # VAE runs: real images each beside its reconstruction
    recon_nrow: Positive | None = None
    class_counts: list[int] | None = None
    class_entropy: float | None = None
    classes_covered: int | None = None
    n: int | None = None
    generator: Generator = "live"  # which G drew them; runs before EMA had only the live one
    # Conditional runs: for each class, the share of its n/k samples the classifier puts in it.
    cond_accuracy: list[float] | None = None

    def consistent(self) -> bool:
        counted = (self.class_counts, self.class_entropy, self.classes_covered)
        return all(v is None for v in counted) or all(v is not None for v in counted)


@dataclass(frozen=True, kw_only=True)
class Toy1DSnapshot(Event):
    """Histograms of real and generated scalars, and D(x) on a grid over the same axis."""

    TYPE = "toy1d"
    epoch: float
    time: Seconds
    bin_edges: list[float]
    real_hist: list[float]
    fake_hist: list[float]
    x_grid: list[float]
    d_curve: list[float]
    n: int | None = None
    generator: Generator = "live"  # which G drew fake_hist (D is always the live one)

    def consistent(self) -> bool:
        bins = len(self.bin_edges) - 1
        return (
            bins >= 1
            and len(self.real_hist) == bins == len(self.fake_hist)
            and len(self.x_grid) == len(self.d_curve)
        )


@dataclass(frozen=True, kw_only=True)
class Evaluated(Event):
    """A periodic evaluation: the keys of `tui-gan eval --json` (1-D runs: w1 and ks)."""

    TYPE = "eval"
    epoch: float | None = None
    time: Seconds | None = None
    fid: float | None = None
    fid_features: str | None = None
    precision: float | None = None
    recall: float | None = None
    density: float | None = None
    coverage: float | None = None
    class_counts: list[int] | None = None
    class_entropy: float | None = None
    classes_covered: int | None = None
    class_kl: float | None = None
    w1: float | None = None
    ks: float | None = None
    n: int | None = None
    n_real: int | None = None
    n_prdc: int | None = None
    generator: Generator = "live"
    cond_accuracy: float | None = None  # conditional runs: the mean over classes
    sample_s: float | None = None  # seconds spent drawing the samples (Langevin, for an EBM)
    cond_accuracy_per_class: list[float] | None = None

    def consistent(self) -> bool:
        return self.fid is not None or self.w1 is not None

    @property
    def score(self) -> float:
        """The headline number: FID, or W1 for a 1-D run; lower is better."""
        return self.fid if self.fid is not None else self.w1  # type: ignore[return-value]


@dataclass(frozen=True, kw_only=True)
class CheckpointSaved(Event):
    """A checkpoint was written (and last.pt now points at it)."""

    TYPE = "checkpoint"
    path: RunFile
    time: Seconds | None = None
    # Image runs: a latent interpolation strip drawn by these weights (rows of interp_steps).
    interp: RunFile | None = None
    interp_steps: Positive | None = None


@dataclass(frozen=True, kw_only=True)
class Paused(Event):
    """The loop holds at this step until resumed or stopped."""

    TYPE = "paused"
    time: Seconds | None = None


@dataclass(frozen=True, kw_only=True)
class Resumed(Event):
    """The loop goes on after a pause."""

    TYPE = "resumed"
    time: Seconds | None = None


@dataclass(frozen=True, kw_only=True)
class Finished(Event):
    """The loop ended: finished, stopped (asked to) or interrupted (Ctrl-C)."""

    TYPE = "finished"
    state: EndState
    time: Seconds | None = None
    img_per_s: float | None = None  # over this process's share of the run
    checkpoint: RunFile | None = None


@dataclass(frozen=True, kw_only=True)
class Failed(Event):
    """The run ended on an error; `error` is the one line the user reads."""

    TYPE = "failed"
    error: str
    details: tuple[str, ...] = field(default=(), compare=False)  # a bug's traceback
    exit_code: int = field(default=1, compare=False)  # 2 when the cause is the user's input


# --- reading ----------------------------------------------------------------------------------


def parse_record(obj: Any) -> Event | None:
    """The event a decoded record holds, or None (not a record, or one of no known type)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        return None
    cls = REGISTRY.get(obj["type"])
    return cls.from_record(obj) if cls is not None else None


def parse_line(line: bytes | str) -> Event | None:
    """One metrics.jsonl line as a checked event, or None."""
    try:
        return parse_record(json.loads(line))
    except (ValueError, RecursionError):  # bad JSON or UTF-8, or nested thousands deep
        return None


def to_line(event: Event) -> str:
    return json.dumps(event.to_record()) + "\n"


def iter_events(path: Path) -> Iterator[Event]:
    """Every usable record of a metrics.jsonl, in order; bad lines are skipped."""
    fh = open_regular(path, follow=False)  # a run's own file: never through a link
    if fh is None:
        return
    with fh:
        for line in fh:
            event = parse_line(line)
            if event is not None:
                yield event


def schema_markdown() -> str:
    """The record types and their fields, for the README (a test keeps the two equal)."""
    lines = []
    for cls in REGISTRY.values():
        names = [
            f"`{name}`" if required else f"`{name}`?"
            for name, (_, required) in cls.fields_spec().items()
        ]
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        lines.append(f"- `{cls.TYPE}`: {doc} Fields: {', '.join(names)}.")
    return "\n".join(lines)


if __name__ == "__main__":
    print(schema_markdown())  # the README's record list: paste it between the markers
