"""Train the digit classifier shipped for the embedded digits (tui_gan/assets/mnist5k), so a
run on them counts classes from its first samples instead of training it first.

    .venv/bin/python tools/train_digit_classifier.py           # writes engine/classifier.SHIPPED
    .venv/bin/python tools/train_digit_classifier.py --check   # is the shipped file current?

The recipe is train_classifier's, in one thread with deterministic kernels, so a rerun with
the same torch writes the same weights. The file carries the fingerprint of the data, the
architecture and CLASSIFIER_VERSION: when any of them changes, tui-gan stops loading it (and
trains its own, alongside the run) until this script is run again. Changing the recipe means
bumping CLASSIFIER_VERSION, which also retires evaluation's cached real features.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from tui_gan.engine.classifier import (
    SHIPPED,
    accuracy,
    fingerprint,
    load_classifier,
    save_classifier,
    train_classifier,
)
from tui_gan.engine.data import load_embedded_mnist

SOURCE = "mnist:embedded-5k:4000"  # the data key a run on the embedded digits reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args()
    train, test = load_embedded_mnist(True), load_embedded_mnist(False)
    images, labels = train.data.unsqueeze(1), train.targets
    key = fingerprint(images, labels, 10)
    shipped = load_classifier(SHIPPED, key)
    if args.check:
        print(f"{SHIPPED}: {'current' if shipped is not None else 'missing or stale'}")
        sys.exit(0 if shipped is not None else 1)
    torch.set_num_threads(1)  # one thread's sums: the same bytes on every run
    torch.use_deterministic_algorithms(True)
    t0 = time.perf_counter()
    model = train_classifier(images, labels, 10)
    took = time.perf_counter() - t0
    held_out = accuracy(model, test.data.unsqueeze(1), test.targets)
    if held_out < 0.96:
        raise SystemExit(f"held-out accuracy {held_out:.4f} < 0.96: not written")
    SHIPPED.parent.mkdir(parents=True, exist_ok=True)
    save_classifier(model, SHIPPED, key, SOURCE)
    size = SHIPPED.stat().st_size
    print(f"{SHIPPED}: {size / 1024:.0f} KiB, trained in {took:.1f} s, held-out {held_out:.4f}")


if __name__ == "__main__":
    main()
