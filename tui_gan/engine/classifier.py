"""A LeNet-sized digit classifier that labels generated samples to catch mode collapse."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tui_gan.engine.checkpoint import atomic_save, load_checkpoint

CLASSIFIER_VERSION = 2  # bump when the architecture or recipe changes: old caches retrain


class LeNet(nn.Module):
    """LeNet-5 with ReLU and max-pooling; `features` is the 84-d penultimate layer (for FID)."""

    def __init__(self, channels: int = 1, num_classes: int = 10, size: int = 28):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(channels, 6, 5, padding=2),  # 6 x 28 x 28
            nn.ReLU(),
            nn.MaxPool2d(2),  # 6 x 14 x 14
            nn.Conv2d(6, 16, 5),  # 16 x 10 x 10
            nn.ReLU(),
            nn.MaxPool2d(2),  # 16 x 5 x 5
        )
        side = ((size // 2) - 4) // 2
        self.fc = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * side * side, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
        )
        self.head = nn.Linear(84, num_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.fc(self.conv(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def _shift(x: Tensor, generator: torch.Generator) -> Tensor:
    """Random translation by up to 2 px: cheap augmentation that lifts held-out accuracy."""
    padded = F.pad(x, (2, 2, 2, 2), value=-1.0)
    dx, dy = torch.randint(0, 5, (2,), generator=generator).tolist()
    return padded[:, :, dy : dy + x.shape[2], dx : dx + x.shape[3]]


def train_classifier(
    images: Tensor, labels: Tensor, num_classes: int, epochs: int = 12, seed: int = 0
) -> LeNet:
    """Fit on uint8 NCHW images; a few seconds on a CPU for the embedded 4,000 digits."""
    from tui_gan.engine.data import to_unit_range

    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = LeNet(images.shape[1], num_classes, images.shape[2])
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    n, bs = len(images), 64
    steps = epochs * math.ceil(n / bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            x = _shift(to_unit_range(images[idx]), g)
            loss = F.cross_entropy(model(x), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


@torch.no_grad()
def accuracy(model: LeNet, images: Tensor, labels: Tensor) -> float:
    from tui_gan.engine.data import to_unit_range

    model.eval()
    preds = torch.cat(
        [model(to_unit_range(images[i : i + 500])).argmax(1) for i in range(0, len(images), 500)]
    )
    return (preds == labels).float().mean().item()


def cache_path(cache_dir: Path, data_key: str) -> Path:
    key = hashlib.sha1(f"{data_key}:v{CLASSIFIER_VERSION}".encode()).hexdigest()[:12]
    name = data_key.split(":")[0]
    return cache_dir / f"{name}-lenet-{key}.pt"


def get_classifier(
    cache_dir: Path, data_key: str, images: Tensor, labels: Tensor, num_classes: int
) -> tuple[LeNet, bool]:
    """(classifier, trained_now): load the cached one for this data set or train and cache it."""
    path = cache_path(cache_dir, data_key)
    if path.is_file():
        state = load_checkpoint(path)
        model = LeNet(int(state["channels"]), int(state["num_classes"]), int(state["size"]))
        model.load_state_dict(state["model"])
        return model.eval(), False
    model = train_classifier(images.cpu(), labels.cpu(), num_classes)
    cache_dir.mkdir(parents=True, exist_ok=True)
    atomic_save(
        {
            "model": model.state_dict(),
            "channels": images.shape[1],
            "num_classes": num_classes,
            "size": images.shape[2],
            "source": data_key,
        },
        path,
    )
    return model, True


@torch.no_grad()
def class_stats(model: LeNet, samples: Tensor, num_classes: int) -> tuple[list[int], float, int]:
    """(counts per class, normalised entropy 0..1, classes seen) for samples in [-1, 1]."""
    from tui_gan.engine.metrics import normalised_entropy

    counts = torch.bincount(classify(model, samples), minlength=num_classes).tolist()
    return counts, normalised_entropy(counts), sum(1 for c in counts if c > 0)


@torch.no_grad()
def classify(model: LeNet, samples: Tensor) -> Tensor:
    """The classifier's class for each sample in [-1, 1], in chunks that bound memory."""
    return torch.cat([model(samples[i : i + 500]).argmax(1) for i in range(0, len(samples), 500)])
