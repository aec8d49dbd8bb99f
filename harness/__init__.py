"""Readiness harness: turns a readiness checklist into executed evidence."""

__version__ = "0.1.0"
