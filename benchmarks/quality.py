"""Sample quality of the presets at their defaults (FID, precision/recall/density/coverage,
class balance), the default preset's FID over wall-clock time, and an ablation of its
options; prints tables (README: "What the presets reach")."""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from tui_gan.config import Preset
from tui_gan.engine import events as ev
from tui_gan.engine.context import RunSpec
from tui_gan.engine.evaluate import build_context, evaluate
from tui_gan.engine.recorder import Recorder
from tui_gan.engine.trainer import Trainer
from tui_gan.errors import TuiGanError
from tui_gan.families import family
from tui_gan.presets import DEFAULT_PRESET, list_presets, load_preset

MARKS = (30.0, 60.0, 120.0)


@dataclass
class Result:
    label: str
    preset: Preset
    variant: bool = False  # a row beside the presets (n_z), not a preset at its defaults
    steps: int = 0
    wall: float = 0.0  # the whole run as `tui-gan train` spends it, periodic evals included
    img_s: float = 0.0  # median over log windows after the first
    metrics: dict[str, Any] = field(default_factory=dict)
    marks: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)


def _snapshot(gan: Any) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in gan.state_dict().items() if not k.startswith("opt")})


def train(
    label: str,
    preset: Preset,
    root: Path,
    marks=(),
    budget: float | None = None,
    grids: Path | None = None,
) -> Result:
    """One recorded run; G snapshots when training time passes each mark (seconds), scored
    after the run so scoring never counts as training time."""
    spec = RunSpec(preset, root / label, classifier_dir=root / "classifiers", device="cpu")
    trainer = Trainer(spec)
    res, rates, snaps = Result(label, preset), [], []
    end = 0.0  # training time at the last step; trainer.elapsed() would count the scoring
    pending = sorted(marks)
    t0 = time.perf_counter()
    stream = Recorder(spec).record(trainer.run())
    for e in stream:
        if isinstance(e, ev.StepMetrics):
            end = e.time
            if e.img_per_s is not None:
                rates.append(e.img_per_s)
            while pending and e.time >= pending[0]:
                snaps.append((e.time, e.step, _snapshot(trainer.ctx.gan), pending.pop(0)))
            if budget is not None and e.time >= budget:
                res.steps = e.step
                stream.close()  # the budget is spent: end here, as a stop would
                break
        elif isinstance(e, ev.Finished):
            res.steps, end = e.step, e.time
        elif isinstance(e, ev.Failed):  # a data set that is not here (faces, FashionMNIST)
            raise TuiGanError(e.error)
    res.wall = time.perf_counter() - t0
    res.img_s = statistics.median(rates[1:] or rates or [0.0])
    final = _snapshot(trainer.ctx.gan)
    res.metrics = score(preset, final, root)
    res.marks = [(t, s, score(preset, snap, root)) for t, s, snap, _ in snaps]
    if marks and (not snaps or snaps[-1][1] != res.steps):
        res.marks.append((end, res.steps, res.metrics))
    if grids is not None:  # the fixed-noise grid as the dashboard draws it, at each mark
        grids.mkdir(parents=True, exist_ok=True)
        for *_, snap, mark in [*snaps, (0, res.steps, final, None)]:
            name = "final" if mark is None else f"{mark:.0f}s"  # names a rerun overwrites
            write_grid(preset, snap, trainer.ctx.fixed_noise, grids / f"{label}-{name}.png")
    return res


def write_grid(preset: Preset, state: dict[str, Any], noise: torch.Tensor, path: Path) -> None:
    from tui_gan.engine.pictures import write_grid as write_png

    gan = family(preset.model.family).trainable()(preset, 1, torch.device("cpu"), training=False)
    gan.load_state_dict(state)
    write_png(gan.generate(noise.cpu()), path, path.parent)


_CONTEXTS: dict[str, Any] = {}


def score(preset: Preset, state: dict[str, Any], root: Path, n: int = 5000) -> dict[str, Any]:
    """`tui-gan eval` of a snapshot: n = 5,000 generated against the real training set."""
    gan = family(preset.model.family).trainable()(preset, 1, torch.device("cpu"), training=False)
    gan.load_state_dict(state)
    key = f"{preset.data.name}/{preset.data.target}"
    if key not in _CONTEXTS:
        _CONTEXTS[key] = build_context(preset, gan.device, root / "classifiers")
    out = evaluate(gan, _CONTEXTS[key], n=n, seed=12345)
    counts = out.get("class_counts")
    if counts:
        out["min_share"] = min(counts) / sum(counts)
        out["max_share"] = max(counts) / sum(counts)
    return out


def ablations(preset: Preset) -> list[tuple[str, list[str]]]:
    """The preset's new options, each switched off on its own (what each one buys)."""
    out = []
    if preset.model.ema_decay > 0:
        out.append(("no EMA", ["model.ema_decay=0"]))
    if preset.train.augment:
        out.append(("no DiffAugment", ["train.augment=[]"]))
        for name in preset.train.augment:
            rest = [a for a in preset.train.augment if a != name]
            if rest:
                out.append((f"no {name}", [f"train.augment={rest!r}".replace("'", '"')]))
    if preset.model.spectral_norm:
        out.append(("no spectral norm", ["model.spectral_norm=false"]))
    if preset.loss.r1_gamma > 0:
        out.append(("no R1", ["loss.r1_gamma=0"]))
    if preset.loss.kind in ("hinge", "wgan-gp"):
        out.append((f"bce, not {preset.loss.kind}", ["loss.kind=bce"]))
    return out


OFF = (
    "model.ema_decay=0",
    "train.augment=[]",
    "model.spectral_norm=false",
    "loss.r1_gamma=0",
)


def img_per_s(preset: Preset, root: Path) -> float:
    """Median img/s of a short run with nothing but training (no samples, saves, evals)."""
    quiet = preset.model_copy(
        update={
            "log": preset.log.model_copy(
                update={"sample_every": 0, "checkpoint_every": 0, "eval_every": 0}
            )
        }
    )
    spec = RunSpec(quiet, root / "speed", classifier_dir=root / "classifiers", device="cpu")
    rates = [
        e.img_per_s
        for e in Recorder(spec).record(Trainer(spec).run())
        if isinstance(e, ev.StepMetrics) and e.img_per_s is not None
    ]
    return statistics.median(rates[1:] or rates)


def speed_cost(name: str, overrides: tuple[str, ...], steps: int, root: Path) -> None:
    """img/s with the preset's options and with them all off, alternated three times (on,
    off, on, off, ...) so drift on a shared machine hits both alike."""
    sets = (*overrides, f"train.steps={steps}", "log.log_every=25")
    on, off = load_preset(name, sets), load_preset(name, (*sets, *OFF))
    if on == off:
        return
    a, b = [], []
    for _ in range(3):
        a.append(img_per_s(on, root))
        b.append(img_per_s(off, root))
    ra, rb = statistics.median(a), statistics.median(b)
    print(f"| {name} | {ra:,.0f} | {rb:,.0f} | {100 * (ra / rb - 1):+.1f}% |")
    sys.stdout.flush()


def additions(preset: Preset) -> list[tuple[str, list[str]]]:
    """The options the preset leaves off, each switched on on its own (what it would buy)."""
    out = []
    if preset.model.ema_decay == 0:
        out.append(("+ EMA 0.999", ["model.ema_decay=0.999"]))
    if not preset.train.augment:
        out.append(("+ DiffAugment translation", ['train.augment=["translation"]']))
        out.append(("+ DiffAugment cutout", ['train.augment=["cutout"]']))
    if not preset.model.spectral_norm:
        out.append(("+ spectral norm on D", ["model.spectral_norm=true"]))
    if preset.loss.r1_gamma == 0:
        out.append(("+ R1, gamma 1", ["loss.r1_gamma=1"]))
    if preset.loss.kind in ("bce", "lsgan"):
        out.append(("hinge loss + spectral norm", ["loss.kind=hinge", "model.spectral_norm=true"]))
    return out


def _f(v: Any, digits: int = 3) -> str:
    return "" if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _cond(m: dict[str, Any]) -> str:
    """A conditional run's accuracy: the mean and its worst class."""
    per = m.get("cond_accuracy_per_class")
    if not per:
        return ""
    return f"{m['cond_accuracy']:.3f} ({min(per):.3f}, class {per.index(min(per))})"


def print_table(title: str, rows: list[Result]) -> None:
    print(f"\n## {title}\n")
    head = (
        "| run | steps | wall s | img/s | FID | precision | recall | density | coverage "
        "| class entropy | smallest class | largest class | cond. accuracy (worst class) |"
    )
    print(head)
    print("|---" * 13 + "|")
    for r in rows:
        m = r.metrics
        if "w1" in m:
            print(
                f"| {r.label} | {r.steps:,} | {r.wall:.0f} | {r.img_s:,.0f} | W1 {m['w1']:.3f}, "
                f"KS {m['ks']:.3f} | | | | | | | | |"
            )
            continue
        print(
            f"| {r.label} | {r.steps:,} | {r.wall:.0f} | {r.img_s:,.0f} | {m['fid']:.1f} "
            f"| {_f(m['precision'])} | {_f(m['recall'])} | {_f(m['density'])} "
            f"| {_f(m['coverage'])} | {_f(m.get('class_entropy'))} "
            f"| {_f(m.get('min_share'))} | {_f(m.get('max_share'))} | {_cond(m)} |"
        )
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presets", nargs="+", help="default: every shipped preset")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        help="KEY=VALUE for every preset trained (probes)",
    )
    parser.add_argument("--label", default="", help="suffix for the run labels")
    parser.add_argument("--budget", type=float, help="stop each run after this many seconds")
    parser.add_argument(
        "--marks",
        help="seconds at which to score G, for every preset (default: 30,60,120 for "
        "the default preset only)",
    )
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument(
        "--only-speed", action="store_true", help="only the img/s table, for --presets"
    )
    parser.add_argument(
        "--speed-steps", type=int, default=400, help="steps per img/s run (0: no speed table)"
    )
    parser.add_argument(
        "--variants",
        nargs="*",
        default=["mnist-dcgan:model.latent_dim=10", "mnist-dcgan:model.latent_dim=1000"],
        help="PRESET:KEY=VALUE rows",
    )
    parser.add_argument("--keep", type=Path, help="keep the runs here (else a temp folder)")
    parser.add_argument(
        "--grids", type=Path, help="write the default preset's fixed-noise grids here (docs/)"
    )
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; n = 5,000 generated "
        "against the 4,000 real training digits, classifier FID"
    )
    marks = tuple(float(m) for m in (args.marks or "30,60,120").split(",") if m)
    if args.only_speed:
        with tempfile.TemporaryDirectory() as tmp:
            print("| preset | img/s with | img/s without | change |\n|---|---|---|---|")
            for name in args.presets or [p.name for p in list_presets()]:
                speed_cost(name, tuple(args.overrides), args.speed_steps, Path(tmp))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        rows, curve = [], None
        for name in args.presets or [p.name for p in list_presets()]:
            try:
                preset = load_preset(name, tuple(args.overrides))
            except TuiGanError as err:
                print(f"{name}: skipped ({err})")
                continue
            is_default = name == DEFAULT_PRESET
            try:
                r = train(
                    name + args.label,
                    preset,
                    root,
                    marks if is_default or args.marks else (),
                    args.budget,
                    args.grids if is_default or args.marks else None,
                )
            except TuiGanError as err:  # a data set that is not here (faces, FashionMNIST)
                print(f"{name}: skipped ({err})")
                continue
            rows.append(r)
            if is_default or (args.marks and curve is None):
                curve = r
        for spec in args.variants:
            name, _, kv = spec.partition(":")
            try:
                p = load_preset(name, (*args.overrides, kv))
                rows.append(train(f"{name} {kv}", p, root, budget=args.budget))
            except TuiGanError as err:
                print(f"{name} {kv}: skipped ({err})")
                continue
            rows[-1].variant = True
        print_table("Presets at their defaults", rows)
        if args.speed_steps:
            print("\n## What the new options cost in img/s (EMA, DiffAugment, SN, R1 all off)\n")
            print("| preset | img/s with | img/s without | change |")
            print("|---|---|---|---|")
            for r in rows:
                if not r.variant:
                    speed_cost(r.preset.name, tuple(args.overrides), args.speed_steps, root)
        if curve is not None:
            print(f"\n## {curve.label}: FID over training time\n")
            print("| time s | step | FID | precision | recall | coverage | smallest class |")
            print("|---|---|---|---|---|---|---|")
            for t, s, m in curve.marks:
                print(
                    f"| {t:.0f} | {s:,} | {m['fid']:.1f} | {_f(m['precision'])} "
                    f"| {_f(m['recall'])} | {_f(m['coverage'])} | {_f(m.get('min_share'))} |"
                )
            if not args.no_ablation and curve.label == DEFAULT_PRESET + args.label:
                base = load_preset(DEFAULT_PRESET, tuple(args.overrides))
                abl = [curve]
                for label, sets in ablations(base) + additions(base):
                    p = load_preset(DEFAULT_PRESET, (*args.overrides, *sets))
                    abl.append(train(f"{DEFAULT_PRESET}, {label}", p, root, budget=args.budget))
                print_table(
                    f"Ablation of {DEFAULT_PRESET}: each of its options off, each other on", abl
                )


if __name__ == "__main__":
    main()
