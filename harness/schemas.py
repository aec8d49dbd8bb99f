"""JSON Schemas for checklist files and target files, generated from the models (``harness checks --schema``).

Editors read them through a first line such as
``# yaml-language-server: $schema=../schemas/checklist.schema.json`` and then complete and validate
as one types. A check's params are embedded per ``type``: the ``check:`` mapping names its type, and
an ``if``/``then`` pair per registered type applies that type's params model (the call keys
``type``, ``timeout`` and ``exclusive`` beside them). The loader stays the authority (it also runs
the models' own validators and the cross-references); the schema is what an editor can know.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from readiness_harness.contract.checklist import Checklist
from readiness_harness.contract.registry import Registry
from readiness_harness.target import TargetSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"
CALL_PROPERTIES: dict[str, Any] = {
    "timeout": {"type": "number", "exclusiveMinimum": 0,
                "description": "seconds this item may take (default: the type's or the checklist's)"},
    "exclusive": {"type": "boolean", "description": "run alone, not beside other functional checks"},
}
BINDINGS = ("check", "attestation", "not_applicable")


def checklist_schema(registry: Registry) -> dict[str, Any]:
    """The schema of a checklist file, each check's params chosen by its ``type``."""
    types = list(registry)
    models: list[type[BaseModel]] = [Checklist, *(t.params for t in types)]
    keys, document = models_json_schema([(m, "validation") for m in models], ref_template="#/$defs/{model}")
    defs: dict[str, Any] = document["$defs"]
    root = _definition(keys[(Checklist, "validation")], defs)
    for check_type in types:
        params = copy.deepcopy(_definition(keys[(check_type.params, "validation")], defs))
        params["properties"] = {"type": {"const": check_type.name}, **CALL_PROPERTIES, **params.get("properties", {})}
        params["additionalProperties"] = False
        params["description"] = check_type.description
        defs[f"check.{check_type.name}"] = params
    defs["CheckCall"] = _check_call(types)
    defs.pop("BaseModel", None)  # CheckCall.params, which the loader fills: never written by hand
    item = defs["Item"]
    item["properties"]["check"] = {"$ref": "#/$defs/CheckCall"}
    item["oneOf"] = [{"required": [binding]} for binding in BINDINGS]
    root.pop("$defs", None)
    return {"$schema": DIALECT, "$id": "checklist.schema.json", "title": "readiness-harness checklist",
            **root, "$defs": dict(sorted(defs.items()))}


def _check_call(types: list[Any]) -> dict[str, Any]:
    names = [t.name for t in types]
    return {
        "type": "object",
        "description": "A check: its type, and that type's params beside it (`harness checks TYPE` lists them).",
        "required": ["type"],
        "properties": {"type": {"enum": names, "description": "the check type"}, **CALL_PROPERTIES},
        "allOf": [{"if": {"properties": {"type": {"const": t.name}}, "required": ["type"]},
                   "then": {"$ref": f"#/$defs/check.{t.name}"}} for t in types],
    }


def _definition(ref: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The definition a ``{"$ref": "#/$defs/Name"}`` points at."""
    name = ref["$ref"].rsplit("/", 1)[-1]
    return defs[name]


def target_schema() -> dict[str, Any]:
    """The schema of a target file."""
    document = TargetSpec.model_json_schema(ref_template="#/$defs/{model}")
    return {"$schema": DIALECT, "$id": "target.schema.json", "title": "readiness-harness target file", **document}


def render(schema: dict[str, Any]) -> str:
    """The schema as committed: sorted keys are not used (the models' field order reads better), two-space indent."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def as_json_document(value: Any) -> Any:
    """A YAML document as an editor's JSON view of it: mapping keys become strings (``429:`` -> ``"429"``)."""
    if isinstance(value, dict):
        return {str(k): as_json_document(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json_document(v) for v in value]
    return value
