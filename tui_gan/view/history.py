"""A bounded history that keeps the whole run, downsampled, in constant memory."""

from __future__ import annotations


class History:
    """Up to `capacity` points; when full, adjacent pairs merge (means) and the stride doubles.

    So a sparkline shows the run from step 0 at any length, not only the last N points,
    and memory stays flat over a run of hours. Each point keeps the mean step of the values
    it stands for, so a chart can place it on a step axis.
    """

    def __init__(self, capacity: int = 512):
        self.capacity = max(2, capacity - capacity % 2)  # merging works on pairs
        self.values: list[float] = []
        self.step_values: list[float] = []  # the mean step of each stored point
        self.stride = 1  # raw points per stored point
        self._pending: list[float] = []
        self._pending_steps: list[float] = []
        self.last: float | None = None
        self.first_step: float | None = None  # the step of the first and latest raw value
        self.last_step: float | None = None
        self.count = 0  # raw points appended: a cheap "has it changed" for redraws

    def append(self, value: float, step: float | None = None) -> None:
        """Add the value logged at `step` (without one: the step after the previous)."""
        if step is None:
            step = 0 if self.last_step is None else self.last_step + 1
        if self.first_step is None:
            self.first_step = step
        self.last, self.last_step = value, step
        self.count += 1
        self._pending.append(value)
        self._pending_steps.append(step)
        if len(self._pending) < self.stride:
            return
        self.values.append(sum(self._pending) / len(self._pending))
        self.step_values.append(sum(self._pending_steps) / len(self._pending_steps))
        self._pending.clear()
        self._pending_steps.clear()
        if len(self.values) >= self.capacity:
            self.values = _pair_means(self.values)
            self.step_values = _pair_means(self.step_values)
            self.stride *= 2

    def points(self) -> list[float]:
        """Stored points plus the partial bucket, so the newest value is always visible."""
        if self._pending:
            return [*self.values, sum(self._pending) / len(self._pending)]
        return list(self.values)

    def steps(self) -> list[float]:
        """The step of each of points(), in the same order."""
        if self._pending_steps:
            pending = sum(self._pending_steps) / len(self._pending_steps)
            return [*self.step_values, pending]
        return list(self.step_values)

    def __len__(self) -> int:
        return len(self.values) + (1 if self._pending else 0)


def _pair_means(xs: list[float]) -> list[float]:
    return [(xs[i] + xs[i + 1]) / 2 for i in range(0, len(xs), 2)]
