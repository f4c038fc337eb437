"""A LeNet-sized digit classifier that labels generated samples to catch mode collapse."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tui_gan.engine.checkpoint import atomic_save, load_checkpoint
from tui_gan.errors import CheckpointError

# Bump when the architecture or recipe changes: old caches retrain. 3: files carry a
# fingerprint, and the embedded digits' classifier ships with the package (a new number
# also keeps evaluation's cached real features, keyed by it, from pairing with other weights).
CLASSIFIER_VERSION = 3
# Trained by tools/train_digit_classifier.py on the embedded 4,000 digits (assets/mnist5k).
SHIPPED = Path(__file__).resolve().parent.parent / "assets" / "classifiers" / "mnist5k-lenet.pt"
BATCH = 64
EPOCHS = 12


class LeNet(nn.Module):
    """LeNet-5 with ReLU and max-pooling; `features` is the 84-d penultimate layer (for FID)."""

    def __init__(self, channels: int = 1, num_classes: int = 10, size: int = 28):
        super().__init__()
        self.size = size
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


class Training:
    """The recipe as a sequence of small steps (one batch each), so the trainer can run a few
    between its own; train_classifier runs them all. It draws from its own generator, and the
    initial weights from the global one put back afterwards: a run's random streams never
    see it, so a run's losses are the same whether its classifier was cached or not."""

    def __init__(
        self, images: Tensor, labels: Tensor, num_classes: int, epochs: int = EPOCHS, seed: int = 0
    ):
        self.images, self.labels = images.cpu(), labels.cpu()
        self.g = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):  # the CPU generator only: CUDA's is left alone
            torch.default_generator.manual_seed(seed)
            self.model = LeNet(images.shape[1], num_classes, images.shape[2])
        self.opt = torch.optim.Adam(self.model.parameters(), lr=2e-3)
        self.per_epoch = math.ceil(len(images) / BATCH)
        self.total = epochs * self.per_epoch
        self.sched = torch.optim.lr_scheduler.OneCycleLR(
            self.opt, max_lr=3e-3, total_steps=self.total
        )
        self.done = 0
        self.perm = torch.empty(0, dtype=torch.long)
        self.model.train()

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    def step(self) -> None:
        """One batch of the recipe (nothing once it is finished)."""
        from tui_gan.engine.data import to_unit_range

        if self.finished:
            return
        i = self.done % self.per_epoch
        if i == 0:
            self.perm = torch.randperm(len(self.images), generator=self.g)
        idx = self.perm[i * BATCH : (i + 1) * BATCH]
        x = _shift(to_unit_range(self.images[idx]), self.g)
        loss = F.cross_entropy(self.model(x), self.labels[idx])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        self.done += 1
        if self.finished:
            self.model.eval()


def train_classifier(
    images: Tensor, labels: Tensor, num_classes: int, epochs: int = EPOCHS, seed: int = 0
) -> LeNet:
    """Fit on uint8 NCHW images; a few seconds on a CPU for the embedded 4,000 digits."""
    training = Training(images, labels, num_classes, epochs, seed)
    while not training.finished:
        training.step()
    return training.model


def fingerprint(images: Tensor, labels: Tensor, num_classes: int) -> str:
    """What a classifier's weights belong to: the recipe's version, the architecture (each
    layer's type and each weight's shape) and the exact images and labels. A file whose
    fingerprint differs is never loaded, however its name or data key reads."""
    h = hashlib.sha256(f"v{CLASSIFIER_VERSION}:{num_classes}:{tuple(images.shape)}".encode())
    with torch.device("meta"):  # the layout only: no weights drawn, no random numbers used
        model = LeNet(images.shape[1], num_classes, images.shape[2])
    h.update(";".join(f"{n}:{type(m).__name__}" for n, m in model.named_modules()).encode())
    h.update(";".join(f"{n}:{tuple(t.shape)}" for n, t in model.state_dict().items()).encode())
    h.update(images.cpu().contiguous().numpy().tobytes())
    h.update(labels.cpu().to(torch.int64).contiguous().numpy().tobytes())
    return h.hexdigest()


def save_classifier(model: LeNet, path: Path, key: str, source: str) -> None:
    """The one file layout of a classifier, shipped or cached: loads with weights_only=True."""
    first = model.conv[0]
    atomic_save(
        {
            "model": model.state_dict(),
            "channels": first.in_channels,
            "num_classes": model.head.out_features,
            "size": model.size,
            "source": source,
            "fingerprint": key,
        },
        path,
    )


def load_classifier(path: Path, key: str) -> LeNet | None:
    """The classifier saved at path if its fingerprint is key; None when the file is
    missing, damaged or belongs to other data or another recipe (then it is trained anew)."""
    if not path.is_file():
        return None
    try:
        state = load_checkpoint(path)
        if not isinstance(state, dict) or state.get("fingerprint") != key:
            return None
        with torch.random.fork_rng(devices=[]):  # initial weights, overwritten: the run's
            # random stream must not pay for them (a cached classifier or a fresh one alike)
            model = LeNet(int(state["channels"]), int(state["num_classes"]), int(state["size"]))
        model.load_state_dict(state["model"])
    except (CheckpointError, KeyError, TypeError, ValueError, RuntimeError):
        return None
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


def find_classifier(
    cache_dir: Path, data_key: str, images: Tensor, labels: Tensor, num_classes: int
) -> tuple[LeNet | None, str]:
    """(the shipped or cached classifier for these images, or None; their fingerprint)."""
    key = fingerprint(images, labels, num_classes)
    for path in (SHIPPED, cache_path(cache_dir, data_key)):
        model = load_classifier(path, key)
        if model is not None:
            return model, key
    return None, key


def get_classifier(
    cache_dir: Path, data_key: str, images: Tensor, labels: Tensor, num_classes: int
) -> tuple[LeNet, bool]:
    """(classifier, trained_now): the shipped or cached one for these images, or one trained
    now (for as long as that takes) and cached."""
    # The folder exists afterwards either way, as it did when every classifier was cached:
    # evaluation keeps real features there, and callers copy it between run folders.
    cache_dir.mkdir(parents=True, exist_ok=True)
    model, key = find_classifier(cache_dir, data_key, images, labels, num_classes)
    if model is not None:
        return model, False
    model = train_classifier(images, labels, num_classes)
    save_classifier(model, cache_path(cache_dir, data_key), key, data_key)
    return model, True


@torch.no_grad()
def class_stats(model: LeNet, samples: Tensor, num_classes: int) -> tuple[list[int], float, int]:
    """(counts per class, normalised entropy 0..1, classes seen) for samples in [-1, 1]."""
    return stats_of(classify(model, samples), num_classes)


def stats_of(preds: Tensor, num_classes: int) -> tuple[list[int], float, int]:
    """class_stats of classes already predicted (one host sync, for the counts)."""
    from tui_gan.engine.metrics import normalised_entropy

    counts = torch.bincount(preds, minlength=num_classes).tolist()
    return counts, normalised_entropy(counts), sum(1 for c in counts if c > 0)


@torch.no_grad()
def classify(model: LeNet, samples: Tensor) -> Tensor:
    """The classifier's class for each sample in [-1, 1], in chunks that bound memory."""
    return torch.cat([model(samples[i : i + 500]).argmax(1) for i in range(0, len(samples), 500)])
