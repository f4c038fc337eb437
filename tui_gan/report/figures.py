"""The report's figures, drawn with matplotlib's Agg backend from a run's records alone."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

# matplotlib logs its own housekeeping as warnings (an unwritable config folder, a font cache
# being built): lines in a report's output that say nothing about the report. Errors still show.
logging.getLogger("matplotlib").setLevel(logging.ERROR)

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # files only: no display, no GUI toolkit, also over SSH

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tui_gan.report import read  # noqa: E402
from tui_gan.report.data import RunRecords, spaced  # noqa: E402
from tui_gan.rundir.write import write_file  # noqa: E402

TIMELINE_ROWS, TIMELINE_TILES = 10, 8  # grids shown, tiles of each
PRDC = ("precision", "recall", "density", "coverage")
COLOURS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


@dataclass
class Figure:
    """A figure written (path) with the line report.md puts under it, or why there is none."""

    name: str
    caption: str
    path: Path | None = None


@dataclass(frozen=True)
class Output:
    """Where figures go: `folder`, reached from `within` without following a link (the run
    folder for its default report/, else the folder the user named), as `fmt` files."""

    folder: Path
    within: Path
    fmt: str

    def save(self, fig, name: str) -> Path:
        path = self.folder / f"{name}.{self.fmt}"

        def draw(fh) -> None:
            with warnings.catch_warnings():
                # Said when placing a legend (loc="best") over many points takes a second:
                # about matplotlib's speed, not the figure, which is drawn all the same.
                warnings.filterwarnings("ignore", "Creating legend with loc", UserWarning)
                fig.savefig(fh, format=self.fmt, dpi=110, bbox_inches="tight")

        try:
            return write_file(path, draw, within=self.within)
        finally:
            plt.close(fig)


def smooth(values: list[float], window: int) -> np.ndarray:
    """A centred moving average (edges averaged over what exists), the raw length."""
    v = np.asarray(values, dtype=float)
    if window <= 1 or len(v) < 3:
        return v
    kernel = np.ones(window)
    num = np.convolve(v, kernel, mode="same")
    den = np.convolve(np.ones_like(v), kernel, mode="same")
    return num / den


def _window(n: int) -> int:
    return max(1, min(25, n // 20))


def _raw_and_trend(ax, run: RunRecords, key: str, colour: str, label: str) -> None:
    """One value's raw line, faint (every spike kept), and its moving average over it."""
    x, y = run.series(key)
    ax.plot(x, y, color=colour, alpha=0.25, lw=0.8)
    x, y = run.trend(key)
    ax.plot(x, smooth(y, _window(len(y))), color=colour, lw=1.8, label=label)


def losses(run: RunRecords, out: Output) -> Figure:
    fam = run.family
    if not run.step_records:
        return Figure("losses", "no step records yet: nothing to plot")
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for s, colour in zip(fam.losses, ("tab:green", "tab:purple"), strict=True):
        _raw_and_trend(ax, run, s.key, colour, s.label)
    ax.set(xlabel="step", ylabel="loss", title=f"{run.name}: losses")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    names = " and ".join(s.label for s in fam.losses)
    return Figure("losses", f"{names} against step: faint raw values, a moving average over them.",
                  out.save(fig, "losses"))  # fmt: skip


def outputs(run: RunRecords, out: Output) -> Figure:
    fam = run.family
    if not run.step_records:
        return Figure("outputs", "no step records yet: nothing to plot")
    colours = ("tab:cyan", "tab:orange")
    if fam.outputs_split:  # two quantities on two scales: two panels
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    else:
        fig, ax = plt.subplots(figsize=(7, 3.2))
        axes = [ax, ax]
    for s, colour, ax in zip(fam.outputs, colours, axes, strict=True):
        _raw_and_trend(ax, run, s.key, colour, s.label)
        ax.set(xlabel="step")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False)
    if run.probabilities:
        axes[0].axhline(0.5, color="grey", ls="--", lw=1, label="equilibrium 0.5")
        axes[0].set_ylim(0, 1)
        axes[0].legend(frameon=False)
    axes[0].set_title(f"{run.name}: {fam.outputs_title}")
    what = fam.outputs_about or " and ".join(s.label for s in fam.outputs)
    if fam.adversarial:  # D's outputs: probabilities under a BCE loss, raw scores otherwise
        raw = f" (raw {run.loss_kind} scores)"
        what += ", with the 0.5 equilibrium" if run.probabilities else raw
    return Figure("outputs", f"{what}, against step.", out.save(fig, "outputs"))


def quality(run: RunRecords, out: Output) -> Figure:
    evals = [e for e in run.evals if e.score is not None]
    if not evals:
        return Figure(
            "quality",
            "no evaluations logged (log.eval_every = 0): no FID curve; `tui-gan eval RUN` scores "
            "the last checkpoint",
        )
    toy = evals[0].fid is None
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.2))
    steps = [e.step for e in evals]
    a.plot(steps, [e.score for e in evals], "o-", color="tab:red")
    a.set(xlabel="step", ylabel="W1" if toy else "FID", title=f"{run.name}: "
          + ("Wasserstein-1 (lower is better)" if toy else "FID (lower is better)"))  # fmt: skip
    a.grid(alpha=0.3)
    keys = ("ks",) if toy else PRDC
    for key in keys:
        ys = [getattr(e, key) for e in evals]
        if any(y is not None for y in ys):
            b.plot(steps, [np.nan if y is None else y for y in ys], "o-", label=key, ms=3)
    b.set(xlabel="step", title="KS statistic" if toy else "precision, recall, density, coverage")
    b.grid(alpha=0.3)
    b.legend(frameon=False, fontsize=8)
    what = "W1 and KS" if toy else "FID, precision, recall, density and coverage"
    return Figure("quality", f"{what} at each periodic evaluation.", out.save(fig, "quality"))


def classes(run: RunRecords, out: Output) -> Figure:
    counted = [s for s in run.samples if s.class_counts]
    if not counted:
        return Figure("classes", "no class counts (a data set without labels, or a 1-D run)")
    shares = np.array([np.asarray(c) / max(1, sum(c)) for s in counted if (c := s.class_counts)])
    cond = [s for s in counted if s.cond_accuracy]
    fig, axes = plt.subplots(1, 2 if cond else 1, figsize=(10 if cond else 7, 3.4), squeeze=False)
    ax = axes[0][0]
    image = ax.imshow(shares.T, aspect="auto", cmap="viridis", origin="lower", vmin=0,
                      extent=(-0.5, len(counted) - 0.5, -0.5, shares.shape[1] - 0.5))  # fmt: skip
    ticks = spaced(list(range(len(counted))), 8)
    ax.set_xticks(ticks, [str(counted[i].step) for i in ticks], fontsize=8)
    ax.set_yticks(range(shares.shape[1]))
    ax.set(xlabel="step", ylabel="class", title=f"{run.name}: class shares of fresh samples")
    fig.colorbar(image, ax=ax, fraction=0.04, label="share")
    line = "Share of each class among the fresh samples at each sample step (even = 0.1 each)"
    if cond:
        b = axes[0][1]
        b.plot([s.step for s in cond], [float(np.mean(s.cond_accuracy or [])) for s in cond], "o-")
        b.set(xlabel="step", ylabel="mean", ylim=(0, 1.02), title="conditional accuracy")
        b.grid(alpha=0.3)
        line += (
            "; right: conditional accuracy, the share of samples the classifier puts in the "
            "class G was asked for"
        )
    return Figure("classes", line + ".", out.save(fig, "classes"))


def _tiles(run: RunRecords, path: str, size: int, nrow: int, k: int) -> np.ndarray | None:
    """The first k tiles of a torchvision grid (padding 2) as one row."""
    grid = read.image(run.path / path, run.path, "L")
    if grid is None:
        return None
    a = np.asarray(grid)
    pad, tiles = 2, []
    for i in range(k):
        r, c = divmod(i, nrow)
        y, x = pad + r * (size + pad), pad + c * (size + pad)
        tile = a[y : y + size, x : x + size]
        if tile.shape != (size, size):
            break
        tiles.append(np.pad(tile, 1))
    return np.concatenate(tiles, 1) if tiles else None


def timeline(run: RunRecords, out: Output, size: int) -> Figure:
    rows = []
    for s in spaced(run.samples, TIMELINE_ROWS):
        strip = _tiles(run, s.path, size, s.nrow, TIMELINE_TILES)
        if strip is not None:
            rows.append((s.step, strip))
    if not rows:
        return Figure("timeline", "no sample grids on disk: no timeline")
    width = max(r.shape[1] for _, r in rows)
    fig, axes = plt.subplots(len(rows), 1, figsize=(width / 40, 0.75 * len(rows) + 0.4),
                             squeeze=False)  # fmt: skip
    for ax, (step, strip) in zip(axes[:, 0], rows, strict=True):
        ax.imshow(strip, cmap="gray", vmin=0, vmax=255)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(f"{step}", rotation=0, ha="right", va="center", fontsize=8)
    axes[0][0].set_title(f"{run.name}: the fixed view over training (step at left)", fontsize=9)
    return Figure(
        "timeline",
        f"The first {TIMELINE_TILES} tiles of {len(rows)} saved "
        f"{'grid' if len(rows) == 1 else 'grids, evenly spaced over training, top to bottom'}.",
        out.save(fig, "timeline"),
    )


def toy_frames(run: RunRecords, out: Output, frames: int) -> Figure:
    snaps = spaced(run.toy, frames)
    if not snaps:
        return Figure("frames", "no 1-D snapshots recorded")
    cols = min(5, len(snaps))
    rows = (len(snaps) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.4 * rows), squeeze=False)
    for ax in axes.flat[len(snaps) :]:
        ax.axis("off")
    for ax, snap in zip(axes.flat, snaps, strict=False):
        edges = np.asarray(snap.bin_edges)
        centres, width = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
        ax.bar(centres, snap.real_hist, width, color="tab:blue", alpha=0.5, label="P_data")
        ax.bar(centres, snap.fake_hist, width, color="tab:red", alpha=0.5, label="P_G")
        d = ax.twinx()
        d.plot(snap.x_grid, snap.d_curve, color="tab:orange", lw=1.5, label="D(x)")
        if run.probabilities:
            d.axhline(0.5, color="tab:orange", ls=":", lw=1)
            d.set_ylim(0, 1)
        d.tick_params(labelsize=7)
        ax.tick_params(labelsize=7)
        ax.set_title(f"step {snap.step}", fontsize=9)
    handles = [h for a in (axes.flat[0], axes.flat[0].figure.axes[-1]) for h in
               a.get_legend_handles_labels()[0]]  # fmt: skip
    fig.legend(handles, ["P_data", "P_G", "D(x)"], loc="upper center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return Figure(
        "frames",
        f"{len(snaps)} snapshots evenly spaced over training (steps "
        f"{', '.join(str(x.step) for x in snaps)}): the real density (blue), G's (red) and "
        "D(x) (orange, right axis), as in the seed's figure.",
        out.save(fig, "frames"),
    )


def overlay(runs: list[RunRecords], out: Output) -> list[Figure]:
    """Several runs on common axes: their losses, and FID when they logged it."""
    figs = []
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for run, colour in zip(runs, COLOURS * 4, strict=False):
        for s, ls in zip(run.family.losses, ("-", "--"), strict=True):
            x, y = run.trend(s.key)
            if y:
                ax.plot(
                    x, smooth(y, _window(len(y))), ls, color=colour, label=f"{run.name}: {s.label}"
                )
    ax.set(xlabel="step", ylabel="loss (moving average)", title="losses")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=7)
    figs.append(Figure("losses", "Each run's losses (moving averages), one colour a run, "
                       "its second loss dashed.", out.save(fig, "losses")))  # fmt: skip
    scored = [r for r in runs if any(e.score is not None for e in r.evals)]
    if not scored:
        figs.append(Figure("quality", "no run logged evaluations: no FID curves"))
        return figs
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for run, colour in zip(runs, COLOURS * 4, strict=False):
        evals = [e for e in run.evals if e.score is not None]
        if evals:
            ax.plot([e.step for e in evals], [e.score for e in evals], "o-", color=colour,
                    label=run.name, ms=3)  # fmt: skip
    toy = all(e.fid is None for r in scored for e in r.evals)
    ax.set(xlabel="step", ylabel="W1" if toy else "FID", title="lower is better")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=7)
    figs.append(Figure("quality", f"Each run's {'W1' if toy else 'FID'} at its evaluations.",
                       out.save(fig, "quality")))  # fmt: skip
    return figs


def _number(text: str | None) -> float | None:
    """A table cell as a finite number, or None (empty, or not a number: sweep.csv is read
    from disk, and a hand-edited cell must not end the report)."""
    try:
        v = float(text or "")
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def sweep_heatmap(table: list[dict[str, str]], axes: list[str], out: Output) -> Figure:
    """The sweep's score (FID, or W1) laid out by its first two axes, one panel per value of
    a third; the best cell of each panel outlined. `table` is sweep.csv's rows."""
    key = "fid" if any(_number(r.get("fid")) is not None for r in table) else "w1"
    scored = [r for r in table if _number(r.get(key)) is not None]
    if not scored or not axes:
        return Figure("sweep", f"no run of the sweep has a {key.upper()} yet")
    rows_ax, cols_ax = axes[0], (axes[1] if len(axes) > 1 else None)
    rest = axes[2:]

    def values(axis: str) -> list[str]:
        return list(dict.fromkeys(r[axis] for r in table))

    ys, xs = values(rows_ax), values(cols_ax) if cols_ax else [""]
    panels = list(dict.fromkeys(tuple(r[a] for a in rest) for r in table)) or [()]
    fig, axs = plt.subplots(1, len(panels), figsize=(1.0 + 1.1 * len(xs) * len(panels),
                            0.9 + 0.55 * len(ys)), squeeze=False)  # fmt: skip
    for ax, panel in zip(axs[0], panels, strict=True):
        grid = np.full((len(ys), len(xs)), np.nan)
        for r in scored:
            if tuple(r[a] for a in rest) == panel:
                grid[ys.index(r[rows_ax]), xs.index(r[cols_ax]) if cols_ax else 0] = _number(r[key])
        ax.imshow(grid, cmap="viridis_r", aspect="auto")
        empty = np.isnan(grid).all()  # a panel whose runs have no score yet
        lo, hi = (0.0, 0.0) if empty else (np.nanmin(grid), np.nanmax(grid))
        for (i, j), v in np.ndenumerate(grid):
            if not np.isnan(v):  # dark text on the light (low, good) end of the map
                light = hi == lo or (v - lo) / (hi - lo) < 0.5
                ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=8,
                        color="black" if light else "white")  # fmt: skip
        if not empty:
            i, j = np.unravel_index(np.nanargmin(grid), grid.shape)
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=2))
        ax.set_xticks(range(len(xs)), xs)
        ax.set_yticks(range(len(ys)), ys)
        ax.set(xlabel=cols_ax or "", ylabel=rows_ax)
        ax.set_title(", ".join(f"{a}={v}" for a, v in zip(rest, panel, strict=True)) or key.upper())
    return Figure(
        "sweep",
        f"{key.upper()} of each run (lower is better, darker), {rows_ax} by "
        f"{cols_ax or 'nothing'}, the best cell outlined; the numbers are sweep.md's.",
        out.save(fig, "sweep"),
    )
