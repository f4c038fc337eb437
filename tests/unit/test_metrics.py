"""Metrics: FID against the scipy reference, k-NN manifold metrics, class and 1-D statistics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tui_gan.engine import metrics as M
from tui_gan.errors import UsageError


def _scipy_fid(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import linalg

    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def test_fid_matches_the_scipy_reference_on_fixed_features():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2000, 16)) @ rng.normal(size=(16, 16))
    b = rng.normal(0.3, 1.2, size=(2000, 16)) @ rng.normal(size=(16, 16))
    ours, ref = M.frechet_distance(a, b), _scipy_fid(a, b)
    assert ours == pytest.approx(ref, rel=1e-3)
    assert M.frechet_distance(a, a) == pytest.approx(0, abs=1e-6)


def test_prdc_of_a_set_against_itself_is_perfect():
    x = np.random.default_rng(1).normal(size=(300, 8))
    m = M.prdc(x, x.copy())
    assert m["precision"] == 1.0 and m["recall"] == 1.0 and m["coverage"] == 1.0
    assert m["density"] == pytest.approx(1.0, abs=0.05)


def test_prdc_flags_a_collapsed_generator():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(400, 8))
    one = np.repeat(real[:1], 400, axis=0) + rng.normal(scale=1e-3, size=(400, 8))
    m = M.prdc(real, one)
    assert m["recall"] < 0.05 and m["coverage"] < 0.05
    assert m["precision"] == 1.0  # the one mode it makes is real


def test_class_metrics_known_values():
    m = M.class_metrics([5, 5, 0, 0], [1, 1, 1, 1])
    assert m["classes_covered"] == 2
    assert m["class_entropy"] == pytest.approx(0.5)  # log 2 / log 4
    assert m["class_kl"] == pytest.approx(np.log(2))  # 2 x 0.5 x log(0.5 / 0.25)
    uniform = M.class_metrics([3, 3, 3], [10, 10, 10])
    assert uniform["class_entropy"] == pytest.approx(1.0) and uniform["class_kl"] == 0.0


def test_w1_and_ks_known_values():
    x = np.linspace(0, 1, 1001)
    m = M.w1_ks(x, x + 0.25)
    assert m["w1"] == pytest.approx(0.25, abs=2e-3)
    assert m["ks"] == pytest.approx(0.25, abs=2e-3)
    same = M.w1_ks(x, x.copy())
    assert same == {"w1": 0.0, "ks": 0.0}


def test_fid_real_vs_held_out_real_is_small_and_vs_noise_is_large(mnist_classifiers):
    from tui_gan.engine.classifier import get_classifier
    from tui_gan.engine.data import load_embedded_mnist, to_unit_range

    train, test = load_embedded_mnist(True), load_embedded_mnist(False)
    model, _ = get_classifier(
        mnist_classifiers, "mnist:embedded-5k:4000", train.data.unsqueeze(1), train.targets, 10
    )
    real = M.classifier_features(model, to_unit_range(train.data[:1000].unsqueeze(1)))
    held = M.classifier_features(model, to_unit_range(test.data.unsqueeze(1)))
    noise = M.classifier_features(model, torch.rand(1000, 1, 28, 28) * 2 - 1)
    small, large = M.frechet_distance(real, held), M.frechet_distance(real, noise)
    print(f"classifier FID: real vs held-out {small:.3f}, real vs noise {large:.1f}")
    assert small < 0.05 * large


def test_inception_without_weights_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(UsageError) as info:
        M.inception_weights()
    msg = str(info.value)
    assert M.INCEPTION_FILE in msg and str(tmp_path) in msg and "\n" not in msg
    with pytest.raises(UsageError):
        M.inception_weights(str(tmp_path / "nope.pth"))
