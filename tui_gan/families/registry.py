"""Which families this process knows: the built-in ones, then those registered from outside.

A family from outside registers through a `tui_gan.families` entry point of an installed
package, or through TUI_GAN_FAMILIES (comma-separated `module:attribute`, each naming a Family
or a tuple of them). Never through a preset or a checkpoint: a file someone shares must not
make tui-gan import code. A registration that does not work is one line on stderr, and the
family is left out; the process goes on with the others.
"""

from __future__ import annotations

import importlib
import keyword
import os
import re
import sys
from collections.abc import Iterable, Mapping

from tui_gan.errors import one_line
from tui_gan.families.descriptor import Family

ENV = "TUI_GAN_FAMILIES"
ENTRY_POINTS = "tui_gan.families"
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")  # it names folders and shows in columns
# StepMetrics fields that are no family's value: a family's key may not take one of these.
RESERVED_KEYS = frozenset({"type", "step", "epoch", "time", "img_per_s", "g_d_ratio", "values"})
MAX_KEY = 40


class RegistrationError(ValueError):
    """A registration that cannot be used; its message is the one line the user reads."""


def check(fam: object, taken: Mapping[str, Family]) -> Family:
    """`fam` if it can join the families in `taken`, else RegistrationError saying why."""
    if not isinstance(fam, Family):
        raise RegistrationError(f"{type(fam).__name__} is not a tui_gan.families.Family")
    if not isinstance(fam.name, str) or not NAME.fullmatch(fam.name):
        raise RegistrationError(
            f"family name {one_line(fam.name)!r}: expected 1-40 of a-z, 0-9, '.', '_', '-'"
        )
    if fam.name in taken:
        raise RegistrationError(f"family {fam.name}: the name is taken")
    module, sep, cls = str(fam.impl).partition(":")
    if not (sep and module and cls):
        raise RegistrationError(f"family {fam.name}: impl {fam.impl!r}: expected module:Class")
    keys = fam.metrics
    for key in keys:
        if not (key.isidentifier() and not keyword.iskeyword(key) and len(key) <= MAX_KEY):
            raise RegistrationError(f"family {fam.name}: value {key!r}: expected a short name")
        if key in RESERVED_KEYS:
            raise RegistrationError(f"family {fam.name}: value {key!r} is a record field")
    if len(set(keys)) != len(keys):
        raise RegistrationError(f"family {fam.name}: its four values must differ")
    same = next((f.name for f in taken.values() if set(f.metrics) == set(keys)), None)
    if same is not None and fam.kind != taken[same].kind:
        # A record is told apart by the values it holds: another kind's must differ.
        raise RegistrationError(f"family {fam.name}: logs the same values as {same}")
    return fam


def _families(value: object) -> Iterable[object]:
    return value if isinstance(value, list | tuple) else (value,)


def load_spec(spec: str, source: str) -> list[Family]:
    """The Family (or families) that `module:attribute` names; RegistrationError otherwise."""
    module, sep, attr = spec.partition(":")
    if not (sep and module and attr):
        raise RegistrationError(f"{source}: {one_line(spec)!r}: expected module:attribute")
    try:
        found = importlib.import_module(module)
    except Exception as err:  # any error of an outside module: one line, never a traceback
        raise RegistrationError(
            f"{source}: {one_line(spec)}: cannot import {one_line(module)} "
            f"({type(err).__name__}: {one_line(err)})"
        ) from None
    try:
        value = getattr(found, attr)
    except AttributeError:
        raise RegistrationError(f"{source}: {one_line(spec)}: {module} has no {attr}") from None
    return list(_families(value))  # type: ignore[arg-type]  # `check` takes each in turn


def outside_specs(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(spec, where it came from) for every registration from outside, entry points first."""
    from importlib.metadata import entry_points

    specs = [(ep.value, f"entry point {ep.name}") for ep in entry_points(group=ENTRY_POINTS)]
    raw = environ.get(ENV, "")
    specs += [(s.strip(), ENV) for s in raw.split(",") if s.strip()]
    return specs


def build(
    builtin: Iterable[Family], environ: Mapping[str, str] = os.environ
) -> tuple[dict[str, Family], list[str]]:
    """The registry and the problems met building it (one line each)."""
    registry: dict[str, Family] = {}
    for fam in builtin:
        registry[fam.name] = check(fam, registry)
    problems: list[str] = []
    for spec, source in outside_specs(environ):
        try:
            for found in load_spec(spec, source):
                try:
                    fam = check(found, registry)
                except RegistrationError as err:
                    raise RegistrationError(f"{source}: {one_line(spec)}: {err}") from None
                registry[fam.name] = fam
        except RegistrationError as err:
            problems.append(f"{err}; left out")
    return registry, problems


def report(problems: Iterable[str]) -> None:
    """Each problem as one line on stderr: the rest of the command goes on."""
    for line in problems:
        print(f"tui-gan: {one_line(line)}", file=sys.stderr)
