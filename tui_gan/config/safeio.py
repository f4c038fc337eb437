"""The one place config reaches into tui_gan.engine: the shared step bound and the safe reader."""

# engine.safeio is a leaf (no torch, no tui_gan imports), but it sits in the wrong layer for
# config; when it moves into the run-directory package, this import is the only one to change.
from tui_gan.engine.safeio import MAX_STEP, read_bytes

__all__ = ["MAX_STEP", "read_bytes"]
