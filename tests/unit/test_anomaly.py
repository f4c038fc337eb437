"""Anomaly scores: AUROC by ranks, and the seed's transformed sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tui_gan.engine.anomaly import SETS, anomaly_sets, auroc, score_table


def test_auroc_of_separated_identical_and_reversed_scores():
    a = np.array([3.0, 4.0, 5.0])
    assert auroc(a, a - 10) == 1.0
    assert auroc(a, a + 10) == 0.0
    assert auroc(a, a) == 0.5  # every pair ties: half each


def test_auroc_counts_pairs():
    # Normal 1, 3 against anomalous 2: pairs (1>2 no), (3>2 yes) -> 1/2; with a tie at 3: 0.5/2.
    assert auroc(np.array([1.0, 3.0]), np.array([2.0])) == 0.5
    assert auroc(np.array([1.0, 3.0]), np.array([3.0])) == 0.25
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=200), rng.normal(size=150) - 0.5
    pairs = (x[:, None] > y[None, :]).mean() + 0.5 * (x[:, None] == y[None, :]).mean()
    assert auroc(x, y) == pytest.approx(pairs)


def test_the_sets_are_the_seeds_transforms():
    real = torch.rand(5, 1, 28, 28) * 2 - 1
    sets = anomaly_sets(real, seed=0)
    assert list(sets) == list(SETS)
    assert all(s.shape == real.shape for s in sets.values())
    assert torch.equal(sets["hflip"].flip(-1), real)
    assert torch.equal(sets["vflip"].flip(-2), real)
    assert torch.equal(sets["rot90"].rot90(-1, (-2, -1)), real)
    small = sets["downscaled"]
    assert bool((small[..., :7, :] == -1).all()) and bool((small[..., 21:, :] == -1).all())
    assert torch.allclose(small[..., 7:21, 7:21], torch.nn.functional.avg_pool2d(real, 2))
    assert sets["noise"].min() >= -1 and sets["noise"].max() <= 1


def test_score_table_rows_and_a_detector_that_knows_noise():
    class Smooth:
        device = torch.device("cpu")

        def score(self, x):  # high for smooth images, low for noise
            return -(x[..., 1:] - x[..., :-1]).abs().flatten(1).mean(1)

    real = -torch.ones(40, 1, 28, 28)
    real[:, :, 6:22, 10:18] = 1.0
    table = score_table(Smooth(), real)
    assert table["real"]["auroc"] is None
    assert table["noise"]["auroc"] == 1.0
    assert table["hflip"]["auroc"] == 0.5  # a symmetric bar: flips change nothing
    assert set(table["noise"]) == {"mean", "std", "auroc"}
