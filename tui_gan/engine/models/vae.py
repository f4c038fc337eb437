"""The VAE's encoder: strided convs to the mean and log-variance of q(z|x).

The decoder is not here: it is the data set's DCGAN generator itself (engine/vae.py builds it),
so a trained decoder's weights load into a GAN's G as they are (model.init_g_from).
"""

from __future__ import annotations

from torch import Tensor, nn


class Encoder(nn.Module):
    """(B, C, S, S) images to (mu, logvar), each (B, latent_dim)."""

    def __init__(self, latent_dim: int, base: int, channels: int, size: int, leak: float):
        super().__init__()
        side = (size + 3) // 4  # two stride-2 convs: 28 -> 7, 24 -> 6
        self.net = nn.Sequential(
            # input is (channels) x S x S
            nn.Conv2d(channels, base, 4, 2, 1),
            nn.LeakyReLU(leak, inplace=True),
            # state size. (base) x S/2 x S/2
            nn.Conv2d(base, base * 2, 4, 2, 1),
            nn.BatchNorm2d(base * 2),
            nn.LeakyReLU(leak, inplace=True),
            # state size. (base*2) x S/4 x S/4
            nn.Flatten(),
        )
        self.head = nn.Linear(base * 2 * side * side, 2 * latent_dim)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.head(self.net(x)).chunk(2, dim=1)
        # Bounded log-variance: an early exp() overflow would end the run on a NaN.
        return mu, logvar.clamp(-12.0, 8.0)
