"""Data: the embedded subset through torchvision, device batches, 1-D targets, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tui_gan.engine.data import BatchSource, ImageData, load_embedded_mnist, load_images
from tui_gan.engine.toy1d import TARGETS, Toy1DSource
from tui_gan.errors import DataError
from tui_gan.presets import load_preset


def test_embedded_mnist_loads_through_torchvision():
    from torchvision.datasets import MNIST

    train, test = load_embedded_mnist(True), load_embedded_mnist(False)
    assert isinstance(train, MNIST)
    assert train.data.shape == (4000, 28, 28) and train.data.dtype == torch.uint8
    assert test.data.shape == (1000, 28, 28)
    counts = torch.bincount(torch.cat([train.targets, test.targets]), minlength=10)
    assert counts.tolist() == [500] * 10
    img, label = train[0]  # the normal per-item path works too
    assert img.size == (28, 28) and 0 <= label <= 9


def test_mnist_falls_back_to_the_embedded_subset_with_a_note(tmp_path: Path):
    preset = load_preset("mnist-mlp", (f'data.root="{tmp_path}"', "data.download=false"))
    data = load_images(preset)
    assert len(data) == 4000 and data.num_classes == 10
    assert data.note and "embedded" in data.note and str(tmp_path) in data.note


def test_full_mnist_is_used_when_present(tmp_path: Path):
    import shutil

    from tui_gan.engine.data import embedded_mnist_root

    shutil.copytree(embedded_mnist_root() / "MNIST", tmp_path / "MNIST")
    data = load_images(load_preset("mnist-mlp", (f'data.root="{tmp_path}"',)))
    assert data.note is None and data.key.startswith("mnist:full")


def test_missing_fashion_mnist_is_one_clear_error(tmp_path: Path):
    preset = load_preset("fashion-mlp", (f'data.root="{tmp_path}"', "data.download=false"))
    with pytest.raises(DataError) as info:
        load_images(preset)
    msg = str(info.value)
    assert "fashion-mnist" in msg and str(tmp_path / "FashionMNIST" / "raw") in msg
    assert "--set data.root" in msg and "\n" not in msg


@pytest.mark.parametrize(
    "root, needle", [("", "no image folder"), ("/no/such/dir", "does not exist")]
)
def test_faces_folder_errors(root: str, needle: str):
    with pytest.raises(DataError, match=needle):
        load_images(load_preset("faces-dcgan", (f'data.root="{root}"',)))


def test_faces_folder_batches(tmp_path: Path):
    from PIL import Image

    for i in range(10):
        Image.fromarray(np.full((40, 30, 3), i * 20, np.uint8)).save(tmp_path / f"{i}.png")
    data = load_images(load_preset("faces-dcgan", (f'data.root="{tmp_path}"',)))
    src = BatchSource(data, 4, seed=0, device=torch.device("cpu"))
    a, b = src.batch(0), src.batch(1)
    assert a.shape == (4, 1, 24, 24) and a.min() >= -1 and a.max() <= 1
    assert torch.equal(BatchSource(data, 4, 0, torch.device("cpu")).batch(1), b)  # resumable


def _data(n: int = 10) -> ImageData:
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 1, 2, 2).contiguous()
    return ImageData("t", "t", 1, 2, images, None, None)


def test_batch_source_covers_each_epoch_once_and_is_deterministic():
    src = BatchSource(_data(10), 3, seed=5, device=torch.device("cpu"))
    assert src.steps_per_epoch == 3  # ragged last batch dropped
    seen = torch.cat([src.batch(i)[:, 0, 0, 0] for i in range(3)])
    values = ((seen + 1) * 127.5).round().long()
    assert len(set(values.tolist())) == 9  # no repeats inside an epoch
    other = BatchSource(_data(10), 3, seed=5, device=torch.device("cpu"))
    assert torch.equal(other.batch(4), src.batch(4))  # batch k depends only on (seed, k)
    assert not torch.equal(src.batch(0), src.batch(3))  # a new order each epoch


def test_batch_source_rejects_tiny_data():
    with pytest.raises(DataError, match="fewer than one batch"):
        BatchSource(_data(2), 3, 0, torch.device("cpu"))


def test_sine_target_matches_its_density():
    t = TARGETS["sine"]
    x = t.sample(200_000, torch.Generator().manual_seed(0), torch.device("cpu")).view(-1)
    assert x.min() >= -torch.pi and x.max() <= torch.pi
    hist = torch.histc(x, 20, -torch.pi, torch.pi) / len(x) / (2 * torch.pi / 20)
    centers = torch.linspace(-torch.pi, torch.pi, 41)[1::2]
    assert torch.allclose(hist, t.density(centers), atol=0.01)


def test_toy_source_is_deterministic_by_index():
    a = Toy1DSource(TARGETS["mixture"], 1000, 100, 3, torch.device("cpu"))
    b = Toy1DSource(TARGETS["mixture"], 1000, 100, 3, torch.device("cpu"))
    assert a.steps_per_epoch == 10
    assert torch.equal(a.batch(7), b.batch(7)) and not torch.equal(a.batch(7), a.batch(8))
