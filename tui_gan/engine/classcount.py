"""The classifier that counts a run's samples per class, ready at once or trained alongside.

Shipped (the embedded digits) or cached from an earlier run, it is there before step 1.
Otherwise the training loop does not wait for it: it trains in slices between training
steps, on the loop's own thread, and class counts follow once it is ready.

Why slices and not a background thread: on a 2-core machine torch's threads already hold
both cores, and a second thread of torch work brings its own. Measured beside mnist-mlp on
the 2-core box (other jobs running), a thread cut training to 45% of its speed while the
classifier got 41% of its own: ~15% of the machine lost to oversubscription, and the split
left to the scheduler. Slices (at 1/3) gave training 63-74% and the classifier 31-36%,
nothing lost, the split ours: SHARE of the loop's wall time, and all of it while paused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import torch

from tui_gan.engine.classifier import (
    LeNet,
    Training,
    cache_path,
    find_classifier,
    save_classifier,
)
from tui_gan.engine.data import ImageData
from tui_gan.errors import UsageError

SHARE = 1 / 3  # of the loop's wall time while the classifier trains
MAX_SLICE_S = 0.5  # a slice never holds training up longer than this (after a pause, say)
PROGRESS = (0.25, 0.5, 0.75)  # notices at these shares of the classifier's training


class ClassCounter:
    """Holds the run's classifier: `model` is None until it is ready."""

    def __init__(self, data: ImageData, cache_dir: Path, device: torch.device):
        assert data.images is not None and data.labels is not None and data.num_classes
        self.name, self.data_key, self.device = data.name, data.key, device
        self.path = cache_path(cache_dir, data.key)
        found, self.key = find_classifier(
            cache_dir, data.key, data.images, data.labels, data.num_classes
        )
        self.model: LeNet | None = None if found is None else found.to(device)
        self.training: Training | None = None
        if found is None:
            self.training = Training(data.images, data.labels, data.num_classes)
        self.credit = 0.0  # seconds of classifier work owed to it
        self.last: float | None = None  # when the loop last handed over
        self.spent = 0.0
        self.told = 0  # progress notices given

    @property
    def pending(self) -> bool:
        return self.training is not None

    def start_notice(self) -> str | None:
        if self.training is None:
            return None
        return (
            f"class counts: the {self.name} classifier trains alongside the run (once, then "
            f"cached; {SHARE:.0%} of the time until it is ready); its counts follow then"
        )

    def work(self, budget_s: float | None = None) -> Iterator[str]:
        """Between training steps: train for SHARE of the time since the last call (or for
        budget_s, the loop being idle); yields notices of progress and of readiness."""
        if self.training is None:
            return
        now = time.perf_counter()
        if budget_s is None:
            if self.last is None:  # the first call only starts the clock
                self.last = now
                return
            self.credit += (now - self.last) * SHARE / (1 - SHARE)
        else:
            self.credit += budget_s
        self.credit = min(self.credit, MAX_SLICE_S)
        t0 = now
        while self.credit > 0 and not self.training.finished:
            self.training.step()
            t1 = time.perf_counter()
            self.credit -= t1 - t0
            self.spent += t1 - t0
            t0 = t1
        self.last = t0
        yield from self._progress()

    def finish(self) -> Iterator[str]:
        """The rest at once (the run has ended and wants its final counts)."""
        if self.training is None:
            return
        t0 = time.perf_counter()
        while not self.training.finished:
            self.training.step()
        self.spent += time.perf_counter() - t0
        yield from self._progress()

    def _progress(self) -> Iterator[str]:
        training = self.training
        assert training is not None
        share = training.done / training.total
        if training.finished:
            cached = f"cached as {self.path.name}" if self._ready(training.model) else "not cached"
            yield (
                f"class counts: the {self.name} classifier is ready ({self.spent:.1f} s of "
                f"training, {cached}); samples are counted from here on"
            )
            return
        while self.told < len(PROGRESS) and share >= PROGRESS[self.told]:
            self.told += 1
            left = self.spent * (1 - share) / share / SHARE  # wall time, at SHARE of it
            yield f"class counts: the classifier is {share:.0%} trained, ready in ~{left:.0f} s"

    def _ready(self, model: LeNet) -> bool:
        """Take the trained model into use; whether it could be cached for later runs."""
        self.training = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            save_classifier(model, self.path, self.key, self.data_key)  # from the CPU
            cached = True
        except (OSError, UsageError):  # read-only, full, a link planted: the next run retrains
            cached = False
        self.model = model.to(self.device)
        return cached
