"""The Textual dashboard: a viewer and remote control for a run directory."""
