"""Samples as real pixels through textual-image (Kitty graphics or Sixel terminals)."""

from __future__ import annotations

from textual.app import ComposeResult

from tui_gan.render.tiling import class_labels
from tui_gan.rundir.read import open_grid
from tui_gan.tui.widgets.samples import SampleBase


def _image_widget(protocol: str):
    from textual_image.widget import SixelImage, TGPImage

    return (SixelImage if protocol == "sixel" else TGPImage)(id="pixels")


class PixelSamplePanel(SampleBase):
    """The same panel as the half-block one, with the grid PNG drawn in real pixels."""

    DEFAULT_CSS = "PixelSamplePanel #pixels { width: auto; height: 1fr; }"

    def __init__(self, protocol: str, **kwargs):
        super().__init__("samples: fixed noise", **kwargs)
        self.protocol = protocol

    def compose(self) -> ComposeResult:
        yield _image_widget(self.protocol)

    def signature(self, view):
        step = view.interp.step if self.interp and view.interp else None
        s = view.samples and view.samples.step
        return (view.run_dir, s, step, self.fresh, self.recon, self.interp)

    def update_view(self, view) -> None:
        self.fit_mode(view)
        s = view.samples
        which = self.mode_name(view)
        at = f" @ step {s.step}" if s else ""
        self.border_title = f"samples: {which}{at}  (f toggles)"
        if self.interp:
            self.border_title = "latent walks z0 -> z1  (i closes)"
        grid = view.sample_grid(self.fresh, self.interp, self.recon)
        # A noise-by-class grid's columns, named: the picture is the PNG itself, unlabelled.
        labelled = grid and view.conditional and not self.interp and not self.recon
        names = class_labels(view.dataset, grid[1]) if labelled else ()
        self.border_subtitle = "columns: " + " ".join(names) if names else ""
        if grid and self.signature(view) != self._drawn:
            path, _ = grid
            picture = open_grid(path, "RGB")
            if picture is None:
                return
            self.query_one("#pixels").image = picture
        super().update_view(view)
