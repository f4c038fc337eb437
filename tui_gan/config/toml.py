"""Presets as TOML: read a file into a table, apply --set overrides, emit the resolved preset."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomllib

from tui_gan.errors import PresetError
from tui_gan.rundir.read import read_bytes

if TYPE_CHECKING:
    from tui_gan.config.schema import Preset

MAX_DEPTH = 6  # a preset is table.table.field = [list]: 4 levels; more is junk


def _depth(v: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of dicts and lists, counted only up to limit + 1 (no deep recursion)."""
    if limit < 0 or not isinstance(v, dict | list | tuple):
        return 0
    children = v.values() if isinstance(v, dict) else v
    return 1 + max((_depth(c, limit - 1) for c in children), default=0)


def check_depth(raw: Any, source: str) -> None:
    """A table nested past MAX_DEPTH is junk, refused before anything recurses into it."""
    if _depth(raw) > MAX_DEPTH:
        raise PresetError(f"{source}: nested more than {MAX_DEPTH} levels deep; not a preset")


def parse_override(text: str) -> tuple[list[str], Any]:
    """`a.b.c=VALUE` -> (['a','b','c'], value); VALUE is read as TOML, else as a string."""
    if "=" not in text:
        raise PresetError(f"--set {text}: expected KEY=VALUE, e.g. optim.g.lr=1e-4")
    key, _, value = text.partition("=")
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise PresetError(f"--set {text}: expected a dotted key such as train.steps")
    try:
        doc = tomllib.loads(f"v = {value.strip()}")
        if set(doc) != {"v"}:  # "3\nfoo = 1" smuggles a second key past the first
            raise PresetError(f"--set {key}: expected one value, got more than one line of TOML")
        parsed = doc["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()  # bare words (e.g. lsgan) are strings
    except RecursionError:
        raise PresetError(f"--set {key}: the value is nested too deeply") from None
    if _depth(parsed) > MAX_DEPTH:
        raise PresetError(f"--set {key}: the value is nested too deeply")
    return key.split("."), parsed


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Return a copy of raw with each `a.b=VALUE` applied (validation happens later)."""
    if not isinstance(raw, dict):
        raise PresetError("the preset is not a table")
    check_depth(raw, "the preset")
    out = _deepcopy(raw)
    for text in overrides:
        path, value = parse_override(text)
        node = out
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {} if child is None else child
                node[part] = child
            if not isinstance(child, dict):
                raise PresetError(f"--set {text}: {part} is not a table")
            node = child
        node[path[-1]] = value
    return out


def _deepcopy(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _deepcopy(v) if isinstance(v, dict) else v for k, v in d.items()}


MAX_PRESET_BYTES = 1 << 20


def load_toml_bytes(data: bytes, path: Path | str) -> dict[str, Any]:
    """TOML from bytes, every failure one PresetError line naming the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PresetError(
            f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); "
            "a preset is a UTF-8 TOML file"
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PresetError(f"{path}: not valid TOML: {err}") from None
    except RecursionError:
        raise PresetError(f"{path}: nested too deeply; not a preset") from None
    check_depth(raw, str(path))
    return raw


def read_toml(path: Path) -> dict[str, Any]:
    """A preset file's table; an empty file is an error, not the default preset in disguise."""
    if not Path(path).exists():
        raise PresetError(f"{path}: no such preset file")
    data = read_bytes(Path(path), MAX_PRESET_BYTES)
    if data is None:
        raise PresetError(
            f"{path}: not a readable preset (not a regular file, unreadable, "
            f"or larger than {MAX_PRESET_BYTES >> 10} KiB)"
        )
    raw = load_toml_bytes(data, path)
    if not raw:
        raise PresetError(
            f"{path}: the preset is empty; start from a shipped one: tui-gan presets mnist-mlp"
        )
    return raw


def to_toml(preset: Preset) -> str:
    """The resolved preset as TOML (every field, defaults included)."""
    data = preset.model_dump(mode="json")
    lines = [f"name = {toml_value(data.pop('name'))}"]
    lines.append(f"description = {toml_value(data.pop('description'))}")
    _emit_tables(data, [], lines)
    return "\n".join(lines) + "\n"


def _emit_tables(data: dict[str, Any], prefix: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    if prefix and scalars:
        lines.append("")
        lines.append(f"[{'.'.join(prefix)}]")
    for k, v in scalars.items():
        lines.append(f"{k} = {toml_value(v)}")
    for k, v in tables.items():
        _emit_tables(v, [*prefix, k], lines)


def _toml_char(c: str) -> str:
    if c in '"\\':
        return "\\" + c
    return f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c


def toml_value(v: Any) -> str:
    """A JSON-like value (what model_dump gives) as TOML: a basic string, a flat array."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):  # a TOML basic string: control characters as \uXXXX escapes
        return '"' + "".join(_toml_char(c) for c in v) + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return repr(v)
