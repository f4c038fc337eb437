"""DCGAN for 24x24 greyscale faces: Linear to 128x6x6, then transposed convs to 24x24."""

from __future__ import annotations

from torch import Tensor, nn

from tui_gan.engine.models import dcgan_init


class FacesGenerator(nn.Module):
    def __init__(self, latent_dim: int, base: int, channels: int):
        super().__init__()
        self.base = base
        self.project = nn.Sequential(
            nn.Linear(latent_dim, base * 6 * 6, bias=False),
            nn.BatchNorm1d(base * 6 * 6),
            nn.ReLU(True),
        )
        self.net = nn.Sequential(
            # state size. (base) x 6 x 6
            nn.ConvTranspose2d(base, base // 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(base // 2),
            nn.ReLU(True),
            # state size. (base/2) x 12 x 12
            nn.ConvTranspose2d(base // 2, channels, 4, 2, 1, bias=False),
            nn.Tanh(),
            # state size. (channels) x 24 x 24
        )
        self.apply(dcgan_init)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(self.project(z).view(-1, self.base, 6, 6))


class FacesDiscriminator(nn.Module):
    def __init__(self, base: int, channels: int, leak: float):
        super().__init__()
        self.net = nn.Sequential(
            # input is (channels) x 24 x 24
            nn.Conv2d(channels, base, 4, 2, 1, bias=False),
            nn.LeakyReLU(leak, inplace=True),
            # state size. (base) x 12 x 12
            nn.Conv2d(base, base * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(base * 2),
            nn.LeakyReLU(leak, inplace=True),
            # state size. (base*2) x 6 x 6
            nn.Flatten(),
            nn.Linear(base * 2 * 6 * 6, 1),
        )
        self.apply(dcgan_init)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).view(-1)
