"""A model family defined outside tui-gan, for its tests: a linear autoencoder ("pca").

It registers the way any outside family does (TUI_GAN_FAMILIES=tui_gan_testfamily:FAMILY,
with tests/plugins on PYTHONPATH, or a `tui_gan.families` entry point), and nothing under
tui_gan/ names it. This module is its descriptor, pure data: the trainable (torch) is in
pca.py, imported only when a run needs it; pca.toml is a preset that trains it.
"""

from __future__ import annotations

from pathlib import Path

from tui_gan.families import Capabilities, Family, Series

PRESET = Path(__file__).with_name("pca.toml")

FAMILY = Family(
    "pca",
    "pca",
    "tui_gan_testfamily.pca:PCA",
    (Series("pca_rec", "recon MSE", "green"), Series("pca_ortho", "orthogonality", "magenta")),
    (Series("pca_var", "explained var", "cyan"), Series("pca_zstd", "code σ", "yellow")),
    "linear code (explained variance)",
    "a PCA",
    Capabilities(latent=True, reconstruction=True, score=True),
    image_sizes=(28,),
    advice="lower optim.g.lr",
    score_name="minus the reconstruction error",
    sampler=("the linear decoder", "linear decoder"),
    drawn_by="decoder",
    outputs_about="the share of pixel variance the code explains, and the codes' spread",
    outputs_split=True,
    networks=(("G", "linear decoder G"), ("enc", "linear encoder")),
)
