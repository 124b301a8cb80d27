"""Benchmarks that print figures and ratios (see docs/performance-*.md)."""
