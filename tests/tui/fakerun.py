"""A deterministic run directory (records, sample grids, status) for dashboard tests."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np

from tui_gan.engine import events as ev
from tui_gan.engine import records
from tui_gan.engine.data import EMBEDDED_DIR
from tui_gan.engine.metrics import normalised_entropy
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.status import Status, save_status

PRESET = """name = "mnist-mlp"
description = "test"

[data]
name = "{dataset}"
image_size = 28

[model]
family = "{family}"

[loss]
kind = "bce"
"""


def digits(n: int) -> np.ndarray:
    """The first n embedded test digits, read straight from the IDX file (no torch)."""
    with gzip.open(EMBEDDED_DIR / "t10k-images-idx3-ubyte.gz", "rb") as fh:
        raw = fh.read()
    return np.frombuffer(raw, np.uint8, offset=16)[: n * 784].reshape(n, 28, 28)


def save_grid(images: np.ndarray, path: Path, nrow: int = 8, pad: int = 2) -> None:
    """The layout of torchvision's save_image (padding 2 around and between tiles)."""
    from PIL import Image

    n, h, w = images.shape
    rows = math.ceil(n / nrow)
    grid = np.zeros((pad + rows * (h + pad), pad + nrow * (w + pad)), np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, nrow)
        grid[
            pad + r * (h + pad) : pad + r * (h + pad) + h,
            pad + c * (w + pad) : pad + c * (w + pad) + w,
        ] = img
    Image.fromarray(grid).save(path)


def make_run(
    root: Path,
    name: str = "demo-run",
    steps: int = 400,
    collapse: bool = False,
    toy: bool = False,
    state: str = "finished",
    ema: bool = False,
    conditional: bool = False,
    family: str | None = None,
    dominated: bool = False,
) -> Path:
    """A run directory as the trainer and recorder write it: events through the schema.
    `ema`: its samples and evaluations come from G's moving average. `conditional`: a cdcgan
    run whose G ignores class 7 (conditional accuracy 0.2 there)."""
    source = "ema" if ema else "live"
    run = root / name
    rd = RunDir(run)
    rd.create()
    rd.write_format()
    (run / "preset.toml").write_text(
        PRESET.format(
            dataset="toy1d" if toy else "mnist",
            family=family or ("toy1d" if toy else "cdcgan" if conditional else "mlp"),
        )
    )
    events: list[ev.Event] = [ev.RunStarted(step=0, total_steps=1000, device="cpu", time=0.0)]
    for s in range(10, steps + 1, 10):
        t = s / 1000
        a = round(1.38 - 0.6 * math.exp(-8 * t) + 0.05 * math.sin(s / 7), 4)
        b = round(0.7 + 0.5 * math.exp(-8 * t) + 0.05 * math.cos(s / 9), 4)
        c = round(0.5 + 0.4 * math.exp(-6 * t), 4)
        d = round(0.5 - 0.3 * math.exp(-6 * t), 4)
        if family == "ebm":
            values = dict(loss_cd=-a / 10, loss_reg=b / 100, e_real=-c, e_fake=-d)
        elif family == "vae":
            values = dict(loss_rec=100 * a, loss_kl=20 * b, active=round(30 * c), post_std=d)
        elif dominated:  # the seed's warm-started G: D's loss tiny, G's huge
            values = dict(loss_d=0.01, loss_g=6.5, d_real=0.99, d_fake=0.01, g_d_ratio=650.0)
        else:
            values = dict(loss_d=a, loss_g=b, d_real=c, d_fake=d, g_d_ratio=round(b / a, 4))
        events.append(
            ev.StepMetrics(
                step=s,
                epoch=round(s / 62, 4),
                time=round(s * 0.025, 3),
                img_per_s=2560.0,
                **values,
            )
        )
    if toy:
        edges = np.linspace(-3.64, 3.64, 61)
        centers = (edges[:-1] + edges[1:]) / 2
        real = np.where(np.abs(centers) <= math.pi, 1 + np.sin(centers), 0)
        fake = np.exp(-0.5 * ((centers - 0.8) / 0.9) ** 2)
        xs = np.linspace(-3.64, 3.64, 121)
        events.append(
            ev.Toy1DSnapshot(
                step=steps,
                epoch=1.0,
                time=1.0,
                n=5000,
                bin_edges=edges.round(5).tolist(),
                real_hist=(real / real.sum()).round(5).tolist(),
                fake_hist=(fake / fake.sum()).round(5).tolist(),
                x_grid=xs.round(5).tolist(),
                d_curve=(0.5 + 0.3 * np.sin(xs)).round(5).tolist(),
            )
        )
    else:
        imgs = digits(64)
        nrow = 10 if conditional else 8  # a conditional grid: a column per class
        save_grid(imgs[:60] if conditional else imgs, rd.sample_path(steps), nrow=nrow)
        save_grid(imgs[::-1].copy(), rd.samples / "fresh.png")
        counts = (
            [0, 2, 0, 1, 3, 0, 0, 5, 985, 4]
            if collapse
            else [98, 112, 95, 101, 99, 90, 104, 100, 97, 104]
        )
        # The checkpoint's latent walks: 4 rows of 8 steps (digits stand in for them).
        save_grid(digits(32), rd.samples / "interp.png", nrow=8)
        recon = {}
        if family == "vae":  # real digits beside their "reconstructions" (the digits inverted)
            pairs = np.stack([digits(16), 255 - digits(16)], 1).reshape(32, 28, 28)
            save_grid(pairs, rd.samples / "recon.png", nrow=8)
            recon = dict(recon="samples/recon.png", recon_nrow=8)
        accuracy = [0.95, 0.99, 0.9, 0.88, 0.93, 0.85, 0.97, 0.2, 0.9, 0.91]
        events.append(
            ev.Samples(
                step=steps,
                epoch=1.0,
                time=1.0,
                path=rd.relative(rd.sample_path(steps)),
                nrow=nrow,
                fresh_nrow=8,
                cond_accuracy=accuracy if conditional else None,
                class_counts=counts,
                class_entropy=round(normalised_entropy(counts), 4),
                classes_covered=sum(1 for c in counts if c),
                n=1000,
                generator=source,
                **recon,
            )
        )
    for k, s in enumerate(range(100, steps + 1, 100)):  # periodic evaluations
        if toy:
            events.append(
                ev.Evaluated(step=s, w1=round(0.5 / (k + 1), 4), ks=round(0.3 / (k + 1), 4), n=2000)
            )
            continue
        fall = collapse and s == steps  # a collapse shows as recall and coverage falling
        events.append(
            ev.Evaluated(
                step=s,
                fid=round(40.0 / (k + 1), 3),
                precision=0.9,
                recall=0.05 if fall else 0.3 + 0.05 * k,
                density=0.8,
                coverage=0.08 if fall else 0.4 + 0.05 * k,
                class_kl=0.1,
                n=2000,
                generator=source,
            )
        )
    interp = {} if toy else {"interp": "samples/interp.png", "interp_steps": 8}
    events.append(ev.CheckpointSaved(step=steps, path=f"ckpt-{steps:07d}.pt", time=10.0, **interp))
    if state != "running":
        events.append(ev.Finished(step=steps, state=state, time=10.0, img_per_s=2560.0))
    for event in events:
        records.log(rd, event)
    rd.close()
    status = Status(
        state=state, pid=0, host="test", preset="mnist-mlp", step=steps, total_steps=1000, updated=0
    )
    save_status(run, status)
    return run


async def settle(pilot) -> None:
    """Wait until the tail worker has read the records and the 4 Hz refresh has drawn them."""
    for _ in range(50):
        await pilot.pause(0.1)
        if pilot.app.view and pilot.app.view.step > 0 and not pilot.app.dirty:
            break
    await pilot.pause(0.4)
