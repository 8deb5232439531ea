"""Benchmarks of pubflow: `make bench` (see bench/run.py)."""
