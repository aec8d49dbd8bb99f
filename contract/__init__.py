"""The contract every part of the harness shares, and the bottom layer: it imports nothing else of ours.

- ``status``: item statuses and their categories (blocking, passing, scored, ...)
- ``evidence``: what a reviewer needs to believe a result (observations, exchanges, tables, series)
- ``result``: what one check returns
- ``checklist``: the checklist model, as a user writes it in YAML
- ``record``: the record of one audit (``results.json``), with typed waiver and attestation records
- ``registry``: check types by name, with their params model, phase and what they need
- ``context``: what a check may use during an audit, as protocols the core implements
- ``crossref``: what a check type's hook may know to check names and files before anything starts
- ``explain``: the verdict explained in one line (what blocked, what failed without blocking)
- ``events``: the audit's events and the listener interface (progress included)
- ``errors``: the exception tree; ``redaction``: secrets out of evidence; ``net``: free ports
"""
