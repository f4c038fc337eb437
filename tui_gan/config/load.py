"""A raw table into a Preset: the one validation entry, its error blamed on the file or --set."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from tui_gan.config.messages import format_error
from tui_gan.config.schema import Preset
from tui_gan.config.toml import check_depth
from tui_gan.errors import PresetError


def validate(raw: dict[str, Any], source: str, overrides: Iterable[str] = ()) -> Preset:
    """Validate a raw TOML table into a Preset, or raise PresetError with one line. A field
    that an override set is blamed on the command line, not on the file it overrode."""
    check_depth(raw, source)
    try:
        return Preset.model_validate(raw)
    except ValidationError as err:
        loc = ".".join(str(p) for p in err.errors(include_url=False)[0]["loc"])
        set_keys = {text.partition("=")[0].strip() for text in overrides}
        # The override's own key, a field inside the table it set, or (a table name's typo)
        # the table that only the override made.
        blamed = (loc == k or loc.startswith(k + ".") or k.startswith(loc + ".") for k in set_keys)
        if loc and any(blamed):
            source = "command line"
        raise PresetError(format_error(source, err, Preset)) from None
