"""Benchmarks: each module here has ``run() -> list[Ratio]`` and prints ratios against a
baseline measured in the same process (never asserted in tests). ``make bench`` runs them all;
``python -m bench NAME ...`` runs some."""
