"""The speed settings of a run's networks: autocast precision, the fp16 grad scaler,
channels_last memory order and torch.compile, applied in one place for every G/D pair."""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import Tensor, nn

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Speed:
    """`autocast()` around forward passes, `update()` for backward + optimizer step, and
    `forward(net)`: the callable to run a network through (compiled or not)."""

    def __init__(self, precision: str, channels_last: bool, compile_mode: str, device):
        self.precision, self.channels_last = precision, channels_last
        self.compile_mode = compile_mode
        self.device = torch.device(device)
        self.dtype = DTYPES.get(precision)
        # One scaler per network: D and G step at different times, each with its own loss.
        self.scalers: dict[str, Any] = {}

    @classmethod
    def of(cls, preset, device) -> Speed:
        t = preset.train
        return cls(t.precision, t.channels_last, t.compile, device)

    @property
    def fused_adam(self) -> bool:
        """Fused Adam on CUDA (one kernel for all parameters) and with fp16 anywhere: the grad
        scaler then passes its inf check to the kernel instead of reading it on the host (a
        sync per step otherwise)."""
        return self.device.type == "cuda" or self.precision == "fp16"

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def prepare(self, net: nn.Module) -> nn.Module:
        """The network in its memory order, moved in place (its state dict is unchanged)."""
        if self.channels_last:
            net.to(memory_format=torch.channels_last)
        return net

    def forward(self, net: nn.Module) -> Any:
        """What the training step calls: the network itself, or torch.compile's wrapper of
        it (the module stays the one that is saved, averaged and sampled from)."""
        if self.compile_mode == "off":
            return net
        return torch.compile(net, mode=self.compile_mode)

    def images(self, x: Tensor) -> Tensor:
        """A batch of images in the networks' memory order."""
        if self.channels_last and x.dim() == 4:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    def update(self, name: str, loss: Tensor, opt: torch.optim.Optimizer) -> None:
        """Backward and step; with fp16 through the network's grad scaler (no host sync)."""
        if self.precision != "fp16":
            loss.backward()
            opt.step()
            return
        scaler = self.scalers.get(name)
        if scaler is None:
            scaler = self.scalers[name] = torch.amp.GradScaler(self.device.type)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    def state_dict(self) -> dict[str, Any]:
        return {name: s.state_dict() for name, s in self.scalers.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.precision != "fp16":
            return  # a scaler saved by an fp16 run has nothing to do in fp32/bf16
        for name, s in state.items():
            scaler = self.scalers[name] = torch.amp.GradScaler(self.device.type)
            scaler.load_state_dict(s)
