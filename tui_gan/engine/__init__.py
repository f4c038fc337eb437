"""The headless engine: models, data, losses, the training loop and checkpoints (no UI imports)."""
