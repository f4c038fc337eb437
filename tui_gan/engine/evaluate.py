"""Evaluate a generator against its data set: the numbers `tui-gan eval` and eval_every report."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tui_gan.config import Preset
from tui_gan.engine import metrics as M
from tui_gan.engine.checkpoint import atomic_save, load_checkpoint
from tui_gan.errors import UsageError

DEFAULT_N = 5000  # two evaluations of one checkpoint agree to well under 2% FID (README)


@dataclass
class EvalContext:
    """What evaluation needs of a data set, built once: classifier, real features, targets."""

    preset: Preset
    device: torch.device
    cache_dir: Path
    classifier: Any = None
    real_images: torch.Tensor | None = None  # uint8, a fixed subset of the training split
    real_feats: np.ndarray | None = None
    real_counts: list[int] | None = None
    num_classes: int | None = None
    target: Any = None  # 1-D presets

    @property
    def toy(self) -> bool:
        return self.target is not None


def build_context(
    preset: Preset, device: torch.device, cache_dir: Path, data=None, classifier=None
) -> EvalContext:
    ctx = EvalContext(preset, device, Path(cache_dir))
    if preset.data.name == "toy1d":
        from tui_gan.engine.toy1d import TARGETS

        ctx.target = TARGETS[preset.data.target]
        return ctx
    from tui_gan.engine.data import load_images, to_unit_range

    data = data or load_images(preset)
    if data.images is None or data.labels is None:
        return ctx  # an image folder: no classes, Inception FID only
    g = torch.Generator().manual_seed(0)
    pick = torch.randperm(len(data.images), generator=g)[: M.MAX_REAL]
    ctx.real_images = data.images.cpu()[pick]
    ctx.num_classes = data.num_classes
    labels = data.labels.cpu()
    ctx.real_counts = torch.bincount(labels, minlength=data.num_classes).tolist()
    if classifier is None:
        from tui_gan.engine.classifier import get_classifier

        classifier, _ = get_classifier(
            ctx.cache_dir, data.key, data.images, data.labels, data.num_classes
        )
    ctx.classifier = classifier.to(device).eval()
    from tui_gan.engine.classifier import CLASSIFIER_VERSION

    # Features belong to one classifier: a new recipe must not reuse old statistics.
    key = hashlib.sha1(f"{data.key}:{len(pick)}:v{CLASSIFIER_VERSION}".encode()).hexdigest()[:12]
    path = ctx.cache_dir / f"{data.name}-realfeats-{key}.pt"
    if path.is_file():  # real statistics: once per data set and classifier
        ctx.real_feats = load_checkpoint(path)["features"].numpy()
    else:
        images = to_unit_range(ctx.real_images.to(device))
        ctx.real_feats = M.classifier_features(ctx.classifier, images)
        ctx.cache_dir.mkdir(parents=True, exist_ok=True)
        atomic_save({"features": torch.from_numpy(ctx.real_feats)}, path)
    return ctx


@torch.no_grad()
def evaluate(
    gan,
    ctx: EvalContext,
    n: int = DEFAULT_N,
    seed: int = 0,
    fid: str = "classifier",
    inception_weights: str | None = None,
) -> dict[str, Any]:
    """One evaluation: every metric with the sample sizes it used, and which G drew them."""
    g = torch.Generator(gan.device).manual_seed(seed)
    labels = gan.balanced_labels(n)  # conditional: every class n/k times, as asked of G
    t0 = time.perf_counter()
    fake = gan.generate(gan.sample_z(n, g), labels)
    if fake.is_cuda:
        torch.cuda.synchronize(fake.device)  # the kernels, not only their launches
    sample_s = round(time.perf_counter() - t0, 3)  # an EBM's chains can be most of an eval
    source = gan.generator
    if ctx.toy:
        real = ctx.target.sample(n, torch.Generator().manual_seed(seed + 1), torch.device("cpu"))
        return {**M.w1_ks(real.numpy(), fake.float().cpu().numpy()), "n": n, "generator": source}
    out: dict[str, Any] = {"n": n, "generator": source, "sample_s": sample_s}
    if fid == "inception":
        extract = M.inception_extractor(ctx.device, inception_weights)
        if ctx.real_images is None:
            raise UsageError("Inception FID on an image folder is not supported yet")
        from tui_gan.engine.data import to_unit_range

        real_feats = extract(to_unit_range(ctx.real_images))
        fake_feats = extract(fake)
        out["fid_features"] = "inception-pool3"
    else:
        if ctx.classifier is None:
            raise UsageError(
                f"{ctx.preset.data.name}: no classifier for this data set; use --fid inception"
            )
        real_feats = ctx.real_feats
        fake_feats = M.classifier_features(ctx.classifier, fake)
        out["fid_features"] = "classifier-lenet-84"
    out["fid"] = M.frechet_distance(real_feats, fake_feats)
    out["n_real"] = len(real_feats)
    m = min(n, len(real_feats))  # equal sizes, as the k-NN metrics assume
    out.update(M.prdc(real_feats[:m], fake_feats[:m]))
    out["n_prdc"] = m
    if ctx.classifier is not None:
        from tui_gan.engine.classifier import classify

        # build_context sets the classes and their real counts with the classifier.
        assert ctx.num_classes is not None and ctx.real_counts is not None
        preds = classify(ctx.classifier, fake)
        counts = torch.bincount(preds, minlength=ctx.num_classes).tolist()
        out.update(M.class_metrics(counts, ctx.real_counts))
        if labels is not None:
            per_class = M.cond_accuracy(preds.cpu().numpy(), labels.cpu().numpy(), gan.num_classes)
            out["cond_accuracy_per_class"] = [round(a, 4) for a in per_class]
            out["cond_accuracy"] = float(np.nanmean(per_class))
    return out
