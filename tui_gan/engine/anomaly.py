"""Anomaly scores: a model's score on held-out data against noise and transformed digits (AUROC)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

# The seed's (002) table: what a density model should find unlike the data, and why each.
SETS = {
    "real": "held-out real images (the reference row)",
    "noise": "uniform noise in the pixel range",
    "hflip": "real images flipped left-right",
    "vflip": "real images flipped upside down",
    "rot90": "real images rotated 90 degrees",
    "downscaled": "real images at half size, padded back with background",
}


def anomaly_sets(real: Tensor, seed: int = 0) -> dict[str, Tensor]:
    """Each set of SETS built from `real` ((N, C, S, S) in [-1, 1]), N images each."""
    g = torch.Generator().manual_seed(seed)
    noise = torch.rand(real.shape, generator=g) * 2 - 1
    s = real.shape[-1]
    half = F.interpolate(real, size=(s // 2, s // 2), mode="area")
    lo = (s - s // 2) // 2
    small = F.pad(half, (lo, s - s // 2 - lo, lo, s - s // 2 - lo), value=-1.0)
    return {
        "real": real,
        "noise": noise.to(real.dtype),
        "hflip": real.flip(-1),
        "vflip": real.flip(-2),
        "rot90": real.rot90(1, (-2, -1)),
        "downscaled": small,
    }


def auroc(normal: np.ndarray, anomalous: np.ndarray) -> float:
    """P(a normal image scores above an anomalous one), ties counting half: the area under
    the ROC curve of the score as a detector (Mann-Whitney U). 0.5 = cannot tell them apart."""
    x = np.concatenate([normal, anomalous]).astype(np.float64)
    order = np.argsort(x, kind="mergesort")
    _, start, counts = np.unique(x[order], return_index=True, return_counts=True)
    ranks = np.empty(len(x))
    ranks[order] = np.repeat(start + (counts + 1) / 2, counts)  # tied values share their mean rank
    n, m = len(normal), len(anomalous)
    u = ranks[:n].sum() - n * (n + 1) / 2
    return float(u / (n * m))


def score_table(model: Any, real: Tensor, seed: int = 0) -> dict[str, dict[str, float | None]]:
    """For each set: mean and std of model.score, and its AUROC against the real images (None
    for the real images themselves)."""
    scores = {
        name: model.score(x.to(model.device)).float().cpu().numpy()
        for name, x in anomaly_sets(real, seed).items()
    }
    ref = scores["real"]
    return {
        name: {
            "mean": float(s.mean()),
            "std": float(s.std()),
            "auroc": None if name == "real" else round(auroc(ref, s), 4),
        }
        for name, s in scores.items()
    }
