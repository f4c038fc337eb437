"""The energy function of the EBM: a small strided CNN with Swish, image to one energy.

Swish (x * sigmoid(x)), not ReLU: the sampler moves images along -dE/dx, so the input gradient
is the whole signal. ReLU's gradient is piecewise constant and exactly zero wherever a unit is
off, so the energy surface is piecewise linear with flat patches where Langevin chains only
diffuse; Swish is smooth everywhere and keeps a small gradient for negative inputs, so every
pixel gets a push and the chains follow a curved surface downhill. (The seed asks exactly this.)
"""

from __future__ import annotations

from torch import Tensor, nn


class EnergyNet(nn.Module):
    """E(x) for (B, C, S, S) images in [-1, 1]; low energy = looks like the data."""

    def __init__(self, base: int, channels: int, size: int):
        super().__init__()
        c1, c2, c3 = base, base * 2, base * 4
        self.net = nn.Sequential(
            # The first conv pads 28x28 out to 32x32 (padding 4 less the 5x5 kernel's reach),
            # so four stride-2 convs end on a 2x2 map.
            nn.Conv2d(channels, c1, 5, 2, 4),
            nn.SiLU(),
            nn.Conv2d(c1, c2, 3, 2, 1),
            nn.SiLU(),
            nn.Conv2d(c2, c3, 3, 2, 1),
            nn.SiLU(),
            nn.Conv2d(c3, c3, 3, 2, 1),
            nn.SiLU(),
            nn.Flatten(),
        )
        side = size + 4  # after the first conv's padding: ceil-halved four times below
        for _ in range(4):
            side = (side - 1) // 2 + 1
        self.head = nn.Sequential(nn.Linear(c3 * side * side, c3), nn.SiLU(), nn.Linear(c3, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.net(x)).view(-1)
