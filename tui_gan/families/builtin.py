"""The families that ship with tui-gan: six G/D pairs, the energy-based model and the VAE."""

from __future__ import annotations

from typing import Any

from tui_gan.families.descriptor import GAN_SETTINGS, Capabilities, Family, Series

_GAN_LOSSES = (Series("loss_g", "G loss", "green"), Series("loss_d", "D loss", "magenta"))
_GAN_OUTPUTS = (Series("d_real", "D(x)", "cyan"), Series("d_fake", "D(G(z))", "yellow"))
_GAN_NETWORKS = (
    ("G", "generator G"),
    ("D", "discriminator D"),
    ("G_ema", "generator's moving average G_ema"),
)


def _gan(
    name: str,
    labels: bool = False,
    sizes: tuple[int, ...] = (),
    one_d: bool = False,
) -> Family:
    caps = Capabilities(
        latent=True,
        labels=labels,
        ema=True,
        distributed=True,
        # A 1-D G has no image decoder's layout to share: nothing to start it from.
        warm_start=not one_d,
        critic=True,
        score=True,
    )
    return Family(
        name,
        "gan",
        "tui_gan.engine.gan:GAN",
        _GAN_LOSSES,
        _GAN_OUTPUTS,
        "discriminator",
        "a GAN",
        caps,
        one_d=one_d,
        image_sizes=sizes,
        applies=GAN_SETTINGS,
        advice="lower the learning rates or try --set loss.kind=lsgan",
        adversarial=True,
        score_name="D's logit",
        sampler=("the live generator", "raw generator"),
        drawn_by="G",
        outputs_about="D's mean output on real data and on G's samples",
        g_role="G",
        networks=_GAN_NETWORKS,
    )


def _ebm_buffer_holds_a_batch(p: Any) -> str | None:
    if p.ebm.buffer_size < p.train.batch_size:
        return (
            f"ebm.buffer_size >= train.batch_size ({p.train.batch_size}): each batch "
            "continues chains from distinct buffer slots"
        )
    return None


EBM = Family(
    "ebm",
    "ebm",
    "tui_gan.engine.ebm:EBM",
    (Series("loss_cd", "CD loss", "green"), Series("loss_reg", "reg loss", "magenta")),
    (Series("e_real", "E(real)", "cyan"), Series("e_fake", "E(sample)", "yellow")),
    "energies (low = data)",
    "an EBM",
    Capabilities(chains=True, score=True),
    rule=_ebm_buffer_holds_a_batch,
    advice="lower optim.d.lr or ebm.step_size, or raise ebm.alpha",
    score_name="-E(x), the negative energy",
    sampler=("{steps} Langevin steps from noise", "{steps} Langevin steps"),
    drawn_by="Langevin chains",
    # An EBM has no noise to fix: its fixed view is the replay buffer.
    fixed_view="replay buffer",
    fresh_view="fresh chains",
    outputs_about="mean energy of real digits and of the chains' samples (low = data)",
    networks=(("E", "energy network E"),),
)

VAE = Family(
    "vae",
    "vae",
    "tui_gan.engine.vae:VAE",
    (Series("loss_rec", "recon", "green"), Series("loss_kl", "KL", "magenta")),
    (Series("active", "active z", "cyan"), Series("post_std", "mean σ", "yellow")),
    "latent (posterior collapse: active → 0)",
    "a VAE",
    Capabilities(latent=True, reconstruction=True, score=True),
    # Its decoder is the data set's DCGAN G, built for these two sizes only.
    image_sizes=(28, 24),
    image_sizes_text="28 (the dcgan decoder) or 24 (faces-dcgan's)",
    score_name="the ELBO at the posterior mean",
    sampler=("the VAE's decoder", "VAE decoder"),
    drawn_by="decoder",
    outputs_about="latent units in use and the mean posterior sigma (collapse: units fall to 0)",
    outputs_split=True,  # a count of units and a standard deviation: two scales
    g_role="decoder",
    networks=(("G", "decoder G"), ("enc", "encoder")),
)

BUILTIN: tuple[Family, ...] = (
    _gan("mlp"),
    _gan("dcgan", sizes=(28,)),
    _gan("faces-dcgan", sizes=(24,)),
    _gan("toy1d", one_d=True),
    _gan("cmlp", labels=True),
    _gan("cdcgan", labels=True, sizes=(28,)),
    EBM,
    VAE,
)
