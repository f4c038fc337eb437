"""1-D GAN: G and D are MLPs on scalars with two wide hidden layers."""

from __future__ import annotations

from torch import Tensor, nn


def _mlp(inp: int, hidden: tuple[int, ...], leak: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(inp, h), nn.LeakyReLU(leak)]
        inp = h
    layers.append(nn.Linear(inp, 1))
    return nn.Sequential(*layers)


class Toy1DGenerator(nn.Module):
    def __init__(self, latent_dim: int, hidden: tuple[int, ...], leak: float):
        super().__init__()
        self.net = _mlp(latent_dim, hidden, leak)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)  # (B, 1)


class Toy1DDiscriminator(nn.Module):
    def __init__(self, hidden: tuple[int, ...], leak: float):
        super().__init__()
        self.net = _mlp(1, hidden, leak)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.view(-1, 1)).view(-1)
