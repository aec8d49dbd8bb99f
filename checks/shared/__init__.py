"""Helpers shared by check types (requests, expectations, JSON paths, files); no check type lives here."""
