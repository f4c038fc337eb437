"""`tui-gan presets`: list shipped presets, or print one resolved."""

from __future__ import annotations


def run_presets(name: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from tui_gan.config import to_toml
    from tui_gan.presets import DEFAULT_PRESET, list_presets, load_preset

    console = Console()
    if name:
        # Plain print: the output is TOML meant to be redirected into a file.
        print(to_toml(load_preset(name)), end="")
        return
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("preset")
    table.add_column("description")
    for info in list_presets():
        label = f"{info.name} (default)" if info.name == DEFAULT_PRESET else info.name
        table.add_row(label, info.description)
    console.print(table)
