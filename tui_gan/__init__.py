"""tui-gan: train GANs from a terminal dashboard or headless, one engine for both."""

__version__ = "0.1.0"
