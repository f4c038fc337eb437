"""The training loop: a generator of typed events, steered through a Controls; it writes
checkpoints and sample grids, and leaves the records to the recorder."""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from tui_gan.config import Preset, validate
from tui_gan.engine import events as ev
from tui_gan.engine.checkpoint import (
    NETWORKS,
    all_finite,
    atomic_link,
    atomic_save,
    float_tensors,
    non_finite,
    rng_state,
    set_rng_state,
)
from tui_gan.engine.control import Controls
from tui_gan.engine.device import pick_device
from tui_gan.engine.dist import CONTROL_EVERY, Dist
from tui_gan.engine.rundir import RunDir
from tui_gan.engine.runtime import gpu_uuid
from tui_gan.engine.safeio import MAX_ELAPSED, MAX_STEP, is_step
from tui_gan.errors import CheckpointError, TuiGanError, UsageError, as_user_error, one_line
from tui_gan.families import RATIO_KEY, family
from tui_gan.safewrite import write_file

CHECKPOINT_FORMAT = 1
_CPU_OOM = (
    "out of memory: lower train.batch_size or the model widths, or raise the memory limit "
    "(ulimit -v, the container's)"
)
FRESH_PREVIEW = 64  # fresh samples drawn into fresh.png for the dashboard's "random" view
INTERP_ROWS, INTERP_STEPS = 4, 8  # the checkpoint's interpolation strip: 4 walks of 8 steps
RECON_PAIRS, RECON_NROW = 32, 8  # the VAE's recon.png: 32 (real, reconstruction) pairs
HIST_BINS = 60
RATIO_LOSSES = ("bce", "bce-saturating", "lsgan")  # where loss_g / loss_d says who is ahead
CURVE_POINTS = 121


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


def total_steps(preset: Preset, steps_per_epoch: int) -> int:
    t = preset.train
    total = t.steps if t.steps > 0 else max(1, t.epochs * steps_per_epoch)
    if total > MAX_STEP:  # train.steps is held to it; epochs of a large data set may pass it
        raise UsageError(
            f"train.epochs {t.epochs} x {steps_per_epoch} steps an epoch is {total} steps, "
            f"more than a run can count ({MAX_STEP}); set train.steps instead"
        )
    return total


class Trainer:
    def __init__(self, spec: RunSpec, controls: Controls | None = None):
        self.spec = spec
        self.controls = controls or Controls()
        self.step = 0
        self.eval_ctx = None  # built at the first evaluation, then reused
        self.resume_note: str | None = None
        self.good: Path | None = None  # the checkpoint known finite: saved or resumed from

    def run(self) -> Iterator[ev.Event]:
        """Yield events until the run ends; failures end it with a Failed event, never a raise."""
        try:
            yield from self._run()
        except (TuiGanError, OSError) as err:  # OSError: a full disk, a folder made read-only
            mapped = as_user_error(err)
            yield self._failed(str(mapped), exit_code=mapped.exit_code)
        except MemoryError:
            yield self._failed(_CPU_OOM, exit_code=2)
        except torch.cuda.OutOfMemoryError:
            yield self._failed(
                "CUDA out of memory: lower train.batch_size or the model widths, "
                "or free the GPU (nvidia-smi shows who holds it)"
            )
        except Exception as err:  # the UI must survive anything the loop throws
            if self._peer_gone(err):
                yield self._failed(
                    "another training process of this run died (torchrun's log in the run "
                    "directory says which and why); this one stopped with it"
                )
                return
            if isinstance(err, RuntimeError) and "can't allocate memory" in str(err):
                yield self._failed(_CPU_OOM, exit_code=2)  # torch's CPU allocator
                return
            yield self._failed(
                f"{type(err).__name__}: {err}", details=traceback.format_exc().splitlines()
            )

    def _peer_gone(self, err: Exception) -> bool:
        """A collective failed because another rank is gone (killed, crashed, out of memory):
        gloo says its connection closed, NCCL that its communicator was aborted."""
        dist = getattr(self, "dist", None)
        if dist is None or not dist.on or not isinstance(err, RuntimeError):
            return False
        text = str(err)
        return any(w in text for w in ("Connection closed", "Connection reset", "NCCL", "gloo"))

    def _notice(self, message: str, level: Literal["info", "warning"] = "info") -> ev.Notice:
        return ev.Notice(step=self.step, message=message, level=level)

    def _failed(self, message: str, exit_code: int = 1, details=()) -> ev.Failed:
        error = one_line(message)  # an exception's text may run to pages; the record holds one line
        # The one record that must always be written, so status.json says "failed": a step
        # that would not read back (never reached: checkpoints are checked) is not its own.
        step = self.step if is_step(self.step) else 0
        return ev.Failed(step=step, error=error, details=tuple(details), exit_code=exit_code)

    # --- set-up -------------------------------------------------------------

    def _setup(self) -> Iterator[ev.Event]:
        spec = self.spec
        state = spec.resume_state
        preset = spec.preset
        self.preset = preset
        self.dist = spec.dist
        self.device = self.dist.device(pick_device(spec.device or preset.train.device))
        # Process-wide settings (the allocator, TF32, determinism) were made when the process
        # started (engine/runtime.py), not here.
        self.rd = RunDir(spec.run_dir)
        if self.dist.main:  # rank 0 alone writes the run directory
            self.rd.create()  # folders for checkpoints and grids (the recorder may have made them)
        if preset.train.sync_batchnorm and self.dist.on and self.device.type != "cuda":
            raise UsageError(
                "train.sync_batchnorm needs CUDA GPUs (PyTorch's SyncBatchNorm); on CPU "
                "processes set it to false: each keeps its own BatchNorm statistics"
            )
        penalty = preset.loss.kind == "wgan-gp" or preset.loss.r1_gamma > 0
        if preset.train.sync_batchnorm and self.dist.on and penalty:
            raise UsageError(
                "train.sync_batchnorm with a gradient penalty (wgan-gp, r1): SyncBatchNorm "
                "cannot be differentiated twice; set loss.r1_gamma=0 or sync_batchnorm=false"
            )
        world, batch = self.dist.world, preset.train.batch_size
        if batch % world:
            raise UsageError(
                f"train.batch_size {batch} (the global batch) does not split over {world} "
                f"processes; make it a multiple of {world}"
            )

        seed = preset.train.seed
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        self.toy = preset.data.name == "toy1d"
        self.data = None
        if self.toy:
            from tui_gan.engine.toy1d import TARGETS, Toy1DSource

            self.target = TARGETS[preset.data.target]
            self.batches: Any = Toy1DSource(
                self.target, preset.data.size, batch, seed, self.device, self.dist.rank, world
            )
            channels, self.num_classes = 1, None
        else:
            from tui_gan.engine.data import BatchSource, load_images

            self.data = load_images(preset)
            if self.data.note:
                yield self._notice(self.data.note, "warning")
            channels, self.num_classes = self.data.channels, self.data.num_classes

        self.family = family(preset.model.family)
        if self.dist.on and self.family.kind != "gan":
            raise UsageError(
                f"{preset.model.family} trains in one process; several (torchrun) are for GANs"
            )
        # GAN, EBM or VAE: whichever the family names (tui_gan/families.py).
        self.gan = self.family.trainable()(preset, channels, self.device)
        if preset.train.precision == "fp16" and self.device.type == "cpu":
            yield self._notice(
                "train.precision fp16 on a CPU is emulated and slow (mnist-dcgan: 19 img/s "
                "against 333 in bf16 here): use bf16 or fp32 there",
                "warning",
            )
        if preset.train.compile != "off":
            yield self._notice(f"torch.compile ({preset.train.compile}): the first steps compile")
        if state is None and preset.model.init_g_from:
            yield self._notice(self._init_g(preset.model.init_g_from))
        if not self.toy:
            assert self.data is not None
            self.batches = BatchSource(
                self.data, batch, seed, self.device, self.gan.conditional, self.dist.rank, world
            )
        # The training noise stream; checkpointed, so a resume draws what a straight run would.
        # It is reseeded every step from a CPU stream of seeds, and that stream is what a
        # checkpoint keeps: a CPU generator's state means the same on any machine, while a
        # CUDA generator's cannot be restored on a CPU (or the other way), so a run moves
        # between devices and its noise stream goes on from where it was.
        self.seed_rng = torch.Generator().manual_seed(seed)
        self.noise_rng = torch.Generator(self.device)
        self.fixed_noise = self.gan.sample_z(
            preset.log.n_samples, torch.Generator(self.device).manual_seed(seed + 1)
        )
        self.steps_per_epoch = self.batches.steps_per_epoch // preset.train.d_steps or 1
        self.total = total_steps(preset, self.steps_per_epoch)
        self.elapsed0 = 0.0
        self.acc = torch.zeros(len(self.gan.metric_names), device=self.device)
        self.acc_n = 0
        if state is not None:
            self._restore(state)
            self.good = spec.resume  # load_run_checkpoint found its weights finite
            if self.resume_note:
                yield self._notice(self.resume_note, "warning")
        self.counter = None
        main = self.dist.main  # only rank 0 samples, so only it counts classes
        if main and self.num_classes and self.data is not None and self.data.images is not None:
            from tui_gan.engine.classcount import ClassCounter

            assert spec.classifier_dir is not None
            self.counter = ClassCounter(self.data, spec.classifier_dir, self.device)
            if note := self.counter.start_notice():
                yield self._notice(note)
        if self.dist.on:  # a GAN (the other families were refused above)
            self.gan.distribute(self.dist)
            yield self._notice(
                f"{world} processes x {batch // world} = the global batch of {batch} "
                f"(train.batch_size); the learning rates are the preset's, not scaled"
            )
        for note in spec.notes:
            yield self._notice(note, "warning")
        yield ev.RunStarted(
            step=self.step,
            total_steps=self.total,
            device=str(self.device),
            time=round(self.elapsed0, 3),
            preset=preset.name,
            dataset=self.data.key if self.data else f"toy1d:{preset.data.target}",
            steps_per_epoch=self.steps_per_epoch,
            batch_size=preset.train.batch_size,
            num_classes=self.num_classes,
            resumed=state is not None,
            run_dir=self.rd.path,
            gpu=gpu_uuid(self.device),
        )

    @property
    def classifier(self) -> Any:
        """The class-count classifier, once it is ready (engine/classcount.py)."""
        return self.counter.model if self.counter is not None else None

    def _train_classifier(
        self, budget_s: float | None = None, finish: bool = False
    ) -> Iterator[ev.Event]:
        """A slice of the classifier's training while it is not ready; its notices."""
        if self.counter is None or not self.counter.pending:
            return
        notes = self.counter.finish() if finish else self.counter.work(budget_s)
        for note in notes:
            yield self._notice(note)

    def _restore(self, state: dict[str, Any]) -> None:
        source = str(self.spec.resume or "checkpoint")
        self.gan.load_state_dict(state, source)
        try:
            self._restore_loop_state(state)
        except (
            KeyError,
            TypeError,
            ValueError,
            IndexError,
            RuntimeError,
            AttributeError,
            OverflowError,
        ) as err:
            detail = (str(err).splitlines() or [""])[0][:120]
            raise CheckpointError(
                f"{source}: cannot resume from it: its training state is damaged "
                f"({type(err).__name__}: {detail})"
            ) from None

    def _restore_loop_state(self, state: dict[str, Any]) -> None:
        self.step = int(state["step"])
        self.elapsed0 = float(state.get("elapsed", 0.0))
        if not 0 <= self.elapsed0 <= MAX_ELAPSED:  # NaN and inf fail this too
            raise ValueError(f"elapsed is {self.elapsed0}")
        noise, acc = state["fixed_noise"], state["metrics_acc"]
        if noise.ndim != 2 or noise.shape[1] != self.gan.latent_dim:
            raise ValueError(f"fixed_noise has shape {tuple(noise.shape)}")
        if not noise.is_floating_point() or not acc.is_floating_point():
            raise ValueError("fixed_noise and metrics_acc must be float tensors")
        if acc.shape != self.acc.shape or not bool(torch.isfinite(acc).all()):
            raise ValueError(f"metrics_acc is {acc.tolist()}")  # a saved acc is always finite
        self.fixed_noise = noise.to(self.device)
        rng = state["rng"]["train_gen"]  # the key older checkpoints have, so it stays
        if not isinstance(rng, torch.Tensor) or rng.dtype != torch.uint8:
            raise ValueError("rng.train_gen is not a generator state")
        try:
            self.seed_rng.set_state(rng)
        except RuntimeError:
            if rng.numel() == self.seed_rng.get_state().numel():
                raise ValueError("rng.train_gen is damaged") from None  # same kind, bad bytes
            # Saved by tui-gan before 0.13 on a GPU: the state of a CUDA generator, which a
            # CPU generator cannot take.
            self.seed_rng.manual_seed(self.preset.train.seed * 1_000_003 + self.step)
            self.resume_note = (
                "resumed from an older checkpoint saved on a different device: the noise "
                "stream is reseeded, so this run no longer repeats a straight run step for step"
            )
        set_rng_state(state["rng"])
        self.acc = acc.to(self.device, torch.float32)
        self.acc_n = int(state["metrics_acc_n"])
        if not 0 <= self.acc_n < 2**31:
            raise ValueError(f"metrics_acc_n is {self.acc_n}")

    # --- the loop -----------------------------------------------------------

    def _run(self) -> Iterator[ev.Event]:
        yield from self._setup()
        preset, c = self.preset, self.controls
        log, d_steps = preset.log, preset.train.d_steps
        imgs_per_step = preset.train.batch_size * d_steps
        self.t0 = time.perf_counter() - self.elapsed0
        last_log_t, last_log_step = time.perf_counter(), self.step
        run_t0, run_step0 = last_log_t, self.step
        last_sampled = last_saved = last_eval = -1
        # The first grid comes with the first record, so every family has a picture within
        # seconds (an EBM's sample_every is 500 steps, over a minute on a CPU).
        first_grid = min(log.log_every, log.sample_every)

        while self.step < self.total:
            stop, pause, save = self._controls()
            if stop:
                break
            if pause:
                yield from self._paused()
                last_log_t, last_log_step = time.perf_counter(), self.step
                continue
            base = self.step * d_steps
            # Host-side only (a CPU draw, a generator's seed set): no device sync.
            self.noise_rng.manual_seed(int(torch.randint(2**62, (1,), generator=self.seed_rng)))
            self.acc += self.gan.step(lambda k, b=base: self.batches.batch(b + k), self.noise_rng)
            self.acc_n += 1
            self.step += 1

            if self.step % log.log_every == 0 or self.step == self.total:
                now = time.perf_counter()
                rate = (self.step - last_log_step) * imgs_per_step / max(now - last_log_t, 1e-9)
                last_log_t, last_log_step = now, self.step
                yield self._log_step(rate)
                yield from self._rejected()
            if log.sample_every and self.step % log.sample_every == 0:
                yield from self._sample()
                last_sampled = self.step
            elif log.sample_every and self.step == first_grid:
                yield from self._sample(first=True)
                last_sampled = self.step
            if log.eval_every and self.step % log.eval_every == 0:
                yield from self._evaluate()
                last_eval = self.step
            # One process saves as soon as asked; several, at the step rank 0's flags came with.
            save = save if self.dist.on else c.save.is_set()
            if (log.checkpoint_every and self.step % log.checkpoint_every == 0) or save:
                c.save.clear()
                yield from self._checkpoint()
                last_saved = self.step
            yield from self._train_classifier()

        if self.step >= self.total:  # a finished run's last samples and evaluation count classes
            yield from self._train_classifier(finish=True)
        if last_saved != self.step:
            # Before the partial log below empties the accumulator: a resume then averages
            # the same steps into its next record as a straight run would.
            yield from self._checkpoint()
        if self.acc_n:
            now = time.perf_counter()
            yield self._log_step(
                (self.step - last_log_step) * imgs_per_step / max(now - last_log_t, 1e-9)
            )
        if last_sampled != self.step and self.step > 0:
            yield from self._sample()
        if log.eval_every and last_eval != self.step and self.step > 0:
            yield from self._evaluate()  # a run's final numbers, for `tui-gan compare`
        elapsed = self.elapsed()
        rate = (self.step - run_step0) * imgs_per_step / max(time.perf_counter() - run_t0, 1e-9)
        yield ev.Finished(
            step=self.step,
            state=c.stop_state if self.step < self.total else "finished",
            time=round(elapsed, 3),
            img_per_s=round(rate, 1),
            checkpoint=self.rd.last.name if self.rd.last.is_file() else None,
        )

    def _controls(self, now: bool = False) -> tuple[bool, bool, bool]:
        """(stop, pause, save) as every rank must act on them. One process: the requests as
        they are. Several: rank 0's, broadcast every CONTROL_EVERY steps (or `now`, while
        paused) over the CPU group, so all ranks stop, pause and save at the same step."""
        c = self.controls
        c.poll()  # a remote request announced by a signal is read here, not in the handler
        flags = [c.stop.is_set(), c.pause.is_set(), c.save.is_set()]
        if not self.dist.on:
            return flags[0], flags[1], flags[2]
        if not now and self.step % CONTROL_EVERY:
            return False, False, False
        stop, pause, save = self.dist.sync_flags(flags)
        if stop and not c.stop.is_set():
            c.request_stop("stopped")  # a follower: how the run ends is rank 0's to say
        return stop, pause, save

    def _paused(self) -> Iterator[ev.Event]:
        c = self.controls
        yield ev.Paused(step=self.step, time=round(self.elapsed(), 3))
        while True:
            stop, pause, save = self._controls(now=True)
            if stop or not pause:
                break
            yield from self._rejected()
            if save:
                c.save.clear()
                yield from self._checkpoint()
            if self.counter is not None and self.counter.pending:
                yield from self._train_classifier(budget_s=0.05)  # the idle cores' turn
            else:
                time.sleep(0.05)
        yield ev.Resumed(step=self.step, time=round(self.elapsed(), 3))

    def _rejected(self) -> Iterator[ev.Event]:
        for why in self.controls.take_rejected():
            yield self._notice(why, "warning")

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def epoch(self) -> float:
        return round(self.step / self.steps_per_epoch, 4)

    def _log_step(self, rate: float) -> ev.StepMetrics:
        # The one host sync per log_every steps: the mean of the accumulated device values
        # (over every rank's share of the batch when several processes train).
        self.dist.mean_(self.acc)
        values = (self.acc / max(self.acc_n, 1)).tolist()
        self.acc.zero_()
        self.acc_n = 0
        names = self.gan.metric_names
        if not all(math.isfinite(v) for v in values):
            shown = ", ".join(f"{k}={v:.4g}" for k, v in zip(names, values, strict=True))
            raise TuiGanError(
                f"non-finite loss at step {self.step} ({shown}): {self._advice()}; "
                f"{self._last_good()}"
            )
        logged = dict(zip(names, values, strict=True))
        ratio_ok = self.family.kind == "gan" and self.preset.loss.kind in RATIO_LOSSES
        if ratio_ok and logged["loss_d"] > 0 and logged["loss_g"] > 0:
            # How far D is ahead: a ratio of the window's mean losses (not a mean of per-step
            # ratios, which one near-zero D loss would swamp). Only for losses that are
            # positive and fall as their side wins; hinge and wgan-gp losses are signed.
            logged[RATIO_KEY] = round(logged["loss_g"] / logged["loss_d"], 4)
        return ev.StepMetrics(
            step=self.step,
            epoch=self.epoch(),
            time=round(self.elapsed(), 3),
            **logged,
            img_per_s=round(rate, 1),
        )

    def _advice(self) -> str:
        if self.family.kind == "gan":
            return "lower the learning rates or try --set loss.kind=lsgan"
        if self.family.kind == "ebm":
            return "lower optim.d.lr or ebm.step_size, or raise ebm.alpha"
        return "lower the learning rates"

    def _init_g(self, target: str) -> str:
        """model.init_g_from: G starts from another run's G (a VAE's decoder); the notice."""
        from tui_gan.engine.checkpoint import load_run_checkpoint, resolve_checkpoint

        if target.startswith(LATEST):
            path = latest_run(self.rd.path.parent, target[len(LATEST) :], exclude=self.rd.path)
        else:
            path = resolve_checkpoint(target)
        state = load_run_checkpoint(path)
        if "G" not in state:
            raise CheckpointError(f"{path}: model.init_g_from: it has no decoder or G to load")
        self.gan.init_g_from(state, f"model.init_g_from {path}")
        kind = family(str(state["preset"].get("model", {}).get("family", "?"))).name
        what = "decoder" if kind == "vae" else "G"
        return f"G starts from the {what} of {path} ({kind}, step {state['step']})"

    def _last_good(self) -> str:
        # Only a checkpoint this process saved or resumed from, both found finite: a last.pt
        # left by something else may hold the very NaN this run has just met.
        if self.good is not None and self.good.is_file():
            return f"the last good checkpoint is {self.good}"
        return "it diverged before its first checkpoint, so there is none to resume from"

    def _eval_generator(self) -> torch.Generator:
        # Separate from the training generator, so sampling never shifts training randomness.
        return torch.Generator(self.device).manual_seed(self.preset.train.seed * 7919 + self.step)

    def _sample(self, first: bool = False) -> Iterator[ev.Event]:
        """The grids; `first`: the early one, which draws only the fresh samples it shows (an
        EBM's count_samples chains cost ~10 s on a CPU) and counts no classes (an untrained
        G's few samples would read as a collapse)."""
        if not self.dist.main:  # rank 0 draws the run's pictures; the others train on
            return
        if self.toy:
            yield self._toy_snapshot()
            return
        gan, n = self.gan, self.preset.log.count_samples
        if first:
            k = gan.num_classes if gan.conditional else 1
            n = min(n, max(k, FRESH_PREVIEW // k * k))
        path = self.rd.sample_path(self.step)
        if gan.conditional:
            from tui_gan.engine.latent import noise_by_class

            # The noise-by-class grid: row r is fixed z number r drawn as every class in turn.
            rows = max(1, len(self.fixed_noise) // gan.num_classes)
            images, _ = noise_by_class(gan, self.fixed_noise[:rows])
            nrow = _write_grid(images, path, self.rd.path, nrow=gan.num_classes)
        else:
            nrow = _write_grid(gan.fixed_view(self.fixed_noise), path, self.rd.path)
        recon: dict[str, Any] = {}
        if hasattr(gan, "reconstruct") and self.data is not None:
            recon = self._recon_grid(gan)
        labels = gan.balanced_labels(n)  # None unless conditional: then class i % k for i
        fresh = gan.generate(gan.sample_z(n, self._eval_generator()), labels)
        fresh_path = self.rd.samples / "fresh.png"
        if gan.conditional:  # whole rows of 0..k-1, so each column is one class
            k = gan.num_classes
            preview = fresh[: max(k, FRESH_PREVIEW // k * k)]
            fresh_nrow = _write_grid(preview, fresh_path, self.rd.path, nrow=min(k, len(preview)))
        else:
            fresh_nrow = _write_grid(fresh[:FRESH_PREVIEW], fresh_path, self.rd.path)
        counted: dict[str, Any] = {}
        if self.classifier is not None and self.num_classes and not first:
            from tui_gan.engine.classifier import classify
            from tui_gan.engine.metrics import cond_accuracy, normalised_entropy

            preds = classify(self.classifier, fresh)
            counts = torch.bincount(preds, minlength=self.num_classes).tolist()
            counted = dict(
                class_counts=counts,
                class_entropy=round(normalised_entropy(counts), 4),
                classes_covered=sum(1 for c in counts if c > 0),
                n=n,
            )
            if labels is not None:
                acc = cond_accuracy(preds.cpu().numpy(), labels.cpu().numpy(), self.num_classes)
                counted["cond_accuracy"] = [round(a, 4) for a in acc]
        yield ev.Samples(
            step=self.step,
            epoch=self.epoch(),
            time=round(self.elapsed(), 3),
            path=self.rd.relative(path),
            nrow=nrow,
            fresh=self.rd.relative(fresh_path),
            fresh_nrow=fresh_nrow,
            generator=self.gan.generator,
            **counted,
            **recon,
        )

    def _recon_grid(self, model: Any) -> dict[str, Any]:
        """samples/recon.png: fixed real images each beside its reconstruction (VAE runs)."""
        from tui_gan.engine.data import first_images

        assert self.data is not None
        real = first_images(self.data, RECON_PAIRS).to(self.device)
        pairs = torch.stack([real, model.reconstruct(real)], 1).flatten(0, 1)
        path = self.rd.samples / "recon.png"
        nrow = _write_grid(pairs, path, self.rd.path, nrow=RECON_NROW)
        return dict(recon=self.rd.relative(path), recon_nrow=nrow)

    def _evaluate(self) -> Iterator[ev.Event]:
        from tui_gan.engine.evaluate import build_context, evaluate

        if not self.dist.main:  # rank 0 evaluates; the others wait at their next collective
            return
        if self.counter is not None and self.counter.pending:  # its features are FID's
            yield self._notice(f"no evaluation at step {self.step}: the classifier is not ready")
            return
        if self.eval_ctx is None:
            assert self.spec.classifier_dir is not None
            self.eval_ctx = build_context(
                self.preset,
                self.device,
                self.spec.classifier_dir,
                data=self.data,
                classifier=self.classifier,
            )
            if not self.eval_ctx.toy and self.eval_ctx.classifier is None:
                yield self._notice(
                    "eval_every: this data set has no classifier; no evaluations", "warning"
                )
        if not self.eval_ctx.toy and self.eval_ctx.classifier is None:
            return
        n = self.preset.log.eval_n
        result = evaluate(self.gan, self.eval_ctx, n=n, seed=self.preset.train.seed + self.step)
        yield ev.Evaluated(
            step=self.step,
            epoch=self.epoch(),
            time=round(self.elapsed(), 3),
            **{k: _finite(v) if isinstance(v, float) else v for k, v in result.items()},
        )

    def _toy_snapshot(self) -> ev.Toy1DSnapshot:
        t, n = self.target, self.preset.log.count_samples
        g = self._eval_generator()
        real = t.sample(n, torch.Generator().manual_seed(self.step), self.device).view(-1)
        fake = self.gan.generate(self.gan.sample_z(n, g)).view(-1)
        edges = torch.linspace(t.lo, t.hi, HIST_BINS + 1)
        real_h = torch.histc(real.float().cpu(), HIST_BINS, t.lo, t.hi) / n
        fake_h = torch.histc(fake.float().cpu(), HIST_BINS, t.lo, t.hi) / n
        xs = torch.linspace(t.lo, t.hi, CURVE_POINTS, device=self.device)
        d_curve = self.gan.discriminate(xs.view(-1, 1)).view(-1)
        return ev.Toy1DSnapshot(
            step=self.step,
            epoch=self.epoch(),
            time=round(self.elapsed(), 3),
            n=n,
            bin_edges=_rounded(edges),
            real_hist=_rounded(real_h),
            fake_hist=_rounded(fake_h),
            x_grid=_rounded(xs),
            d_curve=_rounded(d_curve),
            generator=self.gan.generator,
        )

    def _checkpoint(self) -> Iterator[ev.CheckpointSaved]:
        # Every rank's window so far, averaged on every rank: a resume loads it on all, and
        # the next record averages the same values a run that never stopped would.
        self.dist.mean_(self.acc)
        nets = self.gan.state_dict()
        # Never let a diverged model replace the last good checkpoint: its losses and every
        # weight (an update can turn them NaN after the last loss was taken), one sync a save.
        tensors = [*float_tensors(nets), *([self.acc] if self.acc_n else [])]
        if not all_finite(tensors):
            bad = non_finite(nets)
            what = "loss" if bad is None else f"values in its {bad[0]}"
            if bad is not None and bad[0] in NETWORKS:
                what = f"weights in the {NETWORKS[bad[0]]}"
            raise TuiGanError(
                f"non-finite {what} before step {self.step}: not saved; {self._advice()}; "
                f"{self._last_good()}"
            )
        state = {
            "format": CHECKPOINT_FORMAT,
            **nets,
            "step": self.step,
            "epoch": self.epoch(),
            "elapsed": self.elapsed(),
            "preset": self.preset.model_dump(mode="json"),
            "fixed_noise": self.fixed_noise.cpu(),
            "rng": {**rng_state(), "train_gen": self.seed_rng.get_state()},
            "metrics_acc": self.acc.cpu(),
            "metrics_acc_n": self.acc_n,
        }
        if not self.dist.main:  # the weights are the same on every rank: rank 0 writes them
            self.good = self.rd.last
            return
        path = self.rd.ckpt_path(self.step)
        atomic_save(state, path, within=self.rd.path)
        atomic_link(path, self.rd.last, within=self.rd.path)
        self.good = self.rd.last
        self.rd.prune(self.preset.log.keep_checkpoints)
        interp = self._interp_strip()
        yield ev.CheckpointSaved(
            step=self.step,
            path=self.rd.relative(path),
            time=round(self.elapsed(), 3),
            interp=interp and self.rd.relative(interp),
            interp_steps=INTERP_STEPS if interp else None,
        )

    def _interp_strip(self) -> Path | None:
        """samples/interp.png: the same INTERP_ROWS walks between fixed z pairs at every
        checkpoint, so the dashboard's interpolation view shows how G's latent space settles."""
        if self.toy or not self.gan.has_latent:
            return None
        from tui_gan.engine.latent import interpolation

        seed = self.preset.train.seed + 2  # fixed_noise took seed + 1
        images, _, _ = interpolation(self.gan, INTERP_ROWS, INTERP_STEPS, seed=seed)
        path = self.rd.samples / "interp.png"
        _write_grid(images, path, self.rd.path, nrow=INTERP_STEPS)
        return path


LATEST = "latest:"  # model.init_g_from = "latest:PRESET": that preset's newest run beside this


def latest_run(root: Path, preset_name: str, exclude: Path | None = None) -> Path:
    """last.pt of the newest run of a preset under root (the folder this run is in)."""
    import tomllib

    found: list[tuple[float, Path]] = []
    # A sweep's runs live in OUT/SWEEP: the VAE a sweep warm-starts from sits beside it.
    roots = [root, root.parent] if (root / "sweep.json").is_file() else [root]
    for d in (d for r in roots if r.is_dir() for d in r.iterdir()):
        last = d / "last.pt"
        if d == exclude or not last.is_file():
            continue
        try:
            name = tomllib.loads((d / "preset.toml").read_text()).get("name")
        except (OSError, ValueError):
            continue
        if name == preset_name:
            found.append((last.stat().st_mtime, last))
    if not found:
        raise CheckpointError(
            f"model.init_g_from {LATEST}{preset_name}: no {preset_name} run with a checkpoint "
            f"under {root}; train one first: tui-gan train --preset {preset_name} --out {root}"
        )
    return max(found)[1]


def _write_grid(images: torch.Tensor, path: Path, within: Path, nrow: int | None = None) -> int:
    """A grid PNG of samples in [-1, 1], square-ish unless nrow is given; returns its tiles
    per row (the record says it, so a reader cuts the grid right whatever the count)."""
    from torchvision.utils import save_image

    nrow = nrow or max(1, int(math.sqrt(len(images))))
    # The safe writer: a reader never sees half a PNG, and a link planted at the name (or at
    # samples/) is never written through.
    write_file(
        path,
        lambda fh: save_image(
            images, fh, format="png", nrow=nrow, normalize=True, value_range=(-1, 1)
        ),
        within=within,
    )
    return nrow


def _finite(v: float) -> float | None:
    """Rounded for the record; None for a NaN (a degenerate covariance, say): not a number."""
    return round(v, 6) if math.isfinite(v) else None


def _rounded(t: torch.Tensor) -> list[float]:
    return [round(v, 5) for v in t.float().cpu().tolist()]


def preset_from_checkpoint(state: dict[str, Any], source: str) -> Preset:
    return validate(state["preset"], source)
