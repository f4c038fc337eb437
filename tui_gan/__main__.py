"""`python -m tui_gan`: the same as the `tui-gan` command."""

from tui_gan.cli.app import main

main()
