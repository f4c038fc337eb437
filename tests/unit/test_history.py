"""Unit tests for the bounded, self-downsampling History."""

from __future__ import annotations

import pytest

from tui_gan.view.history import History


def weighted_mean(h: History, n: int) -> float:
    """Mean of the stored points weighted by how many raw values each one stands for."""
    pending = n - len(h.values) * h.stride
    assert 0 <= pending < h.stride
    total = sum(h.values) * h.stride
    if pending:
        total += h.points()[-1] * pending
    return total / n


def test_empty_history():
    h = History(8)
    assert len(h) == 0
    assert h.points() == []
    assert h.last is None
    assert h.stride == 1


def test_odd_capacity_rounds_down_to_even():
    assert History(513).capacity == 512
    assert History(512).capacity == 512


def test_len_counts_stored_points_and_the_partial_bucket():
    h = History(8)
    for i in range(7):
        h.append(float(i))
        assert len(h) == i + 1
    assert h.points() == [float(i) for i in range(7)]
    h.append(7.0)  # the 8th value fills it: pairs merge, stride doubles
    assert h.stride == 2
    assert len(h) == 4
    assert h.points() == [0.5, 2.5, 4.5, 6.5]
    h.append(8.0)  # a partial bucket of one (stride is 2) shows as its own point
    assert len(h) == 5
    assert h.points() == [0.5, 2.5, 4.5, 6.5, 8.0]
    h.append(10.0)
    assert len(h) == 5
    assert h.points() == [0.5, 2.5, 4.5, 6.5, 9.0]


def test_capacity_never_exceeded_over_a_long_run():
    cap = 64
    h = History(cap)
    for i in range(100_000):
        h.append(float(i))
        assert len(h) <= cap
        assert len(h.values) < cap
        if i % 997 == 0:
            assert len(h.points()) == len(h)
    assert len(h.points()) <= cap
    # and it did not collapse to a handful of points
    assert len(h) >= cap // 2


def test_default_capacity_bounded_over_100k_appends():
    h = History()
    for i in range(100_000):
        h.append(i * 0.5)
    assert len(h.points()) <= 512
    assert h.stride >= 100_000 // 512


@pytest.mark.parametrize("n", [1, 7, 64, 65, 1000, 4097, 100_000])
def test_points_cover_the_whole_run_for_a_ramp(n: int):
    h = History(64)
    raw = [float(i) for i in range(n)]
    for v in raw:
        h.append(v)
    pts = h.points()
    raw_mean = sum(raw) / n
    assert weighted_mean(h, n) == pytest.approx(raw_mean, rel=1e-9, abs=1e-9)
    # buckets stay fine-grained: once it has merged it holds at least capacity/2 points
    assert h.stride <= max(1, 2 * n / 64)
    # first point is the mean of the very first bucket, last reaches the end
    assert pts[0] == pytest.approx((h.stride - 1) / 2)
    assert pts[-1] >= (n - 1) - h.stride
    assert pts[0] <= max(1.0, n * 0.02)
    assert pts[-1] >= (n - 1) - max(1.0, n * 0.02)
    # order is preserved: a ramp stays a ramp
    assert all(a < b for a, b in zip(pts, pts[1:], strict=False))


def test_constant_input_stays_constant():
    h = History(16)
    for _ in range(1234):
        h.append(3.25)
    assert h.points() == [3.25] * len(h)


def test_last_is_always_the_latest_raw_value():
    h = History(8)
    for i in range(1000):
        v = (i * 37) % 101 - 50.0
        h.append(v)
        assert h.last == v


def test_points_returns_a_copy():
    h = History(8)
    h.append(1.0)
    h.append(2.0)
    h.points().append(99.0)
    h.points()[0] = -1.0
    assert h.points() == [1.0, 2.0]


@pytest.mark.parametrize("capacity", [0, 1])
def test_tiny_capacity_does_not_crash(capacity: int):
    h = History(capacity)
    for i in range(4):
        h.append(float(i))
    assert h.last == 3.0


# steps ----------------------------------------------------------------------------------------


def test_steps_follow_the_points():
    h = History(8)
    for s in range(10, 80, 10):
        h.append(float(s) / 10, step=s)
    assert h.steps() == [10, 20, 30, 40, 50, 60, 70]
    assert (h.first_step, h.last_step) == (10, 70)
    h.append(8.0, step=80)  # full: pairs merge, steps too (each the mean of its pair)
    assert h.points() == [1.5, 3.5, 5.5, 7.5]
    assert h.steps() == [15, 35, 55, 75]
    h.append(9.0, step=90)  # the partial bucket has its own step
    assert h.steps()[-1] == 90
    assert len(h.steps()) == len(h.points()) == len(h)
    assert (h.first_step, h.last_step) == (10, 90)


def test_steps_without_a_step_count_up_from_zero():
    h = History(8)
    for v in (5.0, 6.0, 7.0):
        h.append(v)
    assert h.steps() == [0, 1, 2]
    h.append(8.0, step=100)
    h.append(9.0)  # the step after the previous one
    assert h.steps() == [0, 1, 2, 100, 101]
    assert h.last_step == 101


def test_steps_stay_bounded_and_span_the_run():
    h = History(64)
    for s in range(0, 500_000, 5):
        h.append(1.0, step=s)
    steps = h.steps()
    assert len(steps) == len(h) <= 64
    assert len(h.step_values) < 64
    assert steps[0] < 500_000 * 0.02
    assert steps[-1] > 500_000 * 0.97
    assert all(a < b for a, b in zip(steps, steps[1:], strict=False))
    assert (h.first_step, h.last_step) == (0, 499_995)


def test_empty_history_has_no_steps():
    h = History(8)
    assert h.steps() == []
    assert h.first_step is None and h.last_step is None
