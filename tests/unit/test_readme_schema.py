"""The README's list of record types is the schema's own, so the two cannot drift."""

from __future__ import annotations

import re

from tests.conftest import REPO
from tui_gan.engine.events import REGISTRY, schema_markdown


def test_readme_lists_the_records_the_schema_defines():
    readme = (REPO / "README.md").read_text()
    found = re.search(r"<!-- records:[^\n]*-->\n(.*?)\n<!-- /records -->", readme, re.S)
    assert found, "README.md lost its <!-- records --> markers"
    assert found.group(1) == schema_markdown(), (
        "README.md's record list is stale: paste `python -m tui_gan.engine.events` over it"
    )


def test_every_record_type_is_documented_and_has_a_docstring():
    for cls in REGISTRY.values():
        assert cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("), cls
