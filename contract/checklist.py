"""The checklist model: metadata, sections and items, as a user writes them in YAML."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def blocking(self) -> bool:
        return self in (Severity.CRITICAL, Severity.HIGH)

    @property
    def weight(self) -> int:
        return {"critical": 8, "high": 4, "medium": 2, "low": 1}[self.value]


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class _UserModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceRef(_UserModel):
    """Where an item came from in a source checklist, in the source's own words."""

    file: str
    line: int | None = None
    text: str = ""


class CheckCall(_UserModel):
    """``check:`` of an item: a registered type, an optional timeout, and the type's params.

    In YAML the params sit beside ``type`` and ``timeout``; the loader validates them against
    the type's params model and stores the parsed model in ``params``.
    """

    type: str
    timeout: float | None = Field(default=None, gt=0)
    exclusive: bool = False
    params: BaseModel | None = None


class AttestationSpec(_UserModel):
    """A role that must vouch for an item no machine can verify."""

    role: str
    evidence: str = ""


class NotApplicable(_UserModel):
    reason: str = Field(min_length=3)


Coverage = Literal["full", "partial"]


class Item(_UserModel):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    severity: Severity
    claimed: bool | None = None
    description: str = ""
    source: SourceRef | None = None
    tags: list[str] = Field(default_factory=list)
    check: CheckCall | None = None
    attestation: AttestationSpec | None = None
    not_applicable: NotApplicable | None = None
    covers: Coverage = Field(default="full", description="how much of the claim the check exercises: `partial` "
                             "when it verifies only a necessary part or a proxy of it (say what in `uncovered`)")
    uncovered: str = Field(default="", description="with `covers: partial`: what the check does not verify")

    @model_validator(mode="after")
    def _partial_says_what_is_missing(self) -> Item:
        if self.covers == "partial" and len(self.uncovered.strip()) < 10:
            raise ValueError("`covers: partial` needs `uncovered:` saying what the check does not verify")
        if self.covers == "full" and self.uncovered:
            raise ValueError("`uncovered:` goes with `covers: partial`")
        return self

    @model_validator(mode="after")
    def _exactly_one_binding(self) -> Item:
        bound = [k for k in ("check", "attestation", "not_applicable") if getattr(self, k) is not None]
        if len(bound) != 1:
            found = ", ".join(bound) or "none"
            raise ValueError(f"an item needs exactly one of check, attestation, not_applicable (found: {found})")
        return self


class Section(_UserModel):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    items: list[Item] = Field(min_length=1)


class SignOffRoles(_UserModel):
    """The roles that must sign the report before the service ships."""

    roles: list[str] = Field(default_factory=list)


class Meta(_UserModel):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    description: str = ""
    version: str = "1"
    source: str | None = None
    target: str | None = None
    attestations: str | None = None
    waivers: str | None = None
    signoff: SignOffRoles = Field(default_factory=SignOffRoles)
    concurrency: int = Field(default=8, ge=1, le=64)
    default_timeout: float = Field(default=30.0, gt=0)


class Checklist(_UserModel):
    checklist: Meta
    sections: list[Section] = Field(min_length=1)

    @property
    def meta(self) -> Meta:
        return self.checklist

    def items(self) -> list[tuple[Section, Item]]:
        return [(section, item) for section in self.sections for item in section.items]
