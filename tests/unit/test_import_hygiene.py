"""The engine never imports a UI library; `--help` imports neither torch nor matplotlib."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


def test_engine_imports_without_textual_or_rich():
    mods = _modules_after(
        "import tui_gan.engine.trainer, tui_gan.engine.data, tui_gan.engine.classifier,"
        " tui_gan.engine.checkpoint, tui_gan.engine.toy1d, tui_gan.engine.models.mlp,"
        " tui_gan.engine.models.dcgan, tui_gan.engine.models.faces, tui_gan.engine.models.toy1d,"
        " tui_gan.engine.metrics, tui_gan.engine.evaluate, tui_gan.engine.control"
    )
    assert "torch" in mods  # the import really happened
    assert not {m for m in mods if m.split(".")[0] in ("textual", "rich")}


def test_help_does_not_import_torch():
    mods = _modules_after(
        "import sys; sys.argv=['tui-gan','--help']\n"
        "from tui_gan.cli.app import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass"
    )
    assert "typer" in mods
    heavy = ("torch", "torchvision", "textual", "matplotlib")
    assert not {m for m in mods if m.split(".")[0] in heavy}


def test_report_imports_matplotlib_but_not_torch():
    """`tui-gan report` draws from the run directory alone: no model, so no torch."""
    mods = _modules_after("import tui_gan.report.build")
    assert "matplotlib" in mods
    assert "torch" not in mods


def test_dashboard_modules_do_not_import_torch():
    # The first frame must not wait for torch: the dashboard reads the run directory only.
    mods = _modules_after("import tui_gan.tui.app, tui_gan.cli.dash, tui_gan.launch")
    assert "textual" in mods
    assert "torch" not in mods
