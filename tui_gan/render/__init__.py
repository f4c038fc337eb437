"""Rendering helpers that turn image arrays into terminal output."""
