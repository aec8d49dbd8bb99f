"""Repository check types: artifacts a service ships, checked structurally (not just "the file exists").

    file         a file or folder exists; optional text patterns and Markdown headings
    yaml_file    YAML documents (selected by ``kind``) have keys and values at paths
    dockerfile   the final stage runs as a non-root USER and declares a HEALTHCHECK
    env_example  ``.env.example`` documents every variable the configuration reads
    migrations   ordered, versioned migration files, some holding required statements

Every path is relative to the checklist's folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.jsonpath import MISSING
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation, Table
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _missing(path: Path, what: str = "file") -> Result:
    return Result.failed(f"{path} does not exist",
                         Observation(label=what, observed="<absent>", expected=f"{path}", ok=False))


def _patterns(text: str, patterns: list[str], present: bool) -> list[Observation]:
    out = []
    for pattern in patterns:
        found = re.search(pattern, text, re.MULTILINE) is not None
        out.append(Observation(label=f"pattern /{pattern}/", observed="found" if found else "absent",
                               expected="found" if present else "absent", ok=found == present))
    return out


# --- file --------------------------------------------------------------------------------------------


class FileParams(_Params):
    path: str
    contains: list[str] = Field(default_factory=list, description="regular expressions that must match")
    not_contains: list[str] = Field(default_factory=list, description="regular expressions that must not match")
    headings: list[str] = Field(default_factory=list, description="Markdown headings that must exist")


def markdown_headings(text: str) -> list[str]:
    return [m.group(1).strip().lower() for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)]


async def run_file(params: FileParams, ctx: CheckContext) -> Result:
    """A file or folder exists; its text matches patterns and has the named Markdown headings."""
    path = ctx.resolve(params.path)
    if not path.exists():
        return _missing(path)
    observations = [Observation(label="exists", observed=str(path), expected="present", ok=True)]
    if path.is_file() and (params.contains or params.not_contains or params.headings):
        text = path.read_text(encoding="utf-8", errors="replace")
        observations += _patterns(text, params.contains, True) + _patterns(text, params.not_contains, False)
        found = markdown_headings(text)
        for heading in params.headings:
            hit = any(heading.lower() in h for h in found)
            observations.append(Observation(label=f"heading {heading!r}", observed="present" if hit else "<absent>",
                                            expected="present", ok=hit))
    return Result.from_observations(observations, ok_message=f"{params.path} as expected")


# --- yaml_file ---------------------------------------------------------------------------------------


class YamlRule(_Params):
    path: str = Field(description="dotted path; [*] walks every list entry, e.g. spec.containers[*].image")
    exists: bool | None = None
    equals: Any = None
    matches: str | None = None
    match: Literal["all", "any"] = Field(default="all", description="every [*] branch must hold, or at least one")


class YamlFileParams(_Params):
    path: str
    kind: str | None = Field(default=None, description="only documents whose `kind` is this")
    require: list[YamlRule] = Field(min_length=1)


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]")


def walk(document: Any, path: str) -> list[Any]:
    """Every value at ``path``; ``[*]`` fans out over a list. A branch without the path yields MISSING."""
    current = [document]
    for name, index in _STEP.findall(path):
        nxt: list[Any] = []
        for value in current:
            if value is MISSING:
                nxt.append(MISSING)
            elif index == "*" and isinstance(value, list):
                nxt.extend(value)
            elif index and index != "*" and isinstance(value, list) and int(index) < len(value):
                nxt.append(value[int(index)])
            elif name and isinstance(value, dict) and name in value:
                nxt.append(value[name])
            else:
                nxt.append(MISSING)
        current = nxt
    return current


def _yaml_rule(rule: YamlRule, documents: list[Any]) -> Observation:
    found = [v for doc in documents for v in walk(doc, rule.path)]
    values = [v for v in found if v is not MISSING]
    label = f"{rule.path}"
    if rule.exists is False:
        return Observation(label=label, observed=values or "<absent>", expected="absent", ok=not values)
    if not values or (rule.match == "all" and len(values) < len(found)):
        observed = "<absent>" if not values else f"absent in {len(found) - len(values)} of {len(found)}"
        return Observation(label=label, observed=observed, expected=f"present in {rule.match} matches", ok=False)
    hits = [(rule.equals is None or v == rule.equals)
            and (rule.matches is None or re.search(rule.matches, str(v)) is not None) for v in values]
    ok = all(hits) if rule.match == "all" else any(hits)
    expected = rule.equals if rule.equals is not None else (f"matches /{rule.matches}/" if rule.matches else "present")
    shown = values[0] if len(values) == 1 else values
    return Observation(label=label, observed=shown if not isinstance(shown, dict) else sorted(shown),
                       expected=expected, ok=ok)


async def run_yaml_file(params: YamlFileParams, ctx: CheckContext) -> Result:
    """YAML documents (optionally of one ``kind``) have the required keys and values at their paths."""
    path = ctx.resolve(params.path)
    if not path.is_file():
        return _missing(path)
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    except yaml.YAMLError as exc:
        return Result.failed(f"{params.path} is not valid YAML: {exc}")
    if params.kind:
        documents = [d for d in documents if isinstance(d, dict) and d.get("kind") == params.kind]
        if not documents:
            return Result.failed(f"{params.path} has no document of kind {params.kind}",
                                 Observation(label="kind", observed="<absent>", expected=params.kind, ok=False))
    observations = [_yaml_rule(rule, documents) for rule in params.require]
    return Result.from_observations(observations, ok_message=f"{params.path}: {len(observations)} paths as expected")


# --- dockerfile --------------------------------------------------------------------------------------


class DockerfileParams(_Params):
    path: str
    non_root: bool = True
    healthcheck: bool = True


def final_stage(text: str) -> list[tuple[str, str]]:
    """(instruction, arguments) of the last build stage, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    lines = [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    pairs = [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "") for ln in lines]
    starts = [n for n, (op, _) in enumerate(pairs) if op == "FROM"]
    return pairs[starts[-1]:] if starts else pairs


async def run_dockerfile(params: DockerfileParams, ctx: CheckContext) -> Result:
    """A Dockerfile's final stage runs as a non-root USER and declares a HEALTHCHECK."""
    path = ctx.resolve(params.path)
    if not path.is_file():
        return _missing(path)
    stage = final_stage(path.read_text(encoding="utf-8"))
    observations = []
    if params.non_root:
        users = [args.split(":")[0].strip() for op, args in stage if op == "USER"]
        last = users[-1] if users else "<none: root>"
        ok = bool(users) and last not in ("root", "0")
        observations.append(Observation(label="USER (last, final stage)", observed=last, expected="a non-root user",
                                        ok=ok))
    if params.healthcheck:
        checks = [args for op, args in stage if op == "HEALTHCHECK"]
        ok = bool(checks) and not checks[-1].upper().startswith("NONE")
        observations.append(Observation(label="HEALTHCHECK", observed=checks[-1] if checks else "<absent>",
                                        expected="a health command", ok=ok))
    return Result.from_observations(observations, ok_message=f"{params.path}: non-root user and healthcheck")


# --- env_example -------------------------------------------------------------------------------------

ENV_NAME_PATTERN = (r"""alias=["']([A-Z][A-Z0-9_]+)["']|environ(?:\.get)?\(?\[?["']([A-Z][A-Z0-9_]+)["']"""
                    r"""|getenv\(["']([A-Z][A-Z0-9_]+)["']""")


class EnvScan(_Params):
    file: str = Field(description="a Python file whose environment variable names must be documented")
    pattern: str = Field(default=ENV_NAME_PATTERN, description="regex; the first non-empty group is the name")


class EnvExampleParams(_Params):
    path: str
    variables: list[str] = Field(default_factory=list)
    scan: EnvScan | None = None


def documented_variables(text: str) -> set[str]:
    """Names assigned in an env file, commented-out assignments included (optional variables)."""
    return set(re.findall(r"^\s*#?\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def scanned_variables(text: str, pattern: str) -> set[str]:
    return {next(g for g in m.groups() if g) for m in re.finditer(pattern, text) if any(m.groups())}


async def run_env_example(params: EnvExampleParams, ctx: CheckContext) -> Result:
    """An env example file documents every variable the configuration reads (listed or scanned)."""
    path = ctx.resolve(params.path)
    if not path.is_file():
        return _missing(path)
    wanted = set(params.variables)
    if params.scan:
        source = ctx.resolve(params.scan.file)
        if not source.is_file():
            return Result.error(f"cannot scan {source}: no such file")
        wanted |= scanned_variables(source.read_text(encoding="utf-8"), params.scan.pattern)
    if not wanted:
        return Result.error("no variables to look for: give `variables` or a `scan` that finds some")
    missing = sorted(wanted - documented_variables(path.read_text(encoding="utf-8")))
    observation = Observation(label="undocumented variables", observed=missing or "none",
                              expected="none", ok=not missing)
    return Result.from_observations([observation], ok_message=f"{len(wanted)} variables documented in {params.path}",
                                    variables=float(len(wanted)))


# --- migrations --------------------------------------------------------------------------------------


class MigrationsParams(_Params):
    path: str
    pattern: str = Field(default=r"^(\d+)_[a-z0-9_]+\.sql$", description="file names; group 1 is the version")
    min_files: int = Field(default=1, ge=1)
    contains: list[str] = Field(default_factory=list, description="regexes some migration must match")


async def run_migrations(params: MigrationsParams, ctx: CheckContext) -> Result:
    """A migrations folder holds versioned files in strict order (no gaps, no duplicates) with required SQL."""
    folder = ctx.resolve(params.path)
    if not folder.is_dir():
        return _missing(folder, "folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and re.match(params.pattern, p.name))
    versions = [int(re.match(params.pattern, p.name).group(1)) for p in files]  # type: ignore[union-attr]
    expected_versions = list(range(versions[0], versions[0] + len(versions))) if versions else []
    observations = [
        Observation(label="migration files", observed=len(files), expected=f">= {params.min_files}",
                    ok=len(files) >= params.min_files),
        Observation(label="versions in file-name order", observed=versions,
                    expected="consecutive, ascending, no duplicates",
                    ok=bool(versions) and versions == expected_versions),
    ]
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    for pattern in params.contains:
        found = re.search(pattern, text, re.IGNORECASE | re.MULTILINE) is not None
        observations.append(Observation(label=f"a migration matches /{pattern}/", observed="found" if found else
                                        "absent", expected="found", ok=found))
    table = Table(title="Migrations", columns=["version", "file"], rows=[[v, p.name] for v, p in zip(versions, files,
                                                                                                    strict=True)])
    return Result.from_observations(observations, table, ok_message=f"{len(files)} ordered migrations",
                                    migrations=float(len(files)))


def register(registry: Registry) -> None:
    registry.register("file", FileParams)(run_file)
    registry.register("yaml_file", YamlFileParams)(run_yaml_file)
    registry.register("dockerfile", DockerfileParams)(run_dockerfile)
    registry.register("env_example", EnvExampleParams)(run_env_example)
    registry.register("migrations", MigrationsParams)(run_migrations)
