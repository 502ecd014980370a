"""Benchmark harness: synthetic data in tiers, a floor app, a naive DRF baseline, and a runner (see README.md)."""
