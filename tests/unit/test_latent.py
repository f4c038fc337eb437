"""Latent walks: the path's arithmetic, and which z and class each grid tile gets."""

from __future__ import annotations

import math

import torch

from tui_gan.engine.latent import PLAIN_COLUMNS, class_grid, interpolation, lerp_path


def test_linear_path_hits_both_ends_and_extrapolates_along_the_line():
    z0, z1 = torch.randn(3, 5), torch.randn(3, 5)
    t = torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0])
    path = lerp_path(z0, z1, t).view(3, 5, 5)  # row r's steps together
    assert torch.allclose(path[:, 1], z0) and torch.allclose(path[:, 3], z1)
    assert torch.allclose(path[:, 2], (z0 + z1) / 2)
    assert torch.allclose(path[:, 0], 2 * z0 - z1, atol=1e-6)
    assert torch.allclose(path[:, 4], 2 * z1 - z0, atol=1e-6)


def test_slerp_hits_both_ends_and_keeps_the_norm_between_theirs():
    torch.manual_seed(1)
    z0, z1 = torch.randn(4, 64), torch.randn(4, 64)
    t = torch.linspace(0, 1, 9)
    path = lerp_path(z0, z1, t, "slerp").view(4, 9, 64)
    assert torch.allclose(path[:, 0], z0, atol=1e-5) and torch.allclose(path[:, -1], z1, atol=1e-5)
    mid = path[:, 4].norm(dim=1)
    assert torch.allclose(mid, (z0.norm(dim=1) + z1.norm(dim=1)) / 2, atol=1e-4)
    # The straight line's middle falls inside the shell Gaussian z lives on; slerp's does not.
    straight = ((z0 + z1) / 2).norm(dim=1)
    assert bool((straight < 0.85 * mid).all())
    # The angle moves evenly: equal steps of t, equal steps of angle.
    unit = path / path.norm(dim=2, keepdim=True)
    cos = (unit[:, :-1] * unit[:, 1:]).sum(2).clamp(-1, 1)
    angles = torch.acos(cos)
    assert torch.allclose(angles, angles[:, :1].expand_as(angles), atol=1e-3)
    assert not math.isnan(float(angles.sum()))


class FakeGAN:
    """Images that are their z (first column) and label: what went where is readable."""

    device = torch.device("cpu")

    def __init__(self, classes: int = 0):
        self.num_classes, self.conditional = classes, classes > 0

    def sample_z(self, n, g):
        return torch.randn(n, 3, generator=g)

    def generate(self, z, labels=None):
        y = labels.float() if labels is not None else torch.full((len(z),), -1.0)
        return torch.stack([z[:, 0], y], 1)


def test_class_grid_rows_share_z_and_columns_are_classes():
    x, labels, cols = class_grid(FakeGAN(10), rows=3, seed=0)
    assert cols == 10 and labels.tolist() == list(range(10)) * 3
    z = x[:, 0].view(3, 10)
    assert torch.equal(z, z[:, :1].expand(3, 10))  # one z across a row
    assert len(set(z[:, 0].tolist())) == 3  # another z in each row
    x, labels, cols = class_grid(FakeGAN(), rows=2, seed=0)
    assert cols == PLAIN_COLUMNS and len(x) == 2 * PLAIN_COLUMNS and set(labels.tolist()) == {-1}


def test_interpolation_holds_a_class_along_each_row():
    x, t, labels = interpolation(FakeGAN(10), rows=3, steps=4, t_range=(-1, 2), seed=5)
    assert t.tolist() == [-1.0, 0.0, 1.0, 2.0]
    assert labels.view(3, 4).tolist() == [[0] * 4, [1] * 4, [2] * 4]
    x, _, labels = interpolation(FakeGAN(10), rows=2, steps=3, label=7)
    assert set(labels.tolist()) == {7}
    x, _, labels = interpolation(FakeGAN(), rows=2, steps=3)
    assert labels is None and len(x) == 6
    # The same seed walks the same path: the dashboard's strip is comparable across checkpoints.
    a, _, _ = interpolation(FakeGAN(), rows=2, steps=3, seed=9)
    b, _, _ = interpolation(FakeGAN(), rows=2, steps=3, seed=9)
    assert torch.equal(a, b)
