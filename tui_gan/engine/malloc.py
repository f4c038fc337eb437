"""Keep freed activation memory in glibc's heap between training steps (Linux, CPU runs)."""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers
MMAP_THRESHOLD = 32 * 2**20  # glibc's ceiling for it on 64-bit (HEAP_MAX_SIZE / 2)
TRIM_THRESHOLD = 512 * 2**20


def keep_freed_memory() -> bool:
    """A CPU training step frees megabytes of activations and allocates them again next step.
    glibc serves blocks of 128 KiB and more with mmap (the threshold rises only as such
    blocks are freed) and gives the heap's top back to the kernel above 128 KiB free, so
    those pages are faulted in again every step. Fixed thresholds keep them in the heap.
    TUI_GAN_MALLOC=default leaves glibc as it is; elsewhere than glibc this does nothing."""
    if not sys.platform.startswith("linux") or os.environ.get("TUI_GAN_MALLOC") == "default":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl, or no libc.so.6: nothing to tune
        return False
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
