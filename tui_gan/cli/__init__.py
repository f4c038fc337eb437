"""Command-line front end: Typer commands that drive the engine headless."""
