"""What the run's process and GPU are using: utilisation, memory and temperature through NVML
(nvidia-ml-py), CPU and RSS through psutil; read in the dashboard's process, never the run's."""

from __future__ import annotations

import os
from typing import Any

GiB = 2**30


def gpu_index(device: str, visible: str | None) -> int | None:
    """The NVML index of a torch device name ("cuda", "cuda:1"), through CUDA_VISIBLE_DEVICES
    when it lists plain numbers (torch's cuda:0 is then the first listed); None off CUDA."""
    if not device.startswith("cuda"):
        return None
    local = int(device.split(":", 1)[1]) if ":" in device else 0
    if visible:
        listed = [v.strip() for v in visible.split(",") if v.strip()]
        if local < len(listed) and listed[local].isdigit():
            return int(listed[local])
        if local < len(listed):
            return None  # GPU UUIDs or MIG names: not worth guessing
    return local


class ResourceReader:
    """One line about a run's process (by PID) and its GPU; cheap enough for once a second."""

    def __init__(self):
        self._nvml: Any = None  # the pynvml module once initialised, False if unavailable
        self._proc: Any = None

    def gpu(self, index: int) -> str | None:
        if self._nvml is None:
            try:
                import pynvml

                pynvml.nvmlInit()
                self._nvml = pynvml
            except Exception:  # no driver, no library, no GPU: the line goes without it
                self._nvml = False
        if not self._nvml:
            return None
        nv = self._nvml
        try:
            h = nv.nvmlDeviceGetHandleByIndex(index)
            util = nv.nvmlDeviceGetUtilizationRates(h).gpu
            mem = nv.nvmlDeviceGetMemoryInfo(h)
            temp = nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU)
        except Exception:  # noqa: BLE001 - a GPU that went away, say: no reading this time
            return None
        return f"GPU{index} {util}% · {mem.used / GiB:.1f}/{mem.total / GiB:.1f} GiB · {temp}°C"

    def process(self, pid: int) -> str | None:
        import psutil

        try:
            if self._proc is None or self._proc.pid != pid:
                self._proc = psutil.Process(pid)
                self._proc.cpu_percent(None)  # the first call only starts the clock
                return None
            cpu = self._proc.cpu_percent(None)
            rss = self._proc.memory_info().rss
        except (psutil.Error, OSError):
            self._proc = None
            return None
        return f"CPU {cpu:.0f}% · RSS {rss / GiB:.2f} GiB"

    def read(self, pid: int | None, device: str) -> str:
        """The line, or '' when there is nothing to say (a finished run)."""
        parts = []
        index = gpu_index(device, os.environ.get("CUDA_VISIBLE_DEVICES"))
        if index is not None and pid is not None:
            parts.append(self.gpu(index))
        if pid is not None:
            parts.append(self.process(pid))
        return "  │  ".join(p for p in parts if p)
