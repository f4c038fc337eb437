"""Sweeps: one run per combination of values, scored and tabulated as the seed's FID table."""
