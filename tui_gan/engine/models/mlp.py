"""The vanilla GAN: MLP generator (Linear, LeakyReLU, BatchNorm1d) and MLP discriminator."""

from __future__ import annotations

import math

from torch import Tensor, nn


class MLPGenerator(nn.Module):
    def __init__(
        self, latent_dim: int, hidden: tuple[int, ...], shape: tuple[int, int, int], leak: float
    ):
        super().__init__()
        self.shape = shape
        layers: list[nn.Module] = []
        width = latent_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(leak), nn.BatchNorm1d(h)]
            width = h
        layers += [nn.Linear(width, math.prod(shape)), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(-1, *self.shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, shape: tuple[int, int, int], hidden: tuple[int, ...], leak: float):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(leak)]
            width = h
        layers.append(nn.Linear(width, 1))  # one logit: no sigmoid, the loss applies it
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).view(-1)
