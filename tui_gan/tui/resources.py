"""What the run's process and GPU are using: utilisation, memory and temperature through NVML
(nvidia-ml-py), CPU and RSS through psutil; read in the dashboard's process, never the run's."""

from __future__ import annotations

from typing import Any

GiB = 2**30


def gpu_index(device: str, visible: str | None) -> int | str | None:
    """The GPU a torch device name ("cuda", "cuda:1") means, through the run's
    CUDA_VISIBLE_DEVICES: an NVML index when it lists numbers (torch's cuda:0 is the first
    listed), the UUID when it lists UUIDs (GPU-..., MIG-...); None off CUDA."""
    if not device.startswith("cuda"):
        return None
    try:
        local = int(device.split(":", 1)[1]) if ":" in device else 0
    except ValueError:
        return None
    if visible:
        listed = [v.strip() for v in visible.split(",") if v.strip()]
        if local >= len(listed):
            return None
        if listed[local].isdigit():
            return int(listed[local])
        if listed[local].startswith(("GPU-", "MIG-")):
            return listed[local]
        return None  # a name CUDA would not take either
    return local


def run_environ(pid: int) -> dict[str, str]:
    """The environment the run's process started with (its CUDA_VISIBLE_DEVICES, not ours)."""
    import psutil

    try:
        return psutil.Process(pid).environ()
    except (psutil.Error, OSError):
        return {}


class ResourceReader:
    """One line about a run's process (by PID) and its GPU; cheap enough for once a second."""

    def __init__(self):
        self._nvml: Any = None  # the pynvml module once initialised, False if unavailable
        self._proc: Any = None
        self._env_pid: int | None = None
        self._visible: str | None = None

    def _init(self) -> Any:
        if self._nvml is None:
            try:
                import pynvml

                pynvml.nvmlInit()
                self._nvml = pynvml
            except Exception:  # no driver, no library, no GPU: the line goes without it
                self._nvml = False
        return self._nvml

    def gpu(self, which: int | str) -> str | None:
        """The GPU's line, by NVML index or UUID: each reading that this GPU gives (a vGPU
        has no temperature, a MIG slice no utilisation), the others left out."""
        nv = self._init()
        if not nv:
            return None
        try:
            if isinstance(which, str):
                h = nv.nvmlDeviceGetHandleByUUID(which)
            else:
                h = nv.nvmlDeviceGetHandleByIndex(which)
        except Exception:  # noqa: BLE001 - a GPU that went away, say: no reading this time
            return None
        index = which if isinstance(which, int) else _read(lambda: nv.nvmlDeviceGetIndex(h))
        label = f"GPU{'?' if index is None else index}"
        parts = [label]
        util = _read(lambda: nv.nvmlDeviceGetUtilizationRates(h).gpu)
        if util is not None:
            parts[0] += f" {util}%"
        mem = _read(lambda: nv.nvmlDeviceGetMemoryInfo(h))
        if mem is not None:
            parts.append(f"{mem.used / GiB:.1f}/{mem.total / GiB:.1f} GiB")
        temp = _read(lambda: nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU))
        if temp is not None:
            parts.append(f"{temp}°C")
        return " · ".join(parts)

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

    def which_gpu(self, pid: int, device: str, uuid: str | None) -> int | str | None:
        """The run's GPU: the UUID its start record names; else its device name read through
        the CUDA_VISIBLE_DEVICES its own process started with (read once per process)."""
        if not device.startswith("cuda"):
            return None
        if uuid:
            return uuid
        if self._env_pid != pid:
            self._env_pid, self._visible = pid, run_environ(pid).get("CUDA_VISIBLE_DEVICES")
        return gpu_index(device, self._visible)

    def read(self, pid: int | None, device: str, uuid: str | None = None) -> str:
        """The line, or '' when there is nothing to say (a finished run). `pid` must be the
        run's proven trainer (rundir.lock.verified_pid): its environment is read."""
        parts = []
        if pid is not None:
            line = None
            if uuid and device.startswith("cuda"):
                # A MIG slice's UUID comes from torch without NVML's MIG- prefix.
                line = self.gpu(uuid) or self.gpu(uuid.replace("GPU-", "MIG-", 1))
            if line is None:  # no UUID recorded, or NVML knows it by another name
                which = self.which_gpu(pid, device, None)
                line = self.gpu(which) if which is not None else None
            parts += [line, self.process(pid)]
        return "  │  ".join(p for p in parts if p)

    def close(self) -> None:
        """Let NVML go (the dashboard's worker ends with the screen)."""
        if self._nvml:
            try:
                self._nvml.nvmlShutdown()
            except Exception:  # noqa: BLE001 - shutting down what may already be gone
                pass
        self._nvml = None


def _read(query) -> Any:
    """One NVML query's answer, or None when this GPU does not support it."""
    try:
        return query()
    except Exception:  # noqa: BLE001 - NVMLError_NotSupported and its kin
        return None
