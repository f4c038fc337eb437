"""A pydantic ValidationError as one line: file, dotted field, bad value, expected, did you mean."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError


def fmt_value(v: Any) -> str:
    """A bad value as the message shows it: TOML's true/false, a repr cut to 60 characters."""
    text = str(v).lower() if isinstance(v, bool) else _safe_repr(v)
    return text if len(text) <= 60 else text[:57] + "..."  # the line stays one line


def _safe_repr(v: Any) -> str:
    try:
        return repr(v)
    except (RecursionError, ValueError):  # nested past the limit; an int too long to print
        return f"<{type(v).__name__}>"


def close_key(loc: tuple[Any, ...], model: type[BaseModel]) -> str | None:
    """The dotted key that an unknown key `loc` was probably meant to be (`optim.g.lrr` ->
    `optim.g.lr`), among the fields of the table it sits in; None when nothing is close."""
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        sub = field.annotation if field is not None else None
        if not (isinstance(sub, type) and issubclass(sub, BaseModel)):
            return None
        model = sub
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return ".".join([*map(str, loc[:-1]), close[0]]) if close else None


def format_error(source: str, err: ValidationError, model: type[BaseModel] | None = None) -> str:
    """The first validation problem as `source: dotted.field: expected X, got Y`; an unknown
    key of `model` with a field of a close name gets a "did you mean"."""
    e = err.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in e["loc"])
    kind = e["type"]
    if kind == "extra_forbidden":
        line = f"{source}: {loc}: unknown key (got {fmt_value(e['input'])})"
        meant = close_key(tuple(e["loc"]), model) if model is not None and e["loc"] else None
        return f"{line}; did you mean {meant}?" if meant else line
    if kind == "expected":
        if not loc:  # a rule across fields: its message names them and what they must be
            return f"{source}: expected {e['msg']}"
        return f"{source}: {loc}: expected {e['msg']}, got {fmt_value(e['input'])}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{source}: {loc}: expected a table, got {fmt_value(e['input'])}"
    if kind == "bool_type" or kind == "bool_parsing":
        return f"{source}: {loc}: expected true or false, got {fmt_value(e['input'])}"
    return f"{source}: {loc}: {e['msg']}, got {fmt_value(e['input'])}"
