"""A bounded history that keeps the whole run, downsampled, in constant memory."""

from __future__ import annotations


class History:
    """Up to `capacity` points; when full, adjacent pairs merge (means) and the stride doubles.

    So a sparkline shows the run from step 0 at any length, not only the last N points,
    and memory stays flat over a run of hours.
    """

    def __init__(self, capacity: int = 512):
        self.capacity = max(2, capacity - capacity % 2)  # merging works on pairs
        self.values: list[float] = []
        self.stride = 1  # raw points per stored point
        self._pending: list[float] = []
        self.last: float | None = None
        self.count = 0  # raw points appended: a cheap "has it changed" for redraws

    def append(self, value: float) -> None:
        self.last = value
        self.count += 1
        self._pending.append(value)
        if len(self._pending) < self.stride:
            return
        self.values.append(sum(self._pending) / len(self._pending))
        self._pending.clear()
        if len(self.values) >= self.capacity:
            self.values = [
                (self.values[i] + self.values[i + 1]) / 2 for i in range(0, len(self.values), 2)
            ]
            self.stride *= 2

    def points(self) -> list[float]:
        """Stored points plus the partial bucket, so the newest value is always visible."""
        if self._pending:
            return [*self.values, sum(self._pending) / len(self._pending)]
        return list(self.values)

    def __len__(self) -> int:
        return len(self.values) + (1 if self._pending else 0)
