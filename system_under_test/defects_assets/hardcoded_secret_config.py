"""Planted for the ``hardcoded_secret`` defect: a credential committed to source.

A secret scan of this folder must find it. The values are AWS's published documentation
examples, so they grant nothing, but they have the exact shape a scanner looks for.
With the defect on, the service also bakes them into its configuration folder at start-up
(:func:`write_credentials_file`), the way a misconfigured deployment does, so that a scan of
the running service's files tells whether the defect is on.
"""

from __future__ import annotations

import os
from pathlib import Path

AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

CREDENTIALS_FILE = "credentials.env"


def write_credentials_file(config_dir: Path) -> Path:
    """Write the credential into ``config_dir/credentials.env`` (whole or not at all) and return its path."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / CREDENTIALS_FILE
    partial = config_dir / f".{CREDENTIALS_FILE}.partial"
    partial.write_text(f"AWS_ACCESS_KEY_ID={AWS_ACCESS_KEY_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET_ACCESS_KEY}\n",
                       encoding="utf-8")
    partial.chmod(0o600)
    os.replace(partial, path)
    return path
