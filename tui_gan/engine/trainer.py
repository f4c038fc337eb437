"""The training loop: a generator of typed events, steered through a Controls."""

from __future__ import annotations

import math
import os
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tui_gan.config import Preset, to_toml, validate
from tui_gan.engine import events as ev
from tui_gan.engine.checkpoint import (
    atomic_link,
    atomic_save,
    load_checkpoint,
    rng_state,
    set_rng_state,
)
from tui_gan.engine.control import Controls, write_status
from tui_gan.engine.device import pick_device
from tui_gan.engine.gan import GAN
from tui_gan.engine.rundir import RunDir
from tui_gan.errors import CheckpointError, TuiGanError, from_os_error

CHECKPOINT_FORMAT = 1
_CPU_OOM = (
    "out of memory: lower train.batch_size or the model widths, or raise the memory limit "
    "(ulimit -v, the container's)"
)
FRESH_PREVIEW = 64  # fresh samples sent to the UI for the "random" view
HIST_BINS = 60
CURVE_POINTS = 121


@dataclass
class RunSpec:
    preset: Preset
    run_dir: Path
    resume: Path | None = None  # a checkpoint to continue from
    resume_state: dict[str, Any] | None = None  # that checkpoint, if the caller loaded it
    classifier_dir: Path | None = None  # where the class-count classifier is cached
    device: str | None = None  # overrides preset.train.device


def total_steps(preset: Preset, steps_per_epoch: int) -> int:
    t = preset.train
    return t.steps if t.steps > 0 else max(1, t.epochs * steps_per_epoch)


class Trainer:
    def __init__(self, spec: RunSpec, controls: Controls | None = None):
        self.spec = spec
        self.controls = controls or Controls()
        self.step = 0
        self.eval_ctx = None  # built at the first evaluation, then reused
        self.resume_note: str | None = None

    def run(self) -> Iterator[ev.Event]:
        """Yield events until the run ends; failures end it with a Failed event, never a raise."""
        try:
            yield from self._run()
        except TuiGanError as err:
            yield self._failed(str(err), exit_code=err.exit_code)
        except OSError as err:  # a full disk, a folder made read-only under a live run
            mapped = from_os_error(err)
            yield self._failed(str(mapped), exit_code=mapped.exit_code)
        except MemoryError:
            yield self._failed(_CPU_OOM, exit_code=2)
        except torch.cuda.OutOfMemoryError:
            yield self._failed(
                "CUDA out of memory: lower train.batch_size or the model widths, "
                "or free the GPU (nvidia-smi shows who holds it)"
            )
        except Exception as err:  # the UI must survive anything the loop throws
            if isinstance(err, RuntimeError) and "can't allocate memory" in str(err):
                yield self._failed(_CPU_OOM, exit_code=2)  # torch's CPU allocator
                return
            yield self._failed(
                f"{type(err).__name__}: {err}", details=traceback.format_exc().splitlines()
            )
        finally:
            if hasattr(self, "rd"):
                self.rd.close()

    def _notice(self, message: str, level: str = "info") -> ev.Notice:
        self.rd.log({"type": "notice", "step": self.step, "level": level, "message": message})
        return ev.Notice(message, level)

    def _failed(self, message: str, exit_code: int = 1, details=None) -> ev.Failed:
        if hasattr(self, "rd"):  # the record says why, for attach and `tui-gan runs`
            try:
                self.rd.log({"type": "failed", "step": self.step, "error": message})
                write_status(self.rd.path, "failed", step=self.step, error=message)
            except OSError:
                pass  # the disk that failed the run may refuse these too; the event still says
        return ev.Failed(self.step, message, details or [], exit_code)

    # --- set-up -------------------------------------------------------------

    def _setup(self) -> Iterator[ev.Event]:
        spec = self.spec
        state = spec.resume_state
        if state is None and spec.resume:
            state = load_checkpoint(spec.resume)
        preset = spec.preset
        self.preset = preset
        self.device = pick_device(spec.device or preset.train.device)
        self.rd = RunDir(spec.run_dir)
        self.rd.create()
        if state is None:  # a fresh start where a run was killed before its first checkpoint
            self.rd.truncate_after(-1)  # its records describe nothing that survives
        write_status(self.rd.path, "starting", preset=preset.name, step=0)
        self.rd.write_preset(to_toml(preset))

        seed = preset.train.seed
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        self.toy = preset.data.name == "toy1d"
        self.data = None
        if self.toy:
            from tui_gan.engine.toy1d import TARGETS, Toy1DSource

            self.target = TARGETS[preset.data.target]
            self.source: Any = Toy1DSource(
                self.target, preset.data.size, preset.train.batch_size, seed, self.device
            )
            channels, self.num_classes = 1, None
        else:
            from tui_gan.engine.data import BatchSource, load_images

            self.data = load_images(preset)
            if self.data.note:
                yield self._notice(self.data.note, "warning")
            self.source = BatchSource(self.data, preset.train.batch_size, seed, self.device)
            channels, self.num_classes = self.data.channels, self.data.num_classes

        self.task = GAN(preset, channels, self.device)
        self.gen = torch.Generator(self.device).manual_seed(seed)
        n_fixed = preset.log.n_samples
        self.fixed_noise = self.task.sample_z(
            n_fixed, torch.Generator(self.device).manual_seed(seed + 1)
        )
        self.steps_per_epoch = self.source.steps_per_epoch // preset.train.d_steps or 1
        self.total = total_steps(preset, self.steps_per_epoch)
        self.elapsed0 = 0.0
        self.acc = torch.zeros(len(self.task.metric_names), device=self.device)
        self.acc_n = 0
        if state is not None:
            self._restore(state)
            self.rd.truncate_after(self.step)
            if self.resume_note:
                yield self._notice(self.resume_note, "warning")
        self.classifier = None
        if self.num_classes and self.data is not None and self.data.images is not None:
            yield from self._load_classifier()
        write_status(self.rd.path, "running", step=self.step, total_steps=self.total)
        yield ev.RunStarted(
            run_dir=self.rd.path,
            preset=preset.name,
            dataset=self.data.source if self.data else f"toy1d:{preset.data.target}",
            device=str(self.device),
            start_step=self.step,
            total_steps=self.total,
            steps_per_epoch=self.steps_per_epoch,
            batch_size=preset.train.batch_size,
            resumed=state is not None,
            num_classes=self.num_classes,
        )

    def _load_classifier(self) -> Iterator[ev.Event]:
        from tui_gan.engine.classifier import cache_path, get_classifier

        assert self.data is not None and self.data.images is not None
        cache = self.spec.classifier_dir or (self.rd.path.parent / "classifiers")
        if not cache_path(cache, self.data.source).is_file():
            yield self._notice(f"training the {self.data.name} classifier for class counts (once)")
        model, _ = get_classifier(
            cache, self.data.source, self.data.images, self.data.labels, self.num_classes
        )
        self.classifier = model.to(self.device)

    def _restore(self, state: dict[str, Any]) -> None:
        source = str(self.spec.resume or "checkpoint")
        self.task.load_state_dict(state, source)
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
        if not 0 <= self.elapsed0 < 1e12:  # NaN and inf fail this too
            raise ValueError(f"elapsed is {self.elapsed0}")
        noise, acc = state["fixed_noise"], state["metrics_acc"]
        if noise.ndim != 2 or noise.shape[1] != self.preset.model.latent_dim:
            raise ValueError(f"fixed_noise has shape {tuple(noise.shape)}")
        if not noise.is_floating_point() or not acc.is_floating_point():
            raise ValueError("fixed_noise and metrics_acc must be float tensors")
        if acc.shape != self.acc.shape or not bool(torch.isfinite(acc).all()):
            raise ValueError(f"metrics_acc is {acc.tolist()}")  # a saved acc is always finite
        self.fixed_noise = noise.to(self.device)
        gen_state = state["rng"]["train_gen"]
        if not isinstance(gen_state, torch.Tensor) or gen_state.dtype != torch.uint8:
            raise ValueError("rng.train_gen is not a generator state")
        try:
            self.gen.set_state(gen_state)
        except RuntimeError:
            if gen_state.numel() == self.gen.get_state().numel():
                raise ValueError("rng.train_gen is damaged") from None  # same kind, bad bytes
            # Saved on another kind of device: its generator state has another size.
            self.gen.manual_seed(self.preset.train.seed * 1_000_003 + self.step)
            self.resume_note = (
                "resumed on a different device: the noise stream is reseeded, so this run "
                "no longer repeats a straight run step for step"
            )
        set_rng_state(state["rng"])
        self.acc = acc.to(self.device, torch.float32)
        self.acc_n = int(state["metrics_acc_n"])
        if not 0 <= self.acc_n < 2**31:
            raise ValueError(f"metrics_acc_n is {self.acc_n}")

    # --- the loop -----------------------------------------------------------

    def _run(self) -> Iterator[ev.Event]:
        yield from self._setup()
        preset, rd, c = self.preset, self.rd, self.controls
        log, d_steps = preset.log, preset.train.d_steps
        imgs_per_step = preset.train.batch_size * d_steps
        rd.log(
            {
                "type": "start",
                "step": self.step,
                "total_steps": self.total,
                "device": str(self.device),
                "time": self.elapsed0,
            }
        )
        self.t0 = time.perf_counter() - self.elapsed0
        last_log_t, last_log_step = time.perf_counter(), self.step
        run_t0, run_step0 = last_log_t, self.step
        last_sampled = last_saved = last_eval = -1

        while self.step < self.total:
            c.poll()  # a remote request announced by a signal is read here, not in the handler
            if c.stop.is_set():
                break
            if c.pause.is_set():
                yield from self._paused()
                last_log_t, last_log_step = time.perf_counter(), self.step
                continue
            base = self.step * d_steps
            self.acc += self.task.step(lambda k, b=base: self.source.batch(b + k), self.gen)
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
            if log.eval_every and self.step % log.eval_every == 0:
                yield from self._evaluate()
                last_eval = self.step
            if (log.checkpoint_every and self.step % log.checkpoint_every == 0) or c.save.is_set():
                c.save.clear()
                yield self._checkpoint()
                last_saved = self.step

        if last_saved != self.step:
            # Before the partial log below empties the accumulator: a resume then averages
            # the same steps into its next record as a straight run would.
            yield self._checkpoint()
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
        state = c.stop_state if self.step < self.total else "finished"
        rd.log(
            {
                "type": "finished",
                "step": self.step,
                "state": state,
                "time": elapsed,
                "img_per_s": rate,
            }
        )
        write_status(rd.path, state, step=self.step)
        yield ev.Finished(self.step, state, elapsed, rate, rd.last)

    def _paused(self) -> Iterator[ev.Event]:
        c = self.controls
        yield ev.Paused(self.step, True)
        self.rd.log({"type": "paused", "step": self.step, "time": self.elapsed()})
        write_status(self.rd.path, "paused", step=self.step)
        while c.pause.is_set() and not c.stop.is_set():
            yield from self._rejected()
            if c.save.is_set():
                c.save.clear()
                yield self._checkpoint()
            time.sleep(0.05)
            c.poll()
        self.rd.log({"type": "resumed", "step": self.step, "time": self.elapsed()})
        write_status(self.rd.path, "running", step=self.step)
        yield ev.Paused(self.step, False)

    def _rejected(self) -> Iterator[ev.Event]:
        for why in self.controls.take_rejected():
            yield self._notice(why, "warning")

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def epoch(self) -> float:
        return round(self.step / self.steps_per_epoch, 4)

    def _log_step(self, rate: float) -> ev.StepMetrics:
        # The one host sync per log_every steps: the mean of the accumulated device values.
        values = (self.acc / max(self.acc_n, 1)).tolist()
        self.acc.zero_()
        self.acc_n = 0
        names = self.task.metric_names
        if not all(math.isfinite(v) for v in values):
            shown = ", ".join(f"{k}={v:.4g}" for k, v in zip(names, values, strict=True))
            raise TuiGanError(
                f"non-finite loss at step {self.step} ({shown}): lower the learning rates "
                f"or try --set loss.kind=lsgan; {self._last_good()}"
            )
        m = dict(zip(names, values, strict=True))
        record = {
            "type": "step",
            "step": self.step,
            "epoch": self.epoch(),
            "time": round(self.elapsed(), 3),
            **m,
            "img_per_s": round(rate, 1),
        }
        self.rd.log(record)
        return ev.StepMetrics(
            self.step,
            self.epoch(),
            record["time"],
            m["loss_d"],
            m["loss_g"],
            m["d_real"],
            m["d_fake"],
            rate,
        )

    def _last_good(self) -> str:
        if self.rd.last.is_file():
            return f"the last good checkpoint is {self.rd.last}"
        return "it diverged before its first checkpoint, so there is none to resume from"

    def _eval_generator(self) -> torch.Generator:
        # Separate from the training generator, so sampling never shifts training randomness.
        return torch.Generator(self.device).manual_seed(self.preset.train.seed * 7919 + self.step)

    def _sample(self) -> Iterator[ev.Event]:
        if self.toy:
            yield self._toy_snapshot()
            return
        from torchvision.utils import save_image

        n = self.preset.log.count_samples
        fixed = self.task.generate(self.fixed_noise)
        fresh = self.task.generate(self.task.sample_z(n, self._eval_generator()))
        path = self.rd.sample_path(self.step)
        nrow = max(1, int(math.sqrt(len(fixed))))
        # Each grid is written beside its name and renamed over it: a reader never sees half a
        # PNG, and a symlink planted at the name is replaced, not written through.
        grid_tmp = self.rd.samples / ".grid.tmp.png"
        save_image(fixed, grid_tmp, nrow=nrow, normalize=True, value_range=(-1, 1))
        os.replace(grid_tmp, path)
        fresh_tmp = self.rd.samples / ".fresh.tmp.png"
        save_image(fresh[:FRESH_PREVIEW], fresh_tmp, nrow=8, normalize=True, value_range=(-1, 1))
        os.replace(fresh_tmp, self.rd.samples / "fresh.png")
        record: dict[str, Any] = {
            "type": "samples",
            "step": self.step,
            "epoch": self.epoch(),
            "time": round(self.elapsed(), 3),
            "path": str(path.relative_to(self.rd.path)),
            "nrow": nrow,
        }
        counts = entropy = covered = None
        if self.classifier is not None and self.num_classes:
            from tui_gan.engine.classifier import class_stats

            counts, entropy, covered = class_stats(self.classifier, fresh, self.num_classes)
            record.update(
                class_counts=counts, class_entropy=round(entropy, 4), classes_covered=covered, n=n
            )
        self.rd.log(record)
        yield ev.Samples(
            self.step,
            self.epoch(),
            record["time"],
            path,
            _to_uint8(fixed),
            _to_uint8(fresh[:FRESH_PREVIEW]),
            counts,
            entropy,
            covered,
        )

    def _evaluate(self) -> Iterator[ev.Event]:
        from tui_gan.engine.evaluate import build_context, evaluate

        if self.eval_ctx is None:
            cache = self.spec.classifier_dir or (self.rd.path.parent / "classifiers")
            self.eval_ctx = build_context(
                self.preset, self.device, cache, data=self.data, classifier=self.classifier
            )
            if not self.eval_ctx.toy and self.eval_ctx.classifier is None:
                yield self._notice(
                    "eval_every: this data set has no classifier; no evaluations", "warning"
                )
        if not self.eval_ctx.toy and self.eval_ctx.classifier is None:
            return
        n = self.preset.log.eval_n
        result = evaluate(self.task, self.eval_ctx, n=n, seed=self.preset.train.seed + self.step)
        self.rd.log(
            {
                "type": "eval",
                "step": self.step,
                "epoch": self.epoch(),
                "time": round(self.elapsed(), 3),
                **_rounded_dict(result),
            }
        )
        yield ev.Evaluated(self.step, result)

    def _toy_snapshot(self) -> ev.Toy1DSnapshot:
        t, n = self.target, self.preset.log.count_samples
        g = self._eval_generator()
        real = t.sample(n, torch.Generator().manual_seed(self.step), self.device).view(-1)
        fake = self.task.generate(self.task.sample_z(n, g)).view(-1)
        edges = torch.linspace(t.lo, t.hi, HIST_BINS + 1)
        real_h = torch.histc(real.float().cpu(), HIST_BINS, t.lo, t.hi) / n
        fake_h = torch.histc(fake.float().cpu(), HIST_BINS, t.lo, t.hi) / n
        xs = torch.linspace(t.lo, t.hi, CURVE_POINTS, device=self.device)
        d_curve = self.task.discriminate(xs.view(-1, 1)).cpu()
        snap = ev.Toy1DSnapshot(
            self.step,
            self.epoch(),
            round(self.elapsed(), 3),
            edges.numpy(),
            real_h.numpy(),
            fake_h.numpy(),
            xs.cpu().numpy(),
            d_curve.numpy(),
        )
        self.rd.log(
            {
                "type": "toy1d",
                "step": self.step,
                "epoch": self.epoch(),
                "time": snap.time,
                "n": n,
                "bin_edges": _rounded(snap.bin_edges),
                "real_hist": _rounded(snap.real_hist),
                "fake_hist": _rounded(snap.fake_hist),
                "x_grid": _rounded(snap.x_grid),
                "d_curve": _rounded(snap.d_curve),
            }
        )
        return snap

    def _checkpoint(self) -> ev.CheckpointSaved:
        # Never let a diverged model replace the last good checkpoint (one sync per save).
        if self.acc_n and not bool(torch.isfinite(self.acc).all()):
            raise TuiGanError(
                f"non-finite loss before step {self.step}: not saved; lower the learning "
                f"rates or try --set loss.kind=lsgan; {self._last_good()}"
            )
        state = {
            "format": CHECKPOINT_FORMAT,
            **self.task.state_dict(),
            "step": self.step,
            "epoch": self.epoch(),
            "elapsed": self.elapsed(),
            "preset": self.preset.model_dump(mode="json"),
            "fixed_noise": self.fixed_noise.cpu(),
            "rng": {**rng_state(), "train_gen": self.gen.get_state()},
            "metrics_acc": self.acc.cpu(),
            "metrics_acc_n": self.acc_n,
        }
        path = self.rd.ckpt_path(self.step)
        atomic_save(state, path)
        atomic_link(path, self.rd.last)
        self.rd.prune(self.preset.log.keep_checkpoints)
        self.rd.log(
            {
                "type": "checkpoint",
                "step": self.step,
                "path": path.name,
                "time": round(self.elapsed(), 3),
            }
        )
        return ev.CheckpointSaved(self.step, path)


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu().numpy()


def _rounded_dict(d: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in d.items()}


def _rounded(a: np.ndarray) -> list[float]:
    return [round(float(v), 5) for v in a]


def preset_from_checkpoint(state: dict[str, Any], source: str) -> Preset:
    return validate(state["preset"], source)
