"""Model families: each one declared once, as a descriptor (its capabilities, panels, text and
preset rules), pure data with no torch. The preset schema, the records, the dashboard and the
CLI read the descriptors; the loop builds the family's trainable, which implements
tui_gan/engine/family.py's Protocol. Built-in families are in builtin.py; one from outside
registers through an entry point or TUI_GAN_FAMILIES (registry.py).
"""

from __future__ import annotations

from tui_gan.families.builtin import BUILTIN
from tui_gan.families.descriptor import GAN_SETTINGS, Capabilities, Family, Series
from tui_gan.families.registry import ENTRY_POINTS, ENV, RegistrationError, build, report

__all__ = [
    "ENTRY_POINTS",
    "ENV",
    "GAN_SETTINGS",
    "METRIC_KEYS",
    "NAMES",
    "PROBLEMS",
    "RATIO_KEY",
    "REGISTRY",
    "Capabilities",
    "Family",
    "RegistrationError",
    "Series",
    "family",
    "with_capability",
]

# Built once, when this module is first imported: everything that reads the registry (the
# preset's choice list, the record schema, the dashboard's series) sees the same families.
REGISTRY, PROBLEMS = build(BUILTIN)
report(PROBLEMS)
NAMES: tuple[str, ...] = tuple(REGISTRY)
METRIC_KEYS: tuple[str, ...] = tuple(dict.fromkeys(k for f in REGISTRY.values() for k in f.metrics))
# GAN records may also carry loss_g / loss_d (issue 11: D overpowering a warm-started G).
RATIO_KEY = "g_d_ratio"


def family(name: str) -> Family:
    """The family of a preset's model.family; an unknown name (a newer run, or a family not
    registered in this process) reads as mlp's."""
    return REGISTRY.get(name, REGISTRY["mlp"])


def with_capability(flag: str) -> tuple[str, ...]:
    """The names of the families whose Capabilities have `flag` set, for a message that
    names them ("--mcmc-steps is for ebm runs")."""
    return tuple(f.name for f in REGISTRY.values() if getattr(f.caps, flag))
