"""The mode-collapse classifier: accurate on held-out digits, cached, and its statistics right."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tui_gan.engine.classifier import (
    SHIPPED,
    accuracy,
    cache_path,
    class_stats,
    find_classifier,
    fingerprint,
    get_classifier,
    load_classifier,
)
from tui_gan.engine.data import load_embedded_mnist
from tui_gan.engine.metrics import normalised_entropy


@pytest.fixture(scope="module")
def digits():
    train = load_embedded_mnist(True)
    return train.data.unsqueeze(1), train.targets


@pytest.fixture(scope="module")
def trained(digits, tmp_path_factory: pytest.TempPathFactory):
    """The classifier a run on the embedded digits gets: the shipped one, nothing trained."""
    cache = tmp_path_factory.mktemp("classifiers")
    model, trained_now = get_classifier(cache, "mnist:test", *digits, 10)
    return model, trained_now, cache


def test_the_shipped_classifier_is_current_and_used(trained, digits):
    """tools/train_digit_classifier.py was run for these digits, this network and this
    CLASSIFIER_VERSION; a run on them trains nothing and caches nothing."""
    model, trained_now, cache = trained
    assert load_classifier(SHIPPED, fingerprint(*digits, 10)) is not None, (
        "stale: run tools/train_digit_classifier.py"
    )
    assert not trained_now and list(cache.iterdir()) == []
    assert SHIPPED.stat().st_size < 300_000


def test_held_out_accuracy_is_at_least_96_percent(trained):
    model, _, _ = trained
    test = load_embedded_mnist(False)
    acc = accuracy(model, test.data.unsqueeze(1), test.targets)
    print(f"held-out accuracy on the embedded 1,000-digit test split: {acc:.4f}")
    assert acc >= 0.96


def test_other_data_never_gets_the_shipped_weights(digits):
    """One pixel or one label changed is another data set: nothing shipped or cached fits."""
    images, labels = digits
    pixel, label = images.clone(), labels.clone()
    pixel[0, 0, 0, 0] ^= 1
    label[0] = (label[0] + 1) % 10
    for changed in ((pixel, labels), (images, label)):
        model, _ = find_classifier(Path("/nonexistent"), "mnist:embedded-5k:4000", *changed, 10)
        assert model is None


def test_a_trained_classifier_is_cached_and_loaded_back(digits, tmp_path: Path):
    images, labels = (t[:256].clone() for t in digits)  # not the shipped digits: trained
    before = torch.get_rng_state()
    model, trained_now = get_classifier(tmp_path, "mnist:part", images, labels, 10)
    assert trained_now and cache_path(tmp_path, "mnist:part").is_file()
    assert torch.equal(torch.get_rng_state(), before), "it drew from the global generator"
    again, trained_now = get_classifier(tmp_path, "mnist:part", images, labels, 10)
    assert not trained_now
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert torch.equal(again(x), model(x))
    # The same name over other digits: the file is not theirs, so they get their own.
    other = (t[256:512].clone() for t in digits)
    _, trained_now = get_classifier(tmp_path, "mnist:part", *other, 10)
    assert trained_now


def test_a_damaged_cache_is_trained_again(digits, tmp_path: Path):
    images, labels = (t[:128].clone() for t in digits)
    cache_path(tmp_path, "mnist:part").write_bytes(b"PK\x03\x04 not a checkpoint")
    _, trained_now = get_classifier(tmp_path, "mnist:part", images, labels, 10)
    assert trained_now


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
