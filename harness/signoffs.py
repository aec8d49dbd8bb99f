"""Attestations (a person vouches for an item) and waivers (a failure is accepted until a date)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract.errors import ChecklistError, Problem
from readiness_harness.contract.signoffs import Attestation, ReportSignature, Waiver
from readiness_harness.documents import read_yaml, validate_model
from readiness_harness.validation import suggest


class AttestationsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attestations: list[Attestation] = Field(default_factory=list)
    signoffs: list[ReportSignature] = Field(default_factory=list)


class WaiversFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waivers: list[Waiver] = Field(default_factory=list)


class SignOffBook:
    """The attestations and waivers that apply to one audit."""

    def __init__(self, attestations: list[Attestation] | None = None, waivers: list[Waiver] | None = None,
                 *, today: dt.date | None = None, signoffs: list[ReportSignature] | None = None) -> None:
        self.attestations = attestations or []
        self.waivers = waivers or []
        self.signoffs = signoffs or []
        self.today = today or dt.date.today()

    def signoff_records(self) -> list[ReportSignature]:
        """The report signatures, in file order, as the audit record stores them."""
        return list(self.signoffs)

    def attestation_for(self, item_id: str) -> Attestation | None:
        """The newest attestation of the item, expired or not."""
        found = [a for a in self.attestations if a.item == item_id]
        return max(found, key=lambda a: a.date) if found else None

    def waiver_for(self, item_id: str) -> Waiver | None:
        found = [w for w in self.waivers if w.item == item_id]
        return max(found, key=lambda w: w.expires) if found else None


def load_signoffs(attestations: Path | None, waivers: Path | None, *, known_items: set[str]) -> SignOffBook:
    """Load and validate both files; unknown item ids are problems too (a typo would hide a waiver)."""
    problems: list[Problem] = []
    book = SignOffBook()
    if attestations is not None:
        parsed = _load(attestations, AttestationsFile, known_items, "attestations", problems)
        book.attestations = parsed.attestations if parsed else []
        book.signoffs = parsed.signoffs if parsed else []
    if waivers is not None:
        parsed_w = _load(waivers, WaiversFile, known_items, "waivers", problems)
        book.waivers = parsed_w.waivers if parsed_w else []
    if problems:
        raise ChecklistError(problems)
    return book


def _load(path: Path, model: type[BaseModel], known: set[str], key: str, problems: list[Problem]) -> Any:
    try:
        data, lines, _ = read_yaml(path)
    except ChecklistError as exc:
        problems.extend(exc.problems)
        return None
    parsed, found = validate_model(model, data or {key: []}, file=str(path), lines=lines)
    problems.extend(found)
    if parsed is None:
        return None
    for index, record in enumerate(getattr(parsed, key)):
        if record.item not in known:
            problems.append(Problem(str(path), lines.line((key, index, "item")), f"{key}[{index}].item",
                                    f"no item '{record.item}' in the checklist", suggest(record.item, known)))
    return parsed
