"""The reference of every check type, read from the params models: ``harness checks TYPE`` and docs/checks.md.

Each type's fields are walked as a tree (nested models, lists of models and mappings of models
included), each with its type, default, bounds and description, followed by the type's example.
The same rows render as console text and as the Markdown page kept in the repository.
"""

from __future__ import annotations

import enum
import inspect
import json
import textwrap
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from readiness_harness.contract.registry import CALL_KEYS, CheckType, Registry

BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="), ("min_length", "min length"),
          ("max_length", "max length"), ("pattern", "pattern"))
PATH_VALIDATORS = {"single_path": "path", "many_path": "path (wildcards allowed)"}


@dataclass(frozen=True)
class FieldRow:
    """One field of a params tree: ``path`` as written in YAML (``expect.headers.<key>.equals``)."""

    path: str
    depth: int
    type: str
    required: bool
    default: str | None
    bounds: str
    description: str

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def field_rows(model: type[BaseModel]) -> list[FieldRow]:
    """Every field of ``model`` and of the models inside it, depth first. A model met a second time is
    not expanded again: its row says where its fields are listed."""
    return _rows(model, "", 0, {model: ""})


def _rows(model: type[BaseModel], prefix: str, depth: int, shown: dict[type, str]) -> list[FieldRow]:
    rows: list[FieldRow] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"
        nested = nested_models(field.annotation)
        seen_at = [shown[m] for _, m in nested if m in shown]
        kind = type_name(field.annotation, field.metadata)
        if seen_at:
            kind += f" (fields as under {seen_at[0] or 'the top level'})"
        rows.append(FieldRow(path=path, depth=depth, type=kind, required=field.is_required(),
                             default=_default(field), bounds=_bounds(field), description=field.description or ""))
        for suffix, inner in nested:
            if inner not in shown:
                shown[inner] = f"{path}{suffix}"
                rows += _rows(inner, f"{path}{suffix}.", depth + 1, shown)
    return rows


def nested_models(annotation: Any, suffix: str = "") -> list[tuple[str, type[BaseModel]]]:
    """(path suffix, model) for each model inside an annotation: ``[]`` for list entries, ``.<key>`` for mappings."""
    annotation = _strip_annotated(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(suffix, annotation)]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (list, set, tuple, frozenset) and args:
        return nested_models(args[0], f"{suffix}[]")
    if origin is dict and len(args) == 2:
        return nested_models(args[1], f"{suffix}.<{_key_name(args[0])}>")
    if origin in (typing.Union, types.UnionType):
        return [found for arg in args for found in nested_models(arg, suffix)]
    return []


def type_name(annotation: Any, metadata: list[Any] | None = None) -> str:
    """A reader's name for an annotation: ``list of Probe``, ``mapping of status → integer``, ``one of a, b``."""
    for item in metadata or []:
        label = PATH_VALIDATORS.get(getattr(getattr(item, "func", None), "__name__", ""))
        if label:
            return label
    if typing.get_origin(annotation) is typing.Annotated:
        return type_name(*_annotated_parts(annotation))
    if annotation is type(None):
        return "null"
    if annotation is Any:
        return "any value"
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if annotation in simple:
        return simple[annotation]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(str(member.value) for member in annotation)
    if isinstance(annotation, type):
        return annotation.__name__
    return _generic_name(annotation)


def _generic_name(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin in (list, set, tuple, frozenset) and args:
        return f"list of {type_name(args[0])}"
    if origin is dict and len(args) == 2:
        return f"mapping of {_key_name(args[0])} → {type_name(args[1])}"
    if origin in (typing.Union, types.UnionType):
        shown = [type_name(a) for a in args if a is not type(None)]
        return " | ".join(shown) + (" | null" if type(None) in args and len(shown) > 1 else "")
    return str(annotation).replace("typing.", "")


def _key_name(annotation: Any) -> str:
    name = type_name(annotation)
    return {"string": "name", "integer": "number"}.get(name, name)


def _strip_annotated(annotation: Any) -> Any:
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation


def _annotated_parts(annotation: Any) -> tuple[Any, list[Any]]:
    inner, *metadata = typing.get_args(annotation)
    return inner, metadata


def _default(field: FieldInfo) -> str | None:
    if field.is_required():
        return None
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    if value is PydanticUndefined or value is None:
        return None
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    if isinstance(value, enum.Enum):
        value = value.value
    return json.dumps(value, ensure_ascii=False)


def _bounds(field: FieldInfo) -> str:
    found = []
    for item in field.metadata:
        for attribute, label in BOUNDS:
            value = getattr(item, attribute, None)
            if value is not None:
                found.append(f"{label} {value}")
    return ", ".join(found)


def _summary(row: FieldRow) -> str:
    parts = [row.type]
    if row.required:
        parts.append("required")
    elif row.default is not None:
        parts.append(f"default {row.default}")
    else:
        parts.append("optional")
    if row.bounds:
        parts.append(row.bounds)
    return ", ".join(parts)


def render_text(check_type: CheckType, *, width: int = 100) -> str:
    """``harness checks TYPE``: the description, every field as an indented tree, the call keys, the example."""
    lines = [f"{check_type.name}  [{check_type.phase.value} phase, default timeout "
             f"{check_type.default_timeout_s:g} s]", *textwrap.wrap(_doc(check_type), width), "", "Fields:"]
    for row in field_rows(check_type.params):
        indent = "  " * (row.depth + 1)
        lines.append(f"{indent}{row.path.rsplit('.', 1)[-1] if row.depth else row.path}: {_summary(row)}")
        if row.description:
            lines += textwrap.wrap(row.description, width, initial_indent=indent + "    ",
                                   subsequent_indent=indent + "    ")
    lines += ["", "Beside `type:`, every check also takes: " + ", ".join(_call_keys()), ""]
    if check_type.example:
        lines += ["Example:", *("  " + line for line in check_type.example.rstrip().splitlines())]
    return "\n".join(lines) + "\n"


def _call_keys() -> list[str]:
    described = {"timeout": "timeout (seconds, > 0; the type's default otherwise)",
                 "exclusive": "exclusive (true: run alone, not beside other functional checks)"}
    return [described[key] for key in CALL_KEYS if key in described]


def _doc(check_type: CheckType) -> str:
    return " ".join((inspect.getdoc(check_type.run) or "").split("\n\n")[0].split())


def render_markdown(registry: Registry) -> str:
    """docs/checks.md: every check type with its field table and example."""
    lines = ["# Check types", "", "Generated by `harness checks --markdown` from the params models; "
             "`tests/authoring/test_reference.py` fails when this page is stale.", "",
             "Beside `type:`, every check takes " + "; ".join(_call_keys()) + ".", "",
             "Paths into JSON and YAML documents (`json:` keys, `capture:`, `same_json:`, `error_code_path:`, "
             "`yaml_file`'s `require[].path`) all use one syntax, described in the README (JSON paths).", "",
             "| type | phase | what it does |", "|---|---|---|"]
    lines += [f"| [`{t.name}`](#{t.name}) | {t.phase.value} | {_cell(t.description)} |" for t in registry]
    for check_type in registry:
        lines += ["", f"## {check_type.name}", "", _doc(check_type), "",
                  f"Phase: {check_type.phase.value}; default timeout {check_type.default_timeout_s:g} s.", "",
                  "| field | type | default | description |", "|---|---|---|---|"]
        for row in field_rows(check_type.params):
            default = "**required**" if row.required else (f"`{_cell(row.default)}`" if row.default else "")
            kind = _cell(row.type) + (f" ({_cell(row.bounds)})" if row.bounds else "")
            lines.append(f"| `{_cell(row.path)}` | {kind} | {default} | {_cell(row.description)} |")
        if check_type.example:
            lines += ["", "```yaml", "check:", *("  " + line for line in check_type.example.rstrip().splitlines()),
                      "```"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
