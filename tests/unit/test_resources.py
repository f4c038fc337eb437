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
    assert gpu_index("cuda", "GPU-1a2b") is None  # a UUID: not guessed


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
