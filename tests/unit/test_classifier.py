"""The mode-collapse classifier: accurate on held-out digits, cached, and its statistics right."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tui_gan.engine.classifier import (
    accuracy,
    cache_path,
    class_stats,
    get_classifier,
)
from tui_gan.engine.data import load_embedded_mnist
from tui_gan.engine.metrics import normalised_entropy


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    train = load_embedded_mnist(True)
    cache = tmp_path_factory.mktemp("classifiers")
    model, trained_now = get_classifier(
        cache, "mnist:test", train.data.unsqueeze(1), train.targets, 10
    )
    return model, trained_now, cache


def test_held_out_accuracy_is_at_least_96_percent(trained):
    model, trained_now, _ = trained
    test = load_embedded_mnist(False)
    acc = accuracy(model, test.data.unsqueeze(1), test.targets)
    print(f"held-out accuracy on the embedded 1,000-digit test split: {acc:.4f}")
    assert trained_now and acc >= 0.96


def test_second_call_loads_the_cache(trained):
    model, _, cache = trained
    assert cache_path(cache, "mnist:test").is_file()
    again, trained_now = get_classifier(cache, "mnist:test", torch.empty(0), torch.empty(0), 10)
    assert not trained_now
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert torch.equal(again(x), model(x))


def test_class_stats_on_real_digits(trained):
    model, _, _ = trained
    test = load_embedded_mnist(False)
    x = test.data[:500].unsqueeze(1).float() / 127.5 - 1
    counts, entropy, covered = class_stats(model, x, 10)
    assert sum(counts) == 500 and covered == 10 and entropy > 0.98
    only_ones = x[test.targets[:500] == 1]
    counts, entropy, covered = class_stats(model, only_ones, 10)
    assert covered <= 2 and entropy < 0.15  # collapse onto one class reads as collapse


def test_normalised_entropy_known_values():
    assert normalised_entropy([5, 5, 5, 5]) == pytest.approx(1.0)
    assert normalised_entropy([10, 0, 0, 0]) == 0.0
    # two of four classes equally: log 2 / log 4 = 0.5
    assert normalised_entropy([3, 3, 0, 0]) == pytest.approx(0.5)
    assert normalised_entropy([0, 0]) == 0.0


def test_features_are_the_penultimate_layer(trained):
    model, _, _ = trained
    assert model.features(torch.zeros(2, 1, 28, 28)).shape == (2, 84)


def test_cache_key_depends_on_the_data_source(tmp_path: Path):
    assert cache_path(tmp_path, "mnist:full:60000") != cache_path(
        tmp_path, "mnist:embedded-5k:4000"
    )
