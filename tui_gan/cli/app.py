"""The `tui-gan` command: Typer front end; heavy imports wait inside the commands."""

from __future__ import annotations

import inspect
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from tui_gan.errors import EXIT_INTERRUPTED, TuiGanError, as_user_error, one_line

try:  # Typer 0.2x carries its own copy of Click; older Typers use Click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - depends on the installed Typer
    from click import exceptions as click_errors  # type: ignore[no-redef]

# Nothing here imports torch, torchvision, pydantic or textual at module level:
# `tui-gan --help` must answer instantly, even on a loaded GPU server.


def usage_line(err: click_errors.ClickException) -> str:
    """Click's usage error as our one line: `--steps: <why>` for a bad value, `stop: <why>`
    for the rest of a command's usage, no trailing full stop, nothing from outside raw."""
    message = err.format_message()
    param = getattr(err, "param", None)
    opts = getattr(param, "opts", None) if param is not None else None
    if (
        isinstance(err, click_errors.BadParameter)
        and opts
        and not isinstance(err, click_errors.MissingParameter)
    ):
        hint = next((o for o in opts if o.startswith("--")), opts[0])
        why = err.message.removeprefix("Value error, ")  # Typer passes pydantic's wording on
        message = f"{hint}: {why[:1].lower()}{why[1:]}"
    else:
        message = message[:1].lower() + message[1:]
        ctx = getattr(err, "ctx", None)
        if ctx is not None and ctx.parent is not None and ctx.info_name:
            message = f"{ctx.info_name}: {message}"  # the command whose usage it was
    return one_line(message.rstrip(".").strip())


class _Commands(TyperGroup):
    """Every command's expected failures become one line on stderr and a defined exit code
    (here, not in main(), so Typer's CliRunner sees what a user sees)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Typer's own usage errors (a range, a missing argument, an unknown option) as the
        same one line as ours, where Typer would draw a usage block and a box."""
        if not standalone_mode:  # the caller handles Click's exceptions itself
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click_errors.ClickException as err:
            if type(err).__name__ == "NoArgsIsHelpError":  # a bare group: its help, as asked
                err.show()
            else:
                print(f"tui-gan: {usage_line(err)}", file=sys.stderr)
            sys.exit(err.exit_code)
        except typer.Abort:
            print("tui-gan: aborted", file=sys.stderr)
            sys.exit(1)
        # Without standalone mode Click returns the exit code of a typer.Exit, else the
        # command's return value (None from every command here).
        sys.exit(code if isinstance(code, int) else 0)

    def format_commands(self, ctx, formatter) -> None:
        """Each command's whole first paragraph, wrapped to the terminal, where Click would
        cut it at about 45 characters with "..."."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                first = inspect.cleandoc(cmd.short_help or cmd.help or "").split("\n\n")[0]
                rows.append((name, " ".join(first.split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except (OSError, TuiGanError) as err:  # OSError: a full disk, a bad --out path
            mapped = as_user_error(err)
            print(f"tui-gan: {mapped}", file=sys.stderr)
            ctx.exit(mapped.exit_code)


app = typer.Typer(
    cls=_Commands,
    name="tui-gan",
    help="Train GANs from the terminal: headless or with a live dashboard.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's own help layout, not Rich's panels: plain ASCII in a pipe, no `<bool>` after a
    # flag, no `[...]` in a help text taken for markup, and paragraphs rewrapped to the
    # terminal's width (max_content_width: Click stops at 80 columns otherwise).
    rich_markup_mode=None,
    context_settings={"max_content_width": 10_000},
)


class DeviceChoice(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


PresetOpt = Annotated[
    str | None,
    typer.Option("--preset", "-p", help="Shipped preset name or a path to a TOML file."),
]
StepsOpt = Annotated[
    int | None, typer.Option("--steps", min=1, help="Total steps of the run (resume counts).")
]
EpochsOpt = Annotated[int | None, typer.Option("--epochs", min=1, help="Total epochs of the run.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a preset field: --set optim.g.lr=1e-4 (repeatable)."),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder that holds run directories.")]
NameOpt = Annotated[
    str | None, typer.Option("--name", help="Run directory name [default: <preset>-<time>].")
]
ResumeOpt = Annotated[
    str | None,
    typer.Option(
        "--resume",
        help="Continue a run: its directory or a checkpoint (step for step on a CPU; on a GPU "
        "with --set train.deterministic=true).",
    ),
]
DeviceOpt = Annotated[
    DeviceChoice | None, typer.Option("--device", help="auto picks cuda, then mps, then cpu.")
]
RawOpt = Annotated[
    bool,
    typer.Option("--raw", help="Use the live G, not its moving average (model.ema_decay)."),
]
MAX_SEED = 2**32 - 1  # as presets allow (config.MAX_SEED; not imported: --help stays light)
McmcOpt = Annotated[
    int | None,
    typer.Option(
        "--mcmc-steps",
        min=1,
        max=100_000,
        help="ebm runs: Langevin steps of each fresh chain (default: the preset's, 256).",
    ),
]
MAX_N = 100_000  # samples per sample/eval call: more is minutes of work and gigabytes
SeedOpt = Annotated[int | None, typer.Option("--seed", min=0, max=MAX_SEED, help="Random seed.")]


class RenderChoice(str, Enum):
    """Drawing modes, of the dashboard and of sample/grid/interpolate (tui/mode.py
    DASH_RENDERS, render/ascii.py RENDERS; not imported: --help stays light)."""

    auto = "auto"
    truecolor = "truecolor"
    c256 = "256"
    c16 = "16"
    ascii = "ascii"


DashRenderOpt = Annotated[
    RenderChoice,
    typer.Option(
        "--render",
        help="How the dashboard draws: auto (from NO_COLOR, TERM, COLORTERM and the locale), "
        "truecolor, 256, 16 or ascii (every character within 0x20-0x7E) (= TUI_GAN_RENDER).",
    ),
]


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context, render: DashRenderOpt = RenderChoice.auto) -> None:
    if ctx.invoked_subcommand is None:
        # A bare `tui-gan` opens the dashboard on the default preset.
        ctx.invoke(dash, render=render)
    elif render is not RenderChoice.auto:  # `tui-gan --render ascii attach RUN`
        import os

        os.environ["TUI_GAN_RENDER"] = render.value


def _train_args(preset, steps, epochs, set_, out, name, resume, device, seed):
    from tui_gan.request import TrainArgs

    return TrainArgs(
        preset=preset,
        steps=steps,
        epochs=epochs,
        overrides=tuple(set_ or ()),
        out=out,
        name=name,
        resume=resume,
        device=device.value if device else None,
        seed=seed,
    )


@app.command()
def train(
    preset: PresetOpt = None,
    steps: StepsOpt = None,
    epochs: EpochsOpt = None,
    set_: SetOpt = None,
    out: OutOpt = Path("checkpoints"),
    name: NameOpt = None,
    resume: ResumeOpt = None,
    device: DeviceOpt = None,
    seed: SeedOpt = None,
    tensorboard: Annotated[
        Path | None,
        typer.Option(
            "--tensorboard",
            help="Also write TensorBoard event files here (= --set log.tensorboard=DIR).",
        ),
    ] = None,
    gpus: Annotated[
        int | None,
        typer.Option(
            "--gpus",
            min=1,
            help="Train one run on N GPUs (DistributedDataParallel): starts torchrun for you. "
            "With --device cpu: N CPU processes (gloo).",
        ),
    ] = None,
) -> None:
    """Train headless: a progress bar on a terminal, plain lines in a log."""
    from tui_gan.cli.train import run_train

    if tensorboard is not None:
        set_ = [*(set_ or []), f'log.tensorboard="{tensorboard}"']
    args = _train_args(preset, steps, epochs, set_, out, name, resume, device, seed)
    if gpus is not None and gpus > 1:
        from tui_gan.cli.torchrun import run_torchrun

        raise typer.Exit(run_torchrun(args, gpus))
    raise typer.Exit(run_train(args))


@app.command()
def dash(
    preset: PresetOpt = None,
    steps: StepsOpt = None,
    epochs: EpochsOpt = None,
    set_: SetOpt = None,
    out: OutOpt = Path("checkpoints"),
    name: NameOpt = None,
    resume: ResumeOpt = None,
    device: DeviceOpt = None,
    seed: SeedOpt = None,
    render: DashRenderOpt = RenderChoice.auto,
) -> None:
    """Train with the dashboard open (the run is its own process: closing the terminal is safe).

    While a run of yours is live, it first offers to open that one instead."""
    from tui_gan.cli.dash import run_dash

    args = _train_args(preset, steps, epochs, set_, out, name, resume, device, seed)
    run_dash(args, render.value)


@app.command()
def attach(
    run_dir: Annotated[
        Path | None,
        typer.Argument(
            metavar="[RUN_DIR]", help="A run directory, live or finished [default: your live run]."
        ),
    ] = None,
    render: DashRenderOpt = RenderChoice.auto,
) -> None:
    """Open the dashboard on a run another process is writing, or on a finished run.

    Without RUN_DIR: your most recent live run, started from any folder (a list to choose
    from when several are live)."""
    from tui_gan.cli.dash import run_attach

    run_attach(run_dir, render.value)


@app.command()
def runs(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Only the runs in this folder [default: every run you started, "
            "from any folder, and ./checkpoints].",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout.")] = False,
) -> None:
    """List runs: name, preset, state, step, last FID (W1 for 1-D runs), last losses, last
    update, and why a failed run failed.

    Every `tui-gan train` records its run folder in $XDG_STATE_HOME/tui-gan (by default
    ~/.local/state/tui-gan), so the runs you started are found from any folder."""
    from tui_gan.cli.runs import run_runs

    run_runs(out, as_json)


@app.command()
def stop(
    run_dir: Annotated[Path, typer.Argument(help="The run directory of a live run.")],
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the checkpoint.")] = 300,
) -> None:
    """Ask a live run to save a checkpoint and stop; return when it has."""
    from tui_gan.cli.runs import run_stop

    run_stop(run_dir, timeout)


class FidChoice(str, Enum):
    classifier = "classifier"
    inception = "inception"


@app.command("eval")
def eval_(
    target: Annotated[str, typer.Argument(help="A checkpoint (.pt) or a run directory.")],
    n: Annotated[
        int, typer.Option("--n", min=10, max=MAX_N, help="Generated samples to score.")
    ] = 5000,
    fid: Annotated[FidChoice, typer.Option("--fid", help="FID features.")] = FidChoice.classifier,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    seed: Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED, help="Noise seed.")] = 0,
    inception_weights: Annotated[
        str | None, typer.Option(help="Path to the FID Inception weights file.")
    ] = None,
    device: DeviceOpt = None,
    raw: RawOpt = False,
    mcmc_steps: McmcOpt = None,
) -> None:
    """Score a checkpoint: FID, precision/recall/density/coverage, class balance (1-D: W1, KS)."""
    from tui_gan.cli.evaluate import run_eval

    dev = device.value if device else "auto"
    run_eval(target, n, fid.value, as_json, dev, seed, inception_weights, raw, mcmc_steps)


@app.command()
def score(
    target: Annotated[str, typer.Argument(help="A checkpoint (.pt) or a run directory.")],
    n: Annotated[
        int, typer.Option("--n", min=2, max=MAX_N, help="Held-out real images per set.")
    ] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    seed: Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED, help="Noise seed.")] = 0,
    device: DeviceOpt = None,
) -> None:
    """The model as an anomaly detector: its score on held-out digits, noise, flips, a
    rotation and downscaled digits, with each set's AUROC against the real ones (an EBM's
    -energy, a GAN's D logit, a VAE's ELBO)."""
    from tui_gan.cli.score import run_score

    run_score(target, n, as_json, device.value if device else "auto", seed)


class ReportFormat(str, Enum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


@app.command()
def report(
    runs: Annotated[list[Path], typer.Argument(help="One run directory, or several to overlay.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the figures and report.md (default RUN/report)."),
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="Figure file format.")] = (
        ReportFormat.png
    ),
    frames: Annotated[
        int, typer.Option("--frames", min=1, max=100, help="1-D runs: panels of the series.")
    ] = 10,
    tensorboard: Annotated[
        bool,
        typer.Option("--tensorboard", help="Instead: convert each run to TensorBoard event files."),
    ] = False,
) -> None:
    """Figures of a run from its directory alone (losses, D outputs, FID, class shares, grids
    over time; the 1-D series), with report.md; several runs are overlaid."""
    from tui_gan.cli.report import run_report, run_tensorboard

    if tensorboard:
        run_tensorboard(runs, out)
        return
    run_report(runs, out, fmt.value, frames)


@app.command()
def compare(
    runs: Annotated[list[Path], typer.Argument(help="Run directories to compare.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout.")] = False,
    no_eval: Annotated[
        bool,
        typer.Option(
            "--no-eval",
            help="List a run that logged no evaluation as not evaluated, instead of evaluating "
            "its last.pt now (a minute or more on a CPU, with a progress bar).",
        ),
    ] = False,
) -> None:
    """The runs' final metrics side by side, the best of each column marked."""
    from tui_gan.cli.evaluate import run_compare

    run_compare(runs, as_json, evaluate=not no_eval)


@app.command()
def presets(
    name: Annotated[str | None, typer.Argument(help="Print this preset's resolved TOML.")] = None,
) -> None:
    """List shipped presets, or print one resolved."""
    from tui_gan.cli.presets_cmd import run_presets

    run_presets(name)


RenderOpt = Annotated[
    RenderChoice,
    typer.Option(
        "--render",
        help="How samples are drawn in the terminal: auto (colour on a terminal; ASCII into a "
        "pipe, under NO_COLOR or TERM=dumb), truecolor, 256, 16 or ascii (= TUI_GAN_RENDER).",
    ),
]


def _set_render(render: RenderChoice) -> None:
    """--render wins over TUI_GAN_RENDER, which the drawing code reads (render/ascii.py)."""
    if render is not RenderChoice.auto:
        import os

        os.environ["TUI_GAN_RENDER"] = render.value


@app.command()
def sample(
    target: Annotated[str, typer.Argument(help="A checkpoint (.pt) or a run directory.")],
    n: Annotated[
        int | None,
        typer.Option(
            "--n",
            min=1,
            max=MAX_N,
            help="How many samples (default: as many as fit legibly in the terminal; 64 into "
            "a file).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED, help="Noise seed.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="FILE.png (grid), FILE.npz (arrays) or a folder (one PNG each)."
        ),
    ] = None,
    device: DeviceOpt = None,
    raw: RawOpt = False,
    mcmc_steps: McmcOpt = None,
    render: RenderOpt = RenderChoice.auto,
) -> None:
    """Draw samples from a checkpoint: to a file, a folder, or the terminal."""
    from tui_gan.cli.sample import run_sample

    _set_render(render)

    run_sample(target, n, seed, out, device.value if device else "auto", raw, mcmc_steps)


ImageOutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="FILE.png or FILE.npz; without it, drawn in the terminal."),
]


@app.command()
def grid(
    target: Annotated[str, typer.Argument(help="A checkpoint (.pt) or a run directory.")],
    rows: Annotated[int, typer.Option("--rows", min=1, max=100, help="Rows (one z each).")] = 8,
    seed: Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED, help="Noise seed.")] = 0,
    out: ImageOutOpt = None,
    device: DeviceOpt = None,
    raw: RawOpt = False,
    render: RenderOpt = RenderChoice.auto,
) -> None:
    """The noise-by-class grid: a row per z, a column per class (plain rows unconditional).

    Conditional runs draw each row's fixed z as every class in turn; an unconditional run
    gives rows of 10 samples. The NPZ holds `images` (uint8, row r's class c at index
    r * classes + c) and `labels` (-1: no class asked)."""
    from tui_gan.cli.latent import run_grid

    _set_render(render)

    run_grid(target, rows, seed, out, device.value if device else "auto", raw)


class InterpMode(str, Enum):
    linear = "linear"
    slerp = "slerp"


@app.command()
def interpolate(
    target: Annotated[str, typer.Argument(help="A checkpoint (.pt) or a run directory.")],
    rows: Annotated[int, typer.Option("--rows", min=1, max=100, help="Walks, one a row.")] = 6,
    steps: Annotated[
        int, typer.Option("--steps", min=2, max=100, help="Images along each walk.")
    ] = 10,
    t_range: Annotated[
        str,
        typer.Option(
            "--range", help="t from A to B: 0,1 joins the two z; -1,2 extrapolates past both."
        ),
    ] = "0,1",
    mode: Annotated[
        InterpMode,
        typer.Option("--mode", help="linear, or slerp (along the sphere, keeps |z| typical)."),
    ] = InterpMode.linear,
    seed: Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED, help="Noise seed.")] = 0,
    label: Annotated[
        int | None,
        typer.Option("--class", min=0, help="Conditional runs: the class of every walk."),
    ] = None,
    out: ImageOutOpt = None,
    device: DeviceOpt = None,
    raw: RawOpt = False,
    render: RenderOpt = RenderChoice.auto,
) -> None:
    """Walk G's latent space between random z: interpolation, or extrapolation past them.

    Each row goes from one random z (t=0) to another (t=1), or past them with --range -1,2.
    The NPZ holds `images` (uint8, rows*steps) and `t`."""
    from tui_gan.cli.latent import run_interpolate

    _set_render(render)

    dev = device.value if device else "auto"
    run_interpolate(target, rows, steps, t_range, mode.value, seed, label, out, dev, raw)


class LauncherChoice(str, Enum):
    local = "local"
    submitit = "submitit"


@app.command()
def sweep(
    spec: Annotated[
        Path | None,
        typer.Argument(help="A sweep TOML (presets/sweeps/*.toml), or use --preset and --grid."),
    ] = None,
    preset: PresetOpt = None,
    grid: Annotated[
        list[str] | None,
        typer.Option(
            "--grid", help="An axis: KEY=V1,V2,... (repeatable; one run per combination)."
        ),
    ] = None,
    set_: SetOpt = None,
    steps: StepsOpt = None,
    out: OutOpt = Path("checkpoints"),
    name: Annotated[
        str | None, typer.Option("--name", help="The sweep's folder under --out.")
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", min=1, max=256, help="Runs at once [default: one per GPU, one on a CPU]."
        ),
    ] = None,
    device: DeviceOpt = None,
    launcher: Annotated[
        LauncherChoice,
        typer.Option("--launcher", help="local processes, or submitit (Slurm jobs)."),
    ] = LauncherChoice.local,
    submitit: Annotated[
        list[str] | None,
        typer.Option(
            "--submitit",
            help="submitit parameter KEY=VALUE, e.g. slurm_partition=gpu, timeout_min=60, "
            "gpus_per_node=1; cluster=local runs the jobs here.",
        ),
    ] = None,
) -> None:
    """Train a grid of runs and tabulate their FID; the same command again resumes it.

    One run per combination of values, each a normal run directory under OUT/NAME; the
    same command again skips finished runs and resumes interrupted ones. Writes sweep.csv
    and sweep.md (the final FID table)."""
    from tui_gan.cli.sweep import run_sweep

    code = run_sweep(
        spec,
        preset,
        list(grid or ()),
        list(set_ or ()),
        steps,
        out,
        name,
        jobs,
        device.value if device else None,
        launcher.value,
        list(submitit or ()),
    )
    raise typer.Exit(code)


def main() -> None:
    """Entry point; a Ctrl-C outside a run (which handles its own) is one line, exit 130."""
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
