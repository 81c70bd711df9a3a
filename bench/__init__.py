"""Benchmarks of the bookshop deployment: what an hourly refresh costs, each figure against its floor.

Run `python -m bench` from the repository root (`make bench`); see bench/README.md.
"""
