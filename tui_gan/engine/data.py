"""Training data: torchvision MNIST/FashionMNIST (with the embedded fallback) and image folders."""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from tui_gan.config import Preset
from tui_gan.errors import DataError
from tui_gan.rundir.write import write_file

EMBEDDED_DIR = Path(__file__).resolve().parent.parent / "assets" / "mnist5k"
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".gif", ".webp", ".tif", ".tiff"}


def cache_dir() -> Path:
    base = os.environ.get("TUI_GAN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tui-gan"
    )
    return Path(base)


def default_data_root() -> Path:
    return cache_dir() / "data"


@dataclass
class ImageData:
    """A training set of images; `images` (uint8 NCHW) when in memory, else `folder` files."""

    name: str
    key: str  # what was loaded ("mnist:full:60000"), for messages and classifier cache keys
    channels: int
    size: int
    images: Tensor | None
    labels: Tensor | None
    num_classes: int | None
    files: list[Path] | None = None
    note: str | None = None  # one line the user should see (e.g. the embedded fallback)

    def __len__(self) -> int:
        return len(self.images) if self.images is not None else len(self.files or [])


def embedded_mnist_root() -> Path:
    """Unpack the shipped IDX .gz files once into the cache, laid out as torchvision expects."""
    root = cache_dir() / "embedded-mnist5k"
    raw = root / "MNIST" / "raw"
    if not all((raw / name).is_file() for name in IDX_FILES):
        for name in IDX_FILES:
            with gzip.open(EMBEDDED_DIR / f"{name}.gz", "rb") as src:
                # Atomic: concurrent runs never read half a file.
                write_file(raw / name, functools.partial(shutil.copyfileobj, src))
    return root


def load_embedded_mnist(train: bool = True):
    """The 5,000-digit subset shipped with the package, read by torchvision.datasets.MNIST."""
    from torchvision.datasets import MNIST

    return MNIST(str(embedded_mnist_root()), train=train, download=False)


def _torchvision(name: str, root: Path, train: bool, download: bool):
    from torchvision import datasets

    cls = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    try:
        return cls(str(root), train=train, download=False)
    except RuntimeError:
        pass  # not there yet
    if not download:
        return None
    # torchvision prints progress and per-mirror failures; the user gets one line from us instead.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return cls(str(root), train=train, download=True)
        except Exception:
            return None


def load_labelled(name: str, root: str, download: bool, train: bool = True):
    """(torchvision data set, note) for mnist/fashion-mnist; MNIST falls back to the subset."""
    data_root = Path(root).expanduser() if root else default_data_root()
    ds = _torchvision(name, data_root, train, download)
    if ds is not None:
        return ds, None
    if name == "mnist":
        note = (
            f"MNIST not found under {data_root / 'MNIST' / 'raw'} and not downloadable: "
            "using the embedded 5,000-digit subset"
        )
        return load_embedded_mnist(train), note
    folder = data_root / "FashionMNIST" / "raw"
    raise DataError(
        f"fashion-mnist: data set not found under {folder} and could not be downloaded; "
        "connect to the internet once, or copy the four FashionMNIST IDX files there "
        "(another root: --set data.root=DIR)"
    )


def load_images(preset: Preset) -> ImageData:
    d = preset.data
    if d.name in ("mnist", "fashion-mnist"):
        ds, note = load_labelled(d.name, d.root, d.download, train=True)
        images = ds.data.unsqueeze(1).contiguous()  # uint8 N x 1 x 28 x 28
        key = f"{d.name}:{'embedded-5k' if note else 'full'}:{len(images)}"
        return ImageData(d.name, key, 1, 28, images, ds.targets.long(), 10, note=note)
    if d.name == "faces":
        return _faces_folder(d.root, d.image_size)
    raise DataError(f"data.name {d.name!r} is not an image data set")


def _faces_folder(root: str, size: int) -> ImageData:
    if not root:
        raise DataError(
            "faces: no image folder given; pass one with --set data.root=/path/to/faces"
        )
    folder = Path(root).expanduser()
    if not folder.is_dir():
        raise DataError(f"faces: image folder {folder} does not exist; fix data.root")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"faces: no images (.png/.jpg/...) under {folder}; fix data.root")
    return ImageData("faces", f"faces:{folder}:{len(files)}", 1, size, None, None, None, files)


def _read_face(path: Path, size: int) -> Tensor:
    from PIL import Image
    from torchvision.transforms.functional import pil_to_tensor

    with Image.open(path) as img:
        gray = img.convert("L").resize((size, size), Image.Resampling.BILINEAR)
        return pil_to_tensor(gray)


class FolderDataset(torch.utils.data.Dataset):
    """Per-sample decode and resize: the one place a DataLoader is worth its workers."""

    def __init__(self, files: list[Path], size: int):
        self.files, self.size = files, size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> Tensor:
        return _read_face(self.files[i], self.size)


def first_images(data: ImageData, n: int) -> Tensor:
    """The data set's first n images in [-1, 1] (uint8 in memory, or read from the folder):
    the same real images every time, for figures such as a VAE's reconstructions."""
    if data.images is not None:
        return to_unit_range(data.images[:n].clone())
    files = (data.files or [])[:n]
    return to_unit_range(torch.stack([_read_face(f, data.size) for f in files]))


def to_unit_range(batch_u8: Tensor) -> Tensor:
    """uint8 [0, 255] -> float [-1, 1], the range of G's tanh."""
    return batch_u8.float().div_(127.5).sub_(1.0)


def fits_on_device(nbytes: int, device: torch.device) -> bool:
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes < 0.25 * free  # leave the rest to activations


class BatchSource:
    """Shuffled batches by global batch index; each epoch's order comes from (seed, epoch).

    Deriving the order from the index (instead of an iterator's hidden state) is what makes
    resume exact: batch k of a resumed run is batch k of a straight run.
    """

    def __init__(
        self,
        data: ImageData,
        batch_size: int,
        seed: int,
        device: torch.device,
        labels: bool = False,
        rank: int = 0,
        world: int = 1,
    ):
        """`labels`: batch() returns (images, labels), for a conditional GAN. `rank` of
        `world` processes (torchrun): batch_size is the global batch, and batch() returns
        this rank's slice of it, so N ranks together see the batch one process would."""
        self.data, self.batch_size, self.seed, self.device = data, batch_size, seed, device
        self.rank, self.world = rank, world
        self.local = batch_size // world
        if labels and (data.images is None or data.labels is None):
            raise DataError(f"{data.name}: a conditional GAN needs labelled images")
        n = len(data)
        if n < batch_size:
            raise DataError(
                f"{data.name}: {n} images is fewer than one batch of {batch_size}; "
                "lower train.batch_size"
            )
        self.steps_per_epoch = n // batch_size  # drop the ragged last batch
        self._epoch = -1
        self._perm: Tensor | None = None
        self._images = data.images
        if self._images is not None and fits_on_device(self._images.numel(), device):
            self._images = self._images.to(device)
        self._labels = None
        if labels:
            assert data.labels is not None and self._images is not None
            self._labels = data.labels.to(self._images.device)
        self._loader_iter: Iterator[Tensor] | None = None  # a folder's batches, from a DataLoader
        self._loader_next = -1

    def _order(self, epoch: int) -> Tensor:
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._perm = torch.randperm(len(self.data), generator=g)
            if self._images is not None and self._images.device.type == "cuda":
                # Drawn on the CPU (the same order on any device: resume stays exact), copied
                # from pinned memory without blocking: no host sync at an epoch boundary.
                self._perm = self._perm.pin_memory().to(self._images.device, non_blocking=True)
            self._epoch = epoch
        assert self._perm is not None
        return self._perm

    def batch(self, index: int) -> Tensor | tuple[Tensor, Tensor]:
        epoch, pos = divmod(index, self.steps_per_epoch)
        if self._images is not None:
            start = pos * self.batch_size + self.rank * self.local
            idx = self._order(epoch)[start : start + self.local]
            x = to_unit_range(self._images.index_select(0, idx).to(self.device, non_blocking=True))
            if self._labels is None:
                return x
            return x, self._labels.index_select(0, idx).to(self.device, non_blocking=True)
        return to_unit_range(self._folder_batch(epoch, pos).to(self.device, non_blocking=True))

    def _folder_batch(self, epoch: int, pos: int) -> Tensor:
        if self._loader_iter is None or self._loader_next != index_key(epoch, pos):
            perm = self._order(epoch)
            start = pos * self.batch_size
            # This rank's slice of every global batch from here to the epoch's end.
            subset = [
                i
                for b in range(start, self.steps_per_epoch * self.batch_size, self.batch_size)
                for i in perm[
                    b + self.rank * self.local : b + (self.rank + 1) * self.local
                ].tolist()
            ]
            ds = torch.utils.data.Subset(
                FolderDataset(self.data.files or [], self.data.size), subset
            )
            loader = torch.utils.data.DataLoader(
                ds,
                batch_size=self.local,
                shuffle=False,
                num_workers=min(4, os.cpu_count() or 1),
                pin_memory=self.device.type == "cuda",
            )
            self._loader_iter = iter(loader)
        self._loader_next = index_key(epoch, pos + 1)
        if pos + 1 >= self.steps_per_epoch:
            batch = next(self._loader_iter)
            self._loader_iter = None
            return batch
        return next(self._loader_iter)


def index_key(epoch: int, pos: int) -> int:
    return epoch * 1_000_000_000 + pos
