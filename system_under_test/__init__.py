"""Reference service: a wallet-portfolio API that practises what the seed checklists preach.

Every practice can be switched off by name (see :mod:`system_under_test.defects`) so that the
harness can prove each of its checks fails against the matching defect.
"""

__version__ = "1.0.0"
