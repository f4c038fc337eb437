"""Conditional G and D: any unconditional pair made class-aware (cmlp, cdcgan).

G: a learned label embedding joined to z, fed to the unconditional G (whose input is widened
by the embedding's size). The seed's cDCGAN gives G a one-hot label through its own
transposed conv; an embedding is the same map (a one-hot times a matrix) without the
ten-wide sparse input, and it serves an MLP and a conv G alike.

D: a projection discriminator (Miyato & Koyama, "cGANs with projection discriminator", 2018):
D(x, y) = head(h) + <embed(y), pool(h)>, h the unconditional D's features before its last
layer. Chosen over label channels (the seed's cDCGAN concatenates ten one-hot planes to the
image) because (1) it scored clearly better FID and class accuracy in that paper's
comparison, (2) it adds one embedding table instead of widening D's first layer for every
pixel, and (3) the same wrapper fits the MLP D (h a vector) and the conv D (h a map, summed
over space as in SNGAN/BigGAN) without a second architecture.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConditionalGenerator(nn.Module):
    """G(z, y) = G'(concat(z, embed(y))) for an unconditional G' of input latent + embed."""

    def __init__(self, base: nn.Module, num_classes: int, embed_dim: int):
        super().__init__()
        self.base = base
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, embed_dim)

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        return self.base(torch.cat([z, self.embed(y)], dim=1))


class ProjectionDiscriminator(nn.Module):
    """D(x, y) = head(h) + <embed(y), pool(h)>, h = body(x): the unconditional D split before
    its last layer (an nn.Sequential `net` whose last module maps features to one logit)."""

    def __init__(self, base: nn.Module, num_classes: int):
        super().__init__()
        net = base.net
        assert isinstance(net, nn.Sequential), "a projection D needs a Sequential `net`"
        self.body = nn.Sequential(*list(net)[:-1])
        self.head = net[-1]
        width = self.head.in_features if isinstance(self.head, nn.Linear) else self.head.in_channels
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, width)
        # Start the projection small: at init D is the unconditional D, and the class term
        # grows as D learns what each class looks like (SNGAN's code inits it likewise).
        nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        h = self.body(x)
        out = self.head(h).view(-1)
        pooled = h.flatten(2).sum(2) if h.dim() > 2 else h  # conv features: summed over space
        return out + (self.embed(y) * pooled).sum(1)
