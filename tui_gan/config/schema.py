"""The preset's sections and the Preset itself: frozen pydantic models, a docstring per field."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from tui_gan.config import rules
from tui_gan.config.choices import (
    FAMILIES,
    CompileMode,
    DatasetName,
    Device,
    LatentDist,
    LossKind,
    Precision,
    Recon,
    Target1D,
)
from tui_gan.config.fields import (
    MAX_SEED,
    MAX_STEPS,
    Augment,
    Betas,
    Decay,
    Eps,
    Every,
    Lr,
    Name,
    Sizes,
    Steps,
    Str,
    UnitFloat,
    Width,
    choice,
    choice_of,
    float_in,
    int_in,
    string,
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    """Where the training images (or 1-D samples) come from."""

    name: Annotated[DatasetName, choice_of(DatasetName)] = "mnist"
    """Data set: mnist, fashion-mnist, faces (a folder of images) or toy1d."""
    root: Annotated[str, string(4096)] = ""
    """Data root for torchvision data sets or the image folder for faces; '' = cache folder."""
    download: bool = True
    """Let torchvision download the data set when it is missing and the network allows."""
    image_size: Annotated[int, int_in(8, 512)] = 28
    """Side of the square images the models see (faces are resized to it)."""
    target: Annotated[Target1D, choice_of(Target1D)] = "sine"
    """toy1d only: the real density (sine-shaped on [-pi, pi], a Gaussian mixture, a Gaussian)."""
    size: Annotated[int, int_in(1, 10**8)] = 20000
    """toy1d only: how many real samples make one epoch."""


class ModelConfig(_Section):
    """Generator and discriminator architecture."""

    family: Annotated[str, choice(*FAMILIES)] = "mlp"
    """mlp, dcgan (28x28 conv), faces-dcgan (Linear to 128x6x6, up to 24x24), toy1d, the
    conditional cmlp and cdcgan (G and D also see the class; labelled data sets only), ebm
    (an energy-based model, the [ebm] table) and vae (the [vae] table)."""
    latent_dim: Width = 100
    """Size of z."""
    latent_dist: Annotated[LatentDist, choice_of(LatentDist)] = "normal"
    """z ~ N(0, 1) or U[0, 1)."""
    g_hidden: Sizes = (256, 512, 1024)
    """Hidden widths of G (mlp, toy1d) or base channel count first (conv families)."""
    d_hidden: Sizes = (512, 256)
    """Hidden widths of D (mlp, toy1d) or base channel count first (conv families)."""
    embed_dim: Annotated[int, int_in(1, 4096)] = 10
    """cmlp, cdcgan: size of the label embedding joined to z at G's input."""
    leak: UnitFloat = 0.2
    """Negative slope of LeakyReLU."""
    spectral_norm: bool = False
    """Spectral normalisation of every linear and conv layer of D (Miyato et al. 2018)."""
    ema_decay: UnitFloat = 0.0
    """Exponential moving average of G's weights, what samples and evaluations use; 0 = off.
    The decay warms up as min(ema_decay, (1 + t) / (10 + t)) after t steps."""
    ema_every: Annotated[int, int_in(1, 1000)] = 4
    """Steps between updates of the average, each with the decay to that power: the same
    average at a fraction of the cost (a lerp over G every step is ~10% of an MLP step)."""
    init_g_from: Annotated[str, string(4096)] = ""
    """A run directory or checkpoint whose G (a vae run's decoder) G starts from, or
    'latest:PRESET', the newest run of that preset beside this one; its layout must be G's
    (a vae's decoder is dcgan's G on MNIST, faces-dcgan's on faces); '' = random init."""


class LossConfig(_Section):
    """The GAN objective."""

    kind: Annotated[LossKind, choice_of(LossKind)] = "bce"
    """bce (non-saturating G loss), bce-saturating (minimax), lsgan (least squares), hinge,
    wgan-gp (Wasserstein with a gradient penalty; give it train.d_steps 5)."""
    label_smoothing: UnitFloat = 0.0
    """One-sided smoothing: D's target for real data is 1 - this (bce kinds and lsgan)."""
    gp_weight: Annotated[float, float_in(0.0, 1e4)] = 10.0
    """wgan-gp: weight of the penalty on D's gradient norm away from 1 (Gulrajani et al.)."""
    r1_gamma: Annotated[float, float_in(0.0, 1e4)] = 0.0
    """R1 penalty on D's gradient at real data, gamma/2 * |grad|^2 (Mescheder et al.); 0 = off."""
    r1_every: Annotated[int, int_in(1, 1000)] = 16
    """Lazy R1 (StyleGAN2): the penalty on one D step in this many, weighted by it; its
    double backward on every step costs ~20% of an MLP step's img/s."""


class OptimConfig(_Section):
    """Adam settings of one network."""

    lr: Lr = 2e-4
    betas: Betas = (0.5, 0.999)
    eps: Eps = 1e-8
    weight_decay: Decay = 0.0


class OptimPair(_Section):
    """Separate optimizer settings for G and D."""

    g: OptimConfig = OptimConfig()
    d: OptimConfig = OptimConfig()


class TrainConfig(_Section):
    """Length, batch and reproducibility of a run."""

    batch_size: Width = 64
    steps: Steps = 0
    """Total generator steps of the run; 0 = use epochs."""
    epochs: Annotated[int, int_in(0, 10**6)] = 1
    """Passes over the training set, used when steps is 0."""
    seed: Annotated[int, int_in(0, MAX_SEED)] = 0
    device: Annotated[Device, choice_of(Device)] = "auto"
    """auto picks cuda, then mps, then cpu."""
    d_steps: Annotated[int, int_in(1, 100)] = 1
    """Discriminator updates per generator update."""
    augment: Augment = ()
    """DiffAugment policy for D's inputs, real and fake alike: any of color, translation,
    cutout (Zhao et al. 2020); [] = off. Images only. R1 differentiates through it; the
    wgan-gp penalty is taken at un-augmented points between real and fake."""
    precision: Annotated[Precision, choice_of(Precision)] = "fp32"
    """Autocast G's and D's forward passes: bf16 (Ampere GPUs and later, and CPUs; no
    scaler needed) or fp16 (with a gradient scaler per network). fp32 is the safe choice
    (full fp32 on a GPU unless train.tf32 is on)."""
    channels_last: bool = False
    """Conv nets and their image batches in NHWC memory order: faster convolutions on
    tensor-core GPUs, especially with bf16/fp16; no effect on an MLP."""
    sync_batchnorm: bool = False
    """Several GPUs (torchrun): BatchNorm statistics over the global batch rather than each
    GPU's share (SyncBatchNorm; CUDA only). Costs a collective per BatchNorm layer."""
    compile: Annotated[CompileMode, choice_of(CompileMode)] = "off"
    """torch.compile G's and D's forward passes (the first steps pay the compile time);
    reduce-overhead also records CUDA graphs, so small steps stop being launch-bound."""
    tf32: bool = False
    """CUDA: TF32 tensor cores for fp32 matmuls and convolutions (Ampere and later; a 10-bit
    mantissa in the products). Off: fp32 is full fp32, convolutions included (PyTorch's own
    default lets convolutions use TF32). Off until a GPU comparison of quality says more."""
    cudnn_benchmark: bool = False
    """CUDA: cuDNN times its convolution algorithms on the first steps and keeps the fastest
    for these shapes; faster, but the choice (and the last bits) may differ between runs."""
    deterministic: bool = False
    """Deterministic algorithms (PyTorch's; on CUDA also cuBLAS's fixed workspace and cuDNN's
    deterministic kernels, with tf32 and cudnn_benchmark forced off): a GPU run then repeats
    itself, and a resume a straight run, at some cost in speed. CPU runs are exact anyway."""


class EbmConfig(_Section):
    """ebm only: contrastive divergence against Langevin chains (Du & Mordatch 2019)."""

    mcmc_steps: Annotated[int, int_in(1, 10_000)] = 60
    """Langevin steps per training batch: the step's cost grows with it. Chains continue
    from the buffer, so short ones add up to long mixing over training."""
    sample_steps: Annotated[int, int_in(1, 100_000)] = 256
    """Langevin steps for fresh chains from noise (samples, eval; `--mcmc-steps` overrides):
    the seed found 256 enough for readable digits."""
    step_size: Annotated[float, float_in(0.0, 1e4, lo_open=True)] = 10.0
    """Multiplier of the (clipped) energy gradient per Langevin step: large, because the
    gradient of a regularised energy is tiny per pixel and the clip bounds the move."""
    grad_clip: Annotated[float, float_in(0.0, 10.0, lo_open=True)] = 0.03
    """Each pixel's gradient is clipped to +-this, so one step moves a pixel at most
    step_size * grad_clip (0.3 of the [-1, 1] range) however sharp E is there."""
    noise: Annotated[float, float_in(0.0, 1.0)] = 0.005
    """Std of the Gaussian noise added each Langevin step: keeps chains stochastic without
    washing out the small gradient steps."""
    real_noise: Annotated[float, float_in(0.0, 1.0)] = 0.005
    """Std of noise added to real images, so E cannot key on their exact grey levels."""
    buffer_size: Annotated[int, int_in(1, 200_000)] = 8192
    """Replay buffer of past chain ends that new chains continue from (8192 x 28 x 28
    floats is 26 MB, saved in every checkpoint so resume is exact)."""
    fresh_share: UnitFloat = 0.05
    """Share of each batch's chains restarted from uniform noise: without fresh starts the
    buffer collapses onto what E already models; with too many, chains never mix."""
    alpha: Annotated[float, float_in(0.0, 1e3)] = 0.1
    """Weight of alpha * (E_real^2 + E_fake^2): CD only sees energy differences, so without
    it energies drift to large magnitudes and the sampler's gradients with them."""


class VaeConfig(_Section):
    """vae only: the evidence lower bound's terms."""

    beta: Annotated[float, float_in(0.0, 100.0)] = 1.0
    """Weight of the KL term (1 = the ELBO; above 1 trades sharpness for a smoother latent)."""
    recon: Annotated[Recon, choice_of(Recon)] = "bce"
    """Reconstruction likelihood: bce (Bernoulli on pixels mapped to [0, 1], the classic
    MNIST VAE) or mse (Gaussian, summed over pixels)."""


class LogConfig(_Section):
    """How often the run reports, samples and saves."""

    log_every: Annotated[int, int_in(1, MAX_STEPS)] = 50
    """Steps between metric records (the only host syncs of the loop)."""
    sample_every: Every = 500
    """Steps between sample grids and class counts; 0 = only at the end."""
    checkpoint_every: Every = 1000
    """Steps between checkpoints; 0 = only at the end."""
    keep_checkpoints: Annotated[int, int_in(1, 1000)] = 3
    """How many ckpt-NNNNNNN.pt files to keep (last.pt is always kept)."""
    n_samples: Annotated[int, int_in(1, 1024)] = 64
    """Images in the fixed-noise grid."""
    count_samples: Annotated[int, int_in(1, 50_000)] = 1000
    """Fresh samples classified for the class counts (1-D: samples in each histogram)."""
    eval_every: Every = 0
    """Steps between evaluations (FID, precision/recall, coverage; 1-D: W1, KS); 0 = off."""
    # at least 10: the k-NN metrics need more samples than neighbours
    eval_n: Annotated[int, int_in(10, 100_000)] = 2000
    """Generated samples per periodic evaluation (`tui-gan eval` defaults to 5,000)."""
    tensorboard: Annotated[str, string(4096)] = ""
    """A folder for TensorBoard event files (scalars and sample grids) beside the run's own
    record; '' = none. Needs the optional extra: pip install 'tui-gan[tensorboard]'."""


class Preset(_Section):
    """One experiment: everything a run needs, resolved."""

    name: Name = "custom"
    description: Str = ""
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    loss: LossConfig = LossConfig()
    optim: OptimPair = OptimPair()
    train: TrainConfig = TrainConfig()
    log: LogConfig = LogConfig()
    ebm: EbmConfig = EbmConfig()
    vae: VaeConfig = VaeConfig()

    @model_validator(mode="after")
    def _consistent(self) -> Preset:
        problem = rules.first_problem(self)
        if problem is not None:  # no one field to blame: the message names the fields
            raise PydanticCustomError("expected", problem)
        return self
