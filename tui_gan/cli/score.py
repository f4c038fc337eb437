"""`tui-gan score`: a checkpoint as an anomaly detector, the seed's table with AUROC."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from tui_gan.errors import DataError, UsageError, one_line


def held_out(preset, n: int):
    """Up to n real images the model did not train on, in [-1, 1], and a note."""
    import torch

    from tui_gan.engine.data import first_images, load_images, load_labelled, to_unit_range

    d = preset.data
    if d.name in ("mnist", "fashion-mnist"):
        ds, note = load_labelled(d.name, d.root, d.download, train=False)
        images = ds.data[:n].unsqueeze(1).contiguous()
        return to_unit_range(images), note and f"{note} (its test split)"
    data = load_images(preset)
    note = "an image folder has no held-out split: the real row is training images"
    return first_images(data, min(n, len(data))).to(torch.float32), note


def score_checkpoint(target: str, n: int, device: str, seed: int = 0) -> dict[str, Any]:
    from tui_gan.cli.sample import load_gan
    from tui_gan.engine.anomaly import score_table
    from tui_gan.engine.checkpoint import resolve_checkpoint
    from tui_gan.engine.family import scoring
    from tui_gan.families import family

    path = resolve_checkpoint(target)
    model = load_gan(str(path), device)
    fam = family(model.preset.model.family)
    if model.preset.data.name == "toy1d":
        raise UsageError(f"{path}: score is for image runs; this is a 1-D run")
    if scoring(model) is None:
        raise UsageError(f"{path}: a {fam.name} run has no score to rank images by")
    real, note = held_out(model.preset, n)
    if len(real) < 2:
        raise DataError(f"{path}: fewer than 2 real images to score against")
    t0 = time.perf_counter()
    table = score_table(model, real, seed)
    return {
        "checkpoint": str(path),
        "family": fam.name,
        "score": fam.score_name,
        "n": len(real),
        "seconds": round(time.perf_counter() - t0, 3),
        "note": note,
        "sets": table,
    }


def run_score(target: str, n: int, as_json: bool, device: str, seed: int) -> None:
    result = score_checkpoint(target, n, device, seed)
    if as_json:
        print(json.dumps(result))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from tui_gan.engine.anomaly import SETS

    if result["note"]:
        print(f"note: {one_line(result['note'])}", file=sys.stderr)
    table = Table(
        title=escape(one_line(f"{result['checkpoint']}: score = {result['score']}")),
        caption=(
            f"{result['n']} images a set, scored in {result['seconds']:.1f}s; AUROC: "
            "P(a real image scores above one of the set), 0.5 = cannot tell them apart"
        ),
        box=None,
        header_style="bold",
    )
    for col, justify in (("set", "left"), ("mean", "right"), ("std", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    table.add_column("AUROC", justify="right")
    table.add_column("what it is", style="dim")
    for name, row in result["sets"].items():
        auc = "--" if row["auroc"] is None else f"{row['auroc']:.3f}"
        table.add_row(name, f"{row['mean']:.3f}", f"{row['std']:.3f}", auc, SETS[name])
    Console().print(table)
