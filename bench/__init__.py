"""Benchmarks: Blether beside a bare baseline in the same run, so the ratio means something."""
