"""The dashboard's resources line: the run's GPU through NVML, its process through psutil."""

from __future__ import annotations

import os
import sys
import types

from tui_gan.tui.resources import ResourceReader, gpu_index


def test_gpu_index_follows_cuda_visible_devices():
    assert gpu_index("cpu", None) is None
    assert gpu_index("cuda", None) == 0
    assert gpu_index("cuda:1", None) == 1
    assert gpu_index("cuda:1", "3,5") == 5  # torch's cuda:1 is the second GPU listed
    assert gpu_index("cuda", "GPU-1a2b") == "GPU-1a2b"  # a UUID: NVML looks it up as one
    assert gpu_index("cuda", "my-gpu") is None  # a name CUDA would not take: not guessed


def test_the_process_line_has_cpu_and_rss_from_the_second_reading():
    reader = ResourceReader()
    assert reader.process(os.getpid()) is None  # the first reading starts psutil's clock
    sum(i * i for i in range(200_000))
    line = reader.process(os.getpid())
    assert line is not None and line.startswith("CPU ") and "RSS " in line and "GiB" in line
    assert reader.process(2**22 + 12345) is None  # no such process: no line, no error


def test_the_gpu_line_from_nvml(monkeypatch):
    fake = types.SimpleNamespace(
        NVML_TEMPERATURE_GPU=0,
        nvmlInit=lambda: None,
        nvmlDeviceGetHandleByIndex=lambda i: f"gpu{i}",
        nvmlDeviceGetUtilizationRates=lambda h: types.SimpleNamespace(gpu=97),
        nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(used=12 * 2**30, total=80 * 2**30),
        nvmlDeviceGetTemperature=lambda h, sensor: 61,
    )
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    reader = ResourceReader()
    assert reader.gpu(0) == "GPU0 97% · 12.0/80.0 GiB · 61°C"
    line = reader.read(os.getpid(), "cuda")
    assert line.startswith("GPU0 97%")


def test_no_nvml_means_no_gpu_part_and_no_error(monkeypatch):
    def broken():
        raise RuntimeError("NVML Shared Library Not Found")

    monkeypatch.setitem(sys.modules, "pynvml", types.SimpleNamespace(nvmlInit=broken))
    reader = ResourceReader()
    assert reader.gpu(0) is None
    assert reader.read(None, "cuda") == ""  # a finished run: nothing to say


def _fake_nvml(temperature=True, utilisation=True):
    """pynvml with 4 GPUs; index i has UUID GPU-i and i GiB in use."""

    def unsupported(*_):
        raise RuntimeError("NVMLError_NotSupported")

    return types.SimpleNamespace(
        NVML_TEMPERATURE_GPU=0,
        nvmlInit=lambda: None,
        nvmlShutdown=lambda: None,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetHandleByUUID=lambda u: int(u.split("-")[1]),
        nvmlDeviceGetIndex=lambda h: h,
        nvmlDeviceGetUtilizationRates=(
            (lambda h: types.SimpleNamespace(gpu=10 * h)) if utilisation else unsupported
        ),
        nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(used=h * 2**30, total=80 * 2**30),
        nvmlDeviceGetTemperature=(lambda h, s: 40 + h) if temperature else unsupported,
    )


def test_the_gpu_line_names_the_runs_own_gpu_from_its_environment(monkeypatch):
    """A run started with CUDA_VISIBLE_DEVICES=2 (a sweep's third slot) is on GPU 2, whatever
    the dashboard's own setting says."""
    import subprocess

    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml())
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")  # the dashboard's: not the run's
    child = subprocess.Popen(
        [sys.executable, "-c", "print('ready', flush=True); import time; time.sleep(30)"],
        env={**os.environ, "CUDA_VISIBLE_DEVICES": "2"},
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    child.stdout.readline()  # started: its environment is the one it was given
    try:
        line = ResourceReader().read(child.pid, "cuda")
    finally:
        child.kill()
        child.wait()
    assert line.startswith("GPU2 20% · 2.0/80.0 GiB · 42°C")


def test_the_start_records_uuid_wins(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml())
    assert ResourceReader().read(os.getpid(), "cuda", "GPU-3").startswith("GPU3 30%")
    assert gpu_index("cuda:1", "GPU-aa,GPU-bb") == "GPU-bb"  # UUIDs: looked up as such


def test_a_reading_the_gpu_does_not_support_leaves_only_itself_out(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml(temperature=False, utilisation=False))
    reader = ResourceReader()
    assert reader.gpu(1) == "GPU1 · 1.0/80.0 GiB"
    reader.close()


def test_gpu_zero_by_uuid_is_named_gpu0(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml())
    assert ResourceReader().gpu("GPU-0").startswith("GPU0 0%")  # index 0 is not "unknown"
