"""DCGAN for 28x28 images: transposed-conv generator, strided-conv discriminator."""

from __future__ import annotations

from torch import Tensor, nn

from tui_gan.engine.models import dcgan_init


class DCGANGenerator28(nn.Module):
    def __init__(self, latent_dim: int, base: int, channels: int):
        super().__init__()
        self.net = nn.Sequential(
            # input is Z, going into a convolution: (latent_dim) x 1 x 1
            nn.ConvTranspose2d(latent_dim, base * 4, 7, 1, 0, bias=False),
            nn.BatchNorm2d(base * 4),
            nn.ReLU(True),
            # state size. (base*4) x 7 x 7
            nn.ConvTranspose2d(base * 4, base * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(base * 2),
            nn.ReLU(True),
            # state size. (base*2) x 14 x 14
            nn.ConvTranspose2d(base * 2, channels, 4, 2, 1, bias=False),
            nn.Tanh(),
            # state size. (channels) x 28 x 28
        )
        self.apply(dcgan_init)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator28(nn.Module):
    def __init__(self, base: int, channels: int, leak: float):
        super().__init__()
        self.net = nn.Sequential(
            # input is (channels) x 28 x 28
            nn.Conv2d(channels, base, 4, 2, 1, bias=False),
            nn.LeakyReLU(leak, inplace=True),
            # state size. (base) x 14 x 14
            nn.Conv2d(base, base * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(base * 2),
            nn.LeakyReLU(leak, inplace=True),
            # state size. (base*2) x 7 x 7
            nn.Conv2d(base * 2, 1, 7, 1, 0, bias=False),
            # state size. 1 x 1 x 1: one logit
        )
        self.apply(dcgan_init)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).view(-1)
