"""The training loop: a generator of typed events, steered through a Controls. Its set-up is
context.py's, its pictures pictures.py's, its checkpoint's layout checkpoint.py's, and its
records the recorder's."""

from __future__ import annotations

import math
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, Literal

import torch

from tui_gan.engine import capabilities as caps
from tui_gan.engine import checkpoint as ck
from tui_gan.engine import events as ev
from tui_gan.engine import failure, pictures
from tui_gan.engine.context import RunContext, RunSpec, set_up
from tui_gan.engine.control import Controls
from tui_gan.engine.dist import CONTROL_EVERY
from tui_gan.errors import TuiGanError
from tui_gan.families import RATIO_KEY


class Trainer:
    ctx: RunContext  # made by the set-up that starts run(); every other method comes after

    def __init__(self, spec: RunSpec, controls: Controls | None = None):
        self.spec = spec
        self.controls = controls or Controls()
        self.loop = ck.LoopState()  # step, accumulated metrics: what a checkpoint keeps
        self.t0 = 0.0  # perf_counter() when this run's clock read 0 s
        self.evaluations = pictures.Evaluations()
        self.good: Path | None = None  # the checkpoint known finite: saved or resumed from

    def run(self) -> Generator[ev.Event, None, None]:
        """Yield events until the run ends; failures end it with a Failed event, never a raise."""
        try:
            yield from self._run()
        except Exception as err:  # the UI must survive anything the loop throws
            yield failure.failed(err, self.loop.step, self.spec.dist)

    def _run(self) -> Iterator[ev.Event]:
        ctx = self.ctx = yield from set_up(self.spec, self.loop)
        if self.spec.resume_state is not None:
            self.good = self.spec.resume  # load_run_checkpoint found its weights finite
        loop, gan, batches, c, log = self.loop, ctx.gan, ctx.batches, self.controls, ctx.preset.log
        yield ctx.started(loop, resumed=self.spec.resume_state is not None)
        d_steps = ctx.preset.train.d_steps
        imgs_per_step = ctx.preset.train.batch_size * d_steps
        self.t0 = time.perf_counter() - loop.elapsed
        last_log_t, last_log_step = time.perf_counter(), loop.step
        run_t0, run_step0 = last_log_t, loop.step
        last_sampled = last_saved = last_eval = -1
        # The first grid comes with the first record, so every family has a picture within
        # seconds (an EBM's sample_every is 500 steps, over a minute on a CPU).
        first_grid = min(log.log_every, log.sample_every)

        while loop.step < ctx.total:
            stop, pause, save = self._controls()
            if stop:
                break
            if pause:
                yield from self._paused()
                last_log_t, last_log_step = time.perf_counter(), loop.step
                continue
            base = loop.step * d_steps
            # Host-side only (a CPU draw, a generator's seed set): no device sync.
            ctx.noise_rng.manual_seed(int(torch.randint(2**62, (1,), generator=ctx.seed_rng)))

            def real_batch(k: int, b: int = base) -> torch.Tensor | tuple[torch.Tensor, ...]:
                return batches.batch(b + k)  # the k-th batch this step draws

            loop.acc += gan.step(real_batch, ctx.noise_rng)
            loop.acc_n += 1
            loop.step += 1
            step = loop.step

            if step % log.log_every == 0 or step == ctx.total:
                now = time.perf_counter()
                rate = (step - last_log_step) * imgs_per_step / max(now - last_log_t, 1e-9)
                last_log_t, last_log_step = now, step
                yield self._log_step(rate)
                yield from self._rejected()
            if log.sample_every and step % log.sample_every == 0:
                yield from self._sample()
                last_sampled = step
            elif log.sample_every and step == first_grid:
                yield from self._sample(first=True)
                last_sampled = step
            if log.eval_every and step % log.eval_every == 0:
                yield from self._evaluate()
                last_eval = step
            # One process saves as soon as asked; several, at the step rank 0's flags came with.
            save = save if ctx.dist.on else c.save.is_set()
            if (log.checkpoint_every and step % log.checkpoint_every == 0) or save:
                c.save.clear()
                yield from self._checkpoint()
                last_saved = step
            yield from self._train_classifier()

        step = loop.step
        if step >= ctx.total:  # a finished run's last samples and evaluation count classes
            yield from self._train_classifier(finish=True)
        if last_saved != step:
            # Before the partial log below empties the accumulator: a resume then averages
            # the same steps into its next record as a straight run would.
            yield from self._checkpoint()
        if loop.acc_n:
            now = time.perf_counter()
            yield self._log_step(
                (step - last_log_step) * imgs_per_step / max(now - last_log_t, 1e-9)
            )
        if last_sampled != step and step > 0:
            yield from self._sample()
        if log.eval_every and last_eval != step and step > 0:
            yield from self._evaluate()  # a run's final numbers, for `tui-gan compare`
        elapsed = self.elapsed()
        rate = (step - run_step0) * imgs_per_step / max(time.perf_counter() - run_t0, 1e-9)
        yield ev.Finished(
            step=step,
            state=c.stop_state if step < ctx.total else "finished",
            time=round(elapsed, 3),
            img_per_s=round(rate, 1),
            checkpoint=ctx.rd.last.name if ctx.rd.last.is_file() else None,
        )

    # --- what the loop does between steps ---------------------------------------------------

    def _controls(self, now: bool = False) -> tuple[bool, bool, bool]:
        """(stop, pause, save) as every rank must act on them. One process: the requests as
        they are. Several: rank 0's, broadcast every CONTROL_EVERY steps (or `now`, while
        paused) over the CPU group, so all ranks stop, pause and save at the same step."""
        c, dist = self.controls, self.ctx.dist
        c.poll()  # a remote request announced by a signal is read here, not in the handler
        flags = [c.stop.is_set(), c.pause.is_set(), c.save.is_set()]
        if not dist.on:
            return flags[0], flags[1], flags[2]
        if not now and self.loop.step % CONTROL_EVERY:
            return False, False, False
        stop, pause, save = dist.sync_flags(flags)
        if stop and not c.stop.is_set():
            c.request_stop("stopped")  # a follower: how the run ends is rank 0's to say
        return stop, pause, save

    def _paused(self) -> Iterator[ev.Event]:
        c, counter = self.controls, self.ctx.counter
        yield ev.Paused(step=self.loop.step, time=round(self.elapsed(), 3))
        while True:
            stop, pause, save = self._controls(now=True)
            if stop or not pause:
                break
            yield from self._rejected()
            if save:
                c.save.clear()
                yield from self._checkpoint()
            if counter is not None and counter.pending:
                yield from self._train_classifier(budget_s=0.05)  # the idle cores' turn
            else:
                time.sleep(0.05)
        yield ev.Resumed(step=self.loop.step, time=round(self.elapsed(), 3))

    def _rejected(self) -> Iterator[ev.Event]:
        for why in self.controls.take_rejected():
            yield self._notice(why, "warning")

    def _train_classifier(
        self, budget_s: float | None = None, finish: bool = False
    ) -> Iterator[ev.Event]:
        """A slice of the class counter's training while it is not ready; its notices."""
        counter = self.ctx.counter
        if counter is None or not counter.pending:
            return
        for note in counter.finish() if finish else counter.work(budget_s):
            yield self._notice(note)

    def _log_step(self, rate: float) -> ev.StepMetrics:
        ctx, loop = self.ctx, self.loop
        # The one host sync per log_every steps: the mean of the accumulated device values
        # (over every rank's share of the batch when several processes train).
        ctx.dist.mean_(loop.acc)
        values = (loop.acc / max(loop.acc_n, 1)).tolist()
        loop.acc.zero_()
        loop.acc_n = 0
        names = ctx.gan.metric_names
        if not all(math.isfinite(v) for v in values):
            shown = ", ".join(f"{k}={v:.4g}" for k, v in zip(names, values, strict=True))
            raise TuiGanError(
                f"non-finite loss at step {loop.step} ({shown}): {self._advice()}; "
                f"{self._last_good()}"
            )
        logged = dict(zip(names, values, strict=True))
        ratio_ok = caps.logs_gd_ratio(ctx.family, ctx.preset.loss.kind)
        if ratio_ok and logged["loss_d"] > 0 and logged["loss_g"] > 0:
            # How far D is ahead: a ratio of the window's mean losses (not a mean of per-step
            # ratios, which one near-zero D loss would swamp).
            logged[RATIO_KEY] = round(logged["loss_g"] / logged["loss_d"], 4)
        return ev.StepMetrics.of(logged, **self._stamp(), img_per_s=round(rate, 1))

    def _sample(self, first: bool = False) -> Iterator[ev.Event]:
        ctx = self.ctx
        if not ctx.dist.main:  # rank 0 draws the run's pictures; the others train on
            return
        if ctx.toy:
            toy = pictures.toy_snapshot(ctx, self.loop.step)
            yield ev.Toy1DSnapshot(**toy, **self._stamp())
            return
        drawn = pictures.samples(ctx, self.loop.step, first)
        yield ev.Samples(**drawn, **self._stamp())

    def _evaluate(self) -> Iterator[ev.Event]:
        if not self.ctx.dist.main:  # rank 0 evaluates; the others wait at their next collective
            return
        result = yield from self.evaluations.run(self.ctx, self.loop.step)
        if result is not None:
            yield ev.Evaluated(**self._stamp(), **result)

    def _checkpoint(self) -> Iterator[ev.CheckpointSaved]:
        ctx, loop, rd = self.ctx, self.loop, self.ctx.rd
        # Every rank's window so far, averaged on every rank: a resume loads it on all, and
        # the next record averages the same values a run that never stopped would.
        ctx.dist.mean_(loop.acc)
        model = ctx.gan.state_dict()
        # Never let a diverged model replace the last good checkpoint: its losses and every
        # weight (an update can turn them NaN after the last loss was taken).
        if (what := ck.unsaveable(model, loop)) is not None:
            raise TuiGanError(
                f"non-finite {what} before step {loop.step}: not saved; {self._advice()}; "
                f"{self._last_good()}"
            )
        state = ck.run_checkpoint(
            model,
            ctx.preset.model_dump(mode="json"),
            loop,
            epoch=self.epoch(),
            elapsed=self.elapsed(),
            fixed_noise=ctx.fixed_noise,
            train_gen=ctx.seed_rng,
        )
        if not ctx.dist.main:  # the weights are the same on every rank: rank 0 writes them
            self.good = rd.last
            return
        path = rd.ckpt_path(loop.step)
        ck.atomic_save(state, path, within=rd.path)
        ck.atomic_link(path, rd.last, within=rd.path)
        self.good = rd.last
        rd.prune(ctx.preset.log.keep_checkpoints)
        interp = pictures.interp_strip(ctx)
        yield ev.CheckpointSaved(
            step=loop.step,
            path=rd.relative(path),
            time=round(self.elapsed(), 3),
            interp=rd.relative(interp) if interp else None,
            interp_steps=pictures.INTERP_STEPS if interp else None,
        )

    # --- small answers ----------------------------------------------------------------------

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def epoch(self) -> float:
        return round(self.loop.step / self.ctx.steps_per_epoch, 4)

    def _stamp(self) -> dict[str, Any]:
        """When a record is made: its step, epoch and time."""
        return {"step": self.loop.step, "epoch": self.epoch(), "time": round(self.elapsed(), 3)}

    def _notice(self, message: str, level: Literal["info", "warning"] = "info") -> ev.Notice:
        return ev.Notice(step=self.loop.step, message=message, level=level)

    def _advice(self) -> str:
        return caps.divergence_advice(self.ctx.family)

    def _last_good(self) -> str:
        # Only a checkpoint this process saved or resumed from, both found finite: a last.pt
        # left by something else may hold the very NaN this run has just met.
        if self.good is not None and self.good.is_file():
            return f"the last good checkpoint is {self.good}"
        return "it diverged before its first checkpoint, so there is none to resume from"
