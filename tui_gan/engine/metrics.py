"""Sample-quality metrics: FID, precision/recall/density/coverage, class and 1-D statistics."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from tui_gan.errors import UsageError

INCEPTION_FILE = "pt_inception-2015-12-05-6726825d.pth"
INCEPTION_KEY = "Conv2d_1a_3x3.conv.weight"  # the stem's first conv, in any Inception v3
PRDC_K = 5  # neighbours for the manifold radii (Naeem et al. 2020 use k = 5)
MAX_REAL = 10_000  # real reference set size cap: enough for stable statistics, cheap to cache


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """FID between two feature sets (rows are samples), via pytorch-fid's reference code."""
    from pytorch_fid.fid_score import calculate_frechet_distance

    real, fake = real.astype(np.float64), fake.astype(np.float64)
    with warnings.catch_warnings():
        # ReLU features leave some dimensions constant: the covariance product is singular,
        # which pytorch-fid handles itself (it adds eps to the diagonal) after warning.
        warnings.simplefilter("ignore")
        return float(
            calculate_frechet_distance(
                real.mean(0), np.cov(real, rowvar=False), fake.mean(0), np.cov(fake, rowvar=False)
            )
        )


def _pairwise(a: Tensor, b: Tensor, chunk: int = 2048) -> Tensor:
    return torch.cat([torch.cdist(a[i : i + chunk], b) for i in range(0, len(a), chunk)])


def prdc(real: np.ndarray, fake: np.ndarray, k: int = PRDC_K) -> dict[str, float]:
    """Precision, recall, density and coverage on k-NN manifolds (Naeem et al. 2020)."""
    r = torch.from_numpy(real).double()
    f = torch.from_numpy(fake).double()
    rr, ff, rf = _pairwise(r, r), _pairwise(f, f), _pairwise(r, f)
    # The k-th neighbour excluding the point itself (index 0 is the zero self-distance).
    r_radius = rr.kthvalue(k + 1, dim=1).values
    f_radius = ff.kthvalue(k + 1, dim=1).values
    inside_real = rf < r_radius[:, None]  # [i, j]: fake j inside real i's ball
    precision = inside_real.any(0).double().mean()
    recall = (rf < f_radius[None, :]).any(1).double().mean()
    density = inside_real.double().sum(0).mean() / k
    coverage = (rf.min(1).values < r_radius).double().mean()
    return {
        "precision": float(precision),
        "recall": float(recall),
        "density": float(density),
        "coverage": float(coverage),
    }


def normalised_entropy(counts: list[int]) -> float:
    """Entropy of a class histogram divided by log(K): 1 = uniform, 0 = one class."""
    p = np.asarray(counts, np.float64)
    p = p / max(p.sum(), 1)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / math.log(len(counts))) if len(counts) > 1 else 0.0


def class_metrics(counts: list[int], real_counts: list[int]) -> dict[str, Any]:
    """Class histogram of generated samples: entropy (0..1), classes seen, KL(generated || real)."""
    c = np.asarray(counts, np.float64)
    q = np.asarray(real_counts, np.float64)
    p = c / max(c.sum(), 1)
    q = q / max(q.sum(), 1)
    nz = p > 0
    kl = float((p[nz] * np.log(p[nz] / np.maximum(q[nz], 1e-12))).sum())
    return {
        "class_counts": [int(x) for x in counts],
        "class_entropy": normalised_entropy(counts),
        "classes_covered": int((c > 0).sum()),
        "class_kl": kl,
    }


def cond_accuracy(preds: np.ndarray, labels: np.ndarray, num_classes: int) -> list[float]:
    """For each class c, the share of samples generated for c that the classifier calls c
    (NaN for a class no sample was generated for)."""
    preds, labels = np.asarray(preds), np.asarray(labels)
    out = []
    for c in range(num_classes):
        mine = labels == c
        out.append(float((preds[mine] == c).mean()) if mine.any() else float("nan"))
    return out


def w1_ks(real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    """Wasserstein-1 distance and the Kolmogorov-Smirnov statistic between two 1-D samples."""
    a, b = np.sort(real.ravel()), np.sort(fake.ravel())
    grid = np.sort(np.concatenate([a, b]))
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    # W1 = integral of |F_a - F_b| over x: exact for empirical CDFs (piecewise constant).
    w1 = float(np.sum(np.abs(cdf_a - cdf_b)[:-1] * np.diff(grid)))
    return {"w1": w1, "ks": float(np.max(np.abs(cdf_a - cdf_b)))}


# --- feature extractors ---------------------------------------------------------------------


@torch.no_grad()
def classifier_features(model, images: Tensor, batch: int = 1000) -> np.ndarray:
    """Penultimate-layer features of the data set's own classifier; images in [-1, 1]."""
    model.eval()
    out = [
        model.features(images[i : i + batch]).float().cpu() for i in range(0, len(images), batch)
    ]
    return torch.cat(out).numpy()


def inception_weights(explicit: str | None = None) -> Path:
    """The FID Inception weights, given or in the torch hub cache; never downloaded silently."""
    candidates = [Path(explicit).expanduser()] if explicit else []
    candidates.append(Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE)
    for path in candidates:
        if path.is_file():
            return path
    raise UsageError(
        f"Inception FID needs the weights file {INCEPTION_FILE}: put it in "
        f"{candidates[-1].parent}/ (or pass --inception-weights PATH); it is at "
        "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + INCEPTION_FILE
    )


def _not_inception(path: Path) -> str:
    return f"{path}: not the FID Inception weights ({INCEPTION_FILE} from pytorch-fid)"


@functools.lru_cache(maxsize=1)
def load_inception_state(path: Path) -> dict[str, Tensor]:
    """The weights file, loaded safely and checked, once: `eval` calls this before any slow
    work so a bad file fails at once, and the extractor reuses it."""
    from tui_gan.engine.checkpoint import load_checkpoint

    # An empty, cut or hostile file is one line, not a traceback. pytorch-fid's weights
    # (2019) may be in torch's pre-zip format: taken too, still weights_only.
    state = load_checkpoint(path, old_format=True)
    if not isinstance(state, dict) or not isinstance(state.get(INCEPTION_KEY), Tensor):
        raise UsageError(_not_inception(path))
    return state


def inception_extractor(device: torch.device, weights: str | None = None) -> Callable:
    """pool3 features (2048-d) of the FID Inception network, loaded from a local file only."""
    from pytorch_fid import inception as fid_inception

    state = load_inception_state(inception_weights(weights))
    # pytorch-fid fetches the weights by URL; hand it our local file instead.
    original = fid_inception.load_state_dict_from_url
    fid_inception.load_state_dict_from_url = lambda *a, **k: state
    try:
        net = fid_inception.InceptionV3([3]).to(device).eval()
    except (RuntimeError, KeyError, TypeError, ValueError, AttributeError):
        raise UsageError(_not_inception(inception_weights(weights))) from None
    finally:
        fid_inception.load_state_dict_from_url = original

    @torch.no_grad()
    def extract(images: Tensor, batch: int = 200) -> np.ndarray:
        out = []
        for i in range(0, len(images), batch):
            x = (images[i : i + batch].to(device) + 1) / 2  # InceptionV3 wants [0, 1]
            if x.shape[1] == 1:
                x = x.expand(-1, 3, -1, -1)
            out.append(net(x)[0].squeeze(-1).squeeze(-1).cpu())
        return torch.cat(out).numpy()

    return extract
