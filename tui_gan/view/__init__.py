"""A run as its viewers see it, rebuilt from its directory: shared by the dashboard and the CLI."""
