"""Benchmarks (`make bench`): measured side by side, written to bench/results/, never asserted."""
