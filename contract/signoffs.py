"""What people sign: attestations (a person vouches for an item), waivers (a failure accepted until a
date) and report signatures. The models of the files users write, and of what the record keeps."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def is_expired(self, today: dt.date) -> bool:
        expires = getattr(self, "expires", None)
        return expires is not None and expires < today


class Attestation(_Record):
    """A person vouching for one item, with what they looked at."""

    item: str
    signer: str = Field(min_length=1)
    role: str = Field(min_length=1)
    date: dt.date
    evidence: str = Field(min_length=1, description="a link or reference to what the signer looked at")
    expires: dt.date | None = None
    note: str = ""


class Waiver(_Record):
    """A failure accepted until a date, with who approved it and why."""

    item: str
    justification: str = Field(min_length=10)
    approver: str = Field(min_length=1)
    expires: dt.date
    ticket: str = ""


class AppliedWaiver(Waiver):
    """A waiver as the record keeps it: whether it had expired when the audit ran."""

    expired: bool = Field(default=False, description="had expired when the audit ran (the failure stands)")


class ReportSignature(BaseModel):
    """A reviewer signing the report for one of the checklist's sign-off roles."""

    model_config = ConfigDict(extra="forbid")
    role: str = Field(min_length=1)
    signer: str = Field(min_length=1)
    date: dt.date
    note: str = ""
