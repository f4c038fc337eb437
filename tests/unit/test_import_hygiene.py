"""The engine never imports a UI library; `--help` imports neither torch nor matplotlib."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tui_gan.engine


def _modules_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]  # which import failed, and why
    return set(done.stdout.split())


def _engine_modules() -> list[str]:
    """Every module under tui_gan/engine, found on disk: a new one is covered without an edit."""
    root = Path(tui_gan.engine.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_engine_imports_without_textual_or_rich():
    modules = _engine_modules()
    assert len(modules) > 30  # the walk found the package (40-odd modules today)
    mods = _modules_after("import " + ", ".join(modules))  # one process: torch loads once
    assert set(modules) <= mods  # every one really imported
    assert "torch" in mods
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
