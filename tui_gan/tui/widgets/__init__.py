"""Dashboard widgets, one per file; each draws from the app's RunView."""
