"""A run's set-up: from a RunSpec to the frozen RunContext the loop reads (device, data,
batches, family and its trainable, generators, fixed noise, totals, class counter)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from tui_gan.config import Preset
from tui_gan.engine import capabilities as caps
from tui_gan.engine import checkpoint as ck
from tui_gan.engine import events as ev
from tui_gan.engine import family as interface
from tui_gan.engine.checkpoint import warm_start_checkpoint
from tui_gan.engine.classcount import ClassCounter
from tui_gan.engine.data import BatchSource, ImageData
from tui_gan.engine.device import pick_device
from tui_gan.engine.dist import Dist
from tui_gan.engine.family import Trainable
from tui_gan.engine.runtime import gpu_uuid
from tui_gan.engine.toy1d import Target1D, Toy1DSource
from tui_gan.errors import CheckpointError, UsageError
from tui_gan.families import Family, family
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.read import MAX_STEP


@dataclass
class RunSpec:
    preset: Preset
    run_dir: Path
    resume: Path | None = None  # the checkpoint to continue from (named in messages)
    resume_state: dict[str, Any] | None = None  # that checkpoint, loaded (load_run_checkpoint)
    classifier_dir: Path | None = None  # where class-count classifiers are cached
    device: str | None = None  # overrides preset.train.device
    dist: Dist = field(default_factory=Dist)  # this process's rank among torchrun's
    notes: tuple[str, ...] = ()  # warnings found before the loop (e.g. a resume's dropped paths)

    def __post_init__(self) -> None:
        if self.classifier_dir is None:
            self.classifier_dir = RunDir(self.run_dir).classifiers

    @property
    def resume_step(self) -> int | None:
        return int(self.resume_state["step"]) if self.resume_state is not None else None


@dataclass(frozen=True)
class RunContext:
    """What the loop reads and never replaces; the generators' states move as it draws."""

    preset: Preset
    dist: Dist
    device: torch.device
    rd: RunDir
    family: Family
    gan: Trainable  # the family's trainable (tui_gan/engine/family.py)
    batches: BatchSource | Toy1DSource
    data: ImageData | None  # None for a 1-D run
    target: Target1D | None  # a 1-D run's target density
    num_classes: int | None
    seed_rng: torch.Generator  # the CPU stream of per-step seeds a checkpoint keeps
    noise_rng: torch.Generator  # on the device, reseeded from seed_rng every step
    fixed_noise: torch.Tensor  # the z of the fixed sample grid
    steps_per_epoch: int
    total: int
    counter: ClassCounter | None  # rank 0 of a labelled image run: its class counts
    classifier_dir: Path

    @property
    def toy(self) -> bool:
        return self.target is not None

    def started(self, loop: ck.LoopState, resumed: bool) -> ev.RunStarted:
        """The run's first record, where the loop starts (or goes on) from."""
        return ev.RunStarted(
            step=loop.step,
            total_steps=self.total,
            device=str(self.device),
            time=round(loop.elapsed, 3),
            preset=self.preset.name,
            dataset=self.data.key if self.data else f"toy1d:{self.preset.data.target}",
            steps_per_epoch=self.steps_per_epoch,
            batch_size=self.preset.train.batch_size,
            num_classes=self.num_classes,
            resumed=resumed,
            run_dir=self.rd.path,
            gpu=gpu_uuid(self.device),
        )


def total_steps(preset: Preset, steps_per_epoch: int) -> int:
    t = preset.train
    total = t.steps if t.steps > 0 else max(1, t.epochs * steps_per_epoch)
    if total > MAX_STEP:  # train.steps is held to it; epochs of a large data set may pass it
        raise UsageError(
            f"train.epochs {t.epochs} x {steps_per_epoch} steps an epoch is {total} steps, "
            f"more than a run can count ({MAX_STEP}); set train.steps instead"
        )
    return total


Notices = Generator[ev.Notice, None, "RunContext"]


def set_up(spec: RunSpec, loop: ck.LoopState) -> Notices:
    """Build the run's context, yielding its notices as they arise; a resume restores the
    checkpoint into the model, `loop` and the noise stream on the way."""
    preset, dist, state = spec.preset, spec.dist, spec.resume_state

    def notice(message: str, level: Literal["info", "warning"] = "info") -> ev.Notice:
        return ev.Notice(step=loop.step, message=message, level=level)

    device = dist.device(pick_device(spec.device or preset.train.device))
    rd = RunDir(spec.run_dir)
    if dist.main:  # rank 0 alone writes the run directory
        rd.create()  # folders for checkpoints and grids (the recorder may have made them)
    _check_processes(preset, dist, device)
    world, batch, seed = dist.world, preset.train.batch_size, preset.train.seed
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    data, target, toy_batches = _data(preset, dist, device)
    if data is not None and data.note:
        yield notice(data.note, "warning")
    num_classes = data.num_classes if data is not None else None

    fam = family(preset.model.family)
    if dist.on and not caps.trains_distributed(fam):
        raise UsageError(
            f"{preset.model.family} trains in one process; several (torchrun) are for GANs"
        )
    gan = interface.build(fam, preset, data.channels if data else 1, device)
    for message, level in _speed_notes(preset, device):
        yield notice(message, level)
    if state is None and preset.model.init_g_from:
        yield notice(warm_start(gan, preset.model.init_g_from, rd.path))
    batches: BatchSource | Toy1DSource
    if toy_batches is not None:
        batches = toy_batches
    else:  # now that the model says whether its batches carry labels
        assert data is not None
        batches = BatchSource(data, batch, seed, device, gan.conditional, dist.rank, world)
    # The training noise stream; checkpointed, so a resume draws what a straight run would.
    # It is reseeded every step from a CPU stream of seeds, and that stream is what a
    # checkpoint keeps: a CPU generator's state means the same on any machine, while a
    # CUDA generator's cannot be restored on a CPU (or the other way), so a run moves
    # between devices and its noise stream goes on from where it was.
    seed_rng = torch.Generator().manual_seed(seed)
    noise_rng = torch.Generator(device)
    fixed_noise = gan.sample_z(preset.log.n_samples, torch.Generator(device).manual_seed(seed + 1))
    steps_per_epoch = batches.steps_per_epoch // preset.train.d_steps or 1
    total = total_steps(preset, steps_per_epoch)
    loop.acc = torch.zeros(len(gan.metric_names), device=device)
    if state is not None:
        source = str(spec.resume or "checkpoint")
        fixed_noise, note = ck.restore(
            state, gan, loop, source=source, train_gen=seed_rng, seed=seed
        )
        if note:
            yield notice(note, "warning")

    counter = None
    # Only rank 0 samples, so only it counts classes.
    if dist.main and num_classes and data is not None and data.images is not None:
        assert spec.classifier_dir is not None
        counter = ClassCounter(data, spec.classifier_dir, device)
        if start := counter.start_notice():
            yield notice(start)
    if dist.on:  # a GAN (the other families were refused above)
        caps.distribute(gan, dist)
        yield notice(
            f"{world} processes x {batch // world} = the global batch of {batch} "
            f"(train.batch_size); the learning rates are the preset's, not scaled"
        )
    for note in spec.notes:
        yield notice(note, "warning")
    assert spec.classifier_dir is not None
    return RunContext(
        preset=preset,
        dist=dist,
        device=device,
        rd=rd,
        family=fam,
        gan=gan,
        batches=batches,
        data=data,
        target=target,
        num_classes=num_classes,
        seed_rng=seed_rng,
        noise_rng=noise_rng,
        fixed_noise=fixed_noise,
        steps_per_epoch=steps_per_epoch,
        total=total,
        counter=counter,
        classifier_dir=spec.classifier_dir,
    )


def _data(
    preset: Preset, dist: Dist, device: torch.device
) -> tuple[ImageData | None, Target1D | None, Toy1DSource | None]:
    """(images, None, None) for an image run, its batches made once the model says whether
    they carry labels; (None, target, its batches) for a 1-D run."""
    if preset.data.name != "toy1d":
        from tui_gan.engine.data import load_images

        return load_images(preset), None, None
    from tui_gan.engine.toy1d import TARGETS

    t, target = preset.train, TARGETS[preset.data.target]
    batches = Toy1DSource(
        target, preset.data.size, t.batch_size, t.seed, device, dist.rank, dist.world
    )
    return None, target, batches


def _speed_notes(
    preset: Preset, device: torch.device
) -> list[tuple[str, Literal["info", "warning"]]]:
    """What the run's speed settings will do here that a user should know first."""
    notes: list[tuple[str, Literal["info", "warning"]]] = []
    if preset.train.precision == "fp16" and device.type == "cpu":
        notes.append(
            (
                "train.precision fp16 on a CPU is emulated and slow (mnist-dcgan: 19 img/s "
                "against 333 in bf16 here): use bf16 or fp32 there",
                "warning",
            )
        )
    if preset.train.compile != "off":
        notes.append((f"torch.compile ({preset.train.compile}): the first steps compile", "info"))
    return notes


def _check_processes(preset: Preset, dist: Dist, device: torch.device) -> None:
    """What several processes cannot do together, refused before anything is built."""
    if preset.train.sync_batchnorm and dist.on and device.type != "cuda":
        raise UsageError(
            "train.sync_batchnorm needs CUDA GPUs (PyTorch's SyncBatchNorm); on CPU "
            "processes set it to false: each keeps its own BatchNorm statistics"
        )
    penalty = preset.loss.kind == "wgan-gp" or preset.loss.r1_gamma > 0
    if preset.train.sync_batchnorm and dist.on and penalty:
        raise UsageError(
            "train.sync_batchnorm with a gradient penalty (wgan-gp, r1): SyncBatchNorm "
            "cannot be differentiated twice; set loss.r1_gamma=0 or sync_batchnorm=false"
        )
    world, batch = dist.world, preset.train.batch_size
    if batch % world:
        raise UsageError(
            f"train.batch_size {batch} (the global batch) does not split over {world} "
            f"processes; make it a multiple of {world}"
        )


def warm_start(gan: Trainable, target: str, run_dir: Path) -> str:
    """model.init_g_from: G starts from another run's G (a VAE's decoder); the notice."""
    path = warm_start_checkpoint(target, run_dir)
    state = ck.load_run_checkpoint(path)
    if "G" not in state:
        raise CheckpointError(f"{path}: model.init_g_from: it has no decoder or G to load")
    caps.warm_start(gan, state, f"model.init_g_from {path}")
    name, what = caps.warm_start_source(str(state["preset"].get("model", {}).get("family", "?")))
    return f"G starts from the {what} of {path} ({name}, step {state['step']})"
