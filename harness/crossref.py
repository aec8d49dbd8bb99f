"""A checklist together with its target and every file it references, checked before anything starts.

``harness validate`` and the audit's preparation run :func:`check_references` after the checklist
itself is valid. It reports, each with file and line:

- what each check type's ``crossref`` hook finds in an item's params (a fault naming a proxy the
  target lacks, a ``process:`` the target does not start, a locustfile or rules file that is not
  there); the core calls the hooks and never names a type;
- placeholders nothing will provide, in the checklist and in the target file (and its ``files:``
  templates): ``{port.nosuch}``, ``{secret.typo}``, ``{proxy.NAME}``, ``{dep.NAME.FIELD}``, ``{prot.api}``;
- target-file references: working folders and ``files:`` templates that do not exist, a dependency
  named like a proxy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from readiness_harness.contract.crossref import CrossrefContext, TargetFacts
from readiness_harness.contract.errors import ChecklistError, Problem
from readiness_harness.contract.registry import Registry
from readiness_harness.documents import read_yaml
from readiness_harness.loader import LoadedChecklist
from readiness_harness.placeholder_refs import Provided, problems_in, strings
from readiness_harness.placeholders import names_in
from readiness_harness.rendered_files import RenderedFile
from readiness_harness.target import TargetSpec, load_target
from readiness_harness.yamlsrc import LineMap, PathKey, format_path


def named_target(loaded: LoadedChecklist) -> Path | None:
    """The target file the checklist names (``checklist.target``), resolved."""
    target = loaded.checklist.meta.target
    return loaded.resolve(target) if target else None


def raise_for_references(loaded: LoadedChecklist, registry: Registry, *, target_file: Path | None) -> None:
    """Raise ChecklistError listing every reference that cannot resolve."""
    problems = check_references(loaded, registry, target_file=target_file)
    if problems:
        raise ChecklistError(problems)


def check_references(loaded: LoadedChecklist, registry: Registry, *, target_file: Path | None) -> list[Problem]:
    """Every unresolvable reference of a loaded (already valid) checklist, ordered by file and line."""
    problems: list[Problem] = []
    target: tuple[TargetSpec, Path] | None = None
    if target_file is not None:
        try:
            target = load_target(target_file)
        except ChecklistError as exc:
            problems += exc.problems
    provided = provides(*target) if target else None
    facts = _facts(target_file, target[0]) if target and target_file else None
    problems += _target_problems(target_file, *target, provided) if target and target_file and provided else []
    problems += _checklist_problems(loaded, registry, CrossrefContext(loaded.directory, facts), provided)
    return sorted(problems, key=lambda p: (p.file != shown(loaded.path), p.file, p.line or 0))


def shown(path: Path) -> str:
    """A path as a person reads it: relative to the working folder when it lies below it."""
    relative = os.path.relpath(path.resolve(), Path.cwd())
    return str(path.resolve()) if relative.startswith("..") else relative


def provides(spec: TargetSpec, base_dir: Path) -> Provided:
    """What the target's placeholders will hold names for."""
    texts: list[Any] = [spec.model_dump()]
    texts += [_template_text(entry, base_dir) or "" for entry in spec.files]
    proxied = {d.name for d in spec.dependencies if d.proxy}
    return Provided(ports=frozenset(names_in(texts, "port")), secrets=frozenset(spec.secrets),
                    proxies=frozenset({p.name for p in spec.proxies} | proxied),
                    dependencies=frozenset(d.name for d in spec.dependencies))


def _facts(path: Path, spec: TargetSpec) -> TargetFacts:
    proxied = {d.name for d in spec.dependencies if d.proxy}
    return TargetFacts(file=path, processes=frozenset(p.name for p in spec.processes),
                       proxies=frozenset({p.name for p in spec.proxies} | proxied),
                       dependencies=frozenset(d.name for d in spec.dependencies))


def _checklist_problems(loaded: LoadedChecklist, registry: Registry, ctx: CrossrefContext,
                        provided: Provided | None) -> list[Problem]:
    data, lines, _ = read_yaml(loaded.path)
    file = shown(loaded.path)
    out: list[Problem] = []
    for s, section in enumerate(loaded.checklist.sections):
        for i, item in enumerate(section.items):
            if item.check is None:
                continue
            where: PathKey = ("sections", s, "items", i, "check")
            check_type = registry.get(item.check.type)
            hook = check_type.crossref if check_type is not None else None
            for finding in hook(item.check.params, ctx) if hook is not None else []:
                at = (*where, *finding.path)
                out.append(Problem(file, lines.line(at), format_path(at), finding.message, finding.hint))
            raw = data["sections"][s]["items"][i]["check"]
            out += _placeholders(raw, where, file, lines, provided, in_target=False)
    return out


def _placeholders(raw: Any, where: PathKey, file: str, lines: LineMap, provided: Provided | None, *,
                  in_target: bool) -> list[Problem]:
    out = []
    for path, text in strings(raw, where):
        for message, hint in problems_in(text, provided, in_target=in_target):
            out.append(Problem(file, lines.line(path), format_path(path), message, hint))
    return out


def _target_problems(path: Path, spec: TargetSpec, base_dir: Path, provided: Provided) -> list[Problem]:
    data, lines, _ = read_yaml(path)
    file = shown(path)
    out = _placeholders(data, (), file, lines, provided, in_target=True)
    for n, entry in enumerate(spec.files):
        out += _template_problems(entry, n, base_dir, provided, file, lines)
    folders = [(("cwd",), spec.cwd)] + [(("processes", n, "cwd"), p.cwd) for n, p in enumerate(spec.processes)
                                        if p.cwd]
    for at, folder in folders:
        if "{" not in folder and not (base_dir / folder).is_dir():
            out.append(Problem(file, lines.line(at), format_path(at), f"working folder '{folder}' does not exist "
                               f"({(base_dir / folder).resolve()})", "cwd is relative to the target file's folder."))
    clash = sorted({d.name for d in spec.dependencies if d.proxy} & {p.name for p in spec.proxies})
    for name in clash:
        out.append(Problem(file, lines.line(("dependencies",)), "dependencies", f"dependency '{name}' has the name "
                           "of a proxy in `proxies:`", "A dependency's fault proxy takes its name: rename one."))
    return out


def _template_problems(entry: RenderedFile, n: int, base_dir: Path, provided: Provided, file: str,
                       lines: LineMap) -> list[Problem]:
    if entry.template is None:
        return []
    text = _template_text(entry, base_dir)
    template = (base_dir / entry.template).resolve()
    if text is None:
        at = ("files", n, "template")
        return [Problem(file, lines.line(at), format_path(at), f"template '{entry.template}' does not exist "
                        f"({template})", "Templates are relative to the target file's folder.")]
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        for message, hint in problems_in(line, provided, in_target=True):
            out.append(Problem(shown(template), number, "", message, hint))
    return out


def _template_text(entry: RenderedFile, base_dir: Path) -> str | None:
    if entry.template is None:
        return None
    try:
        return (base_dir / entry.template).read_text(encoding="utf-8")
    except OSError:
        return None
