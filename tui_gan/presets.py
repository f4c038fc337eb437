"""Find, list and load preset files (shipped ones by name, any other by path)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from tui_gan.config import Preset, apply_overrides, read_toml, validate
from tui_gan.errors import PresetError

DEFAULT_PRESET = "mnist-mlp"


def preset_dir() -> Path:
    """Shipped presets: inside the installed package, else the repo's presets/ folder."""
    packaged = Path(__file__).parent / "presets"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "presets"


@dataclass(frozen=True)
class PresetInfo:
    name: str
    path: Path
    description: str


def list_presets() -> list[PresetInfo]:
    out = []
    for path in sorted(preset_dir().glob("*.toml")):
        raw = read_toml(path)
        out.append(PresetInfo(path.stem, path, str(raw.get("description", ""))))
    return out


def resolve_path(name_or_path: str) -> Path:
    """A shipped preset's name, or a path to a TOML file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists() or "/" in name_or_path:
        if not candidate.is_file():
            raise PresetError(f"{name_or_path}: no such preset file")
        return candidate
    shipped = preset_dir() / f"{name_or_path}.toml"
    if not shipped.is_file():
        names = [p.stem for p in sorted(preset_dir().glob("*.toml"))]
        close = difflib.get_close_matches(name_or_path, names, n=1)
        if close:
            raise PresetError(
                f"{name_or_path}: no such preset; did you mean {close[0]}? "
                "(tui-gan presets lists them)"
            )
        raise PresetError(f"{name_or_path}: no such preset (shipped: {', '.join(names)})")
    return shipped


def load_preset(name_or_path: str | None = None, overrides: tuple[str, ...] = ()) -> Preset:
    """Load, apply `--set` overrides and validate; errors are one-line PresetErrors."""
    path = resolve_path(name_or_path or DEFAULT_PRESET)
    raw = read_toml(path)
    raw.setdefault("name", _name_from(path.stem))
    if overrides:
        raw = apply_overrides(raw, overrides)
    return validate(raw, str(_display(path)), overrides)


def _name_from(stem: str) -> str:
    """A file name as a preset name ("my preset (2)" -> "my-preset--2-"): it names run dirs."""
    name = re.sub(r"[^A-Za-z0-9._+-]", "-", stem).lstrip("._+-")[:64]
    return name or "custom"


def _display(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path
