"""``harness``: audit, validate, checks, init, import, toxiproxy."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks import default_registry
from readiness_harness.console import target_error
from readiness_harness.contract.errors import ChecklistError, TargetError
from readiness_harness.contract.explain import explain_verdict
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.crossref import named_target, raise_for_references, shown
from readiness_harness.dependencies import PROVIDER_VARIABLE
from readiness_harness.dependencies.models import PROVIDERS
from readiness_harness.init import add_init_parser, run_init
from readiness_harness.listeners import standard_listeners
from readiness_harness.loader import load_checklist
from readiness_harness.outcome import EXIT_CODES_HELP, EXIT_ENVIRONMENT, EXIT_USAGE
from readiness_harness.signoff_cli import COMMANDS as SIGNOFF_COMMANDS
from readiness_harness.signoff_cli import add_commands as add_signoff_commands
from readiness_harness.signoff_cli import run_command as run_signoff_command
from readiness_harness.target import load_target
from readiness_harness.validation import suggest


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description="Production-readiness audits with evidence.",
                                     epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    audit = sub.add_parser("audit", help="run a checklist against a service and write the sign-off report",
                           epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    audit.add_argument("checklist", type=Path)
    where = audit.add_mutually_exclusive_group()
    where.add_argument("--target", type=Path, help="target file (default: the checklist's `target:`)")
    where.add_argument("--base-url", help="audit a service that is already running; start nothing")
    audit.add_argument("--out", type=Path, default=Path("reports/out"), help="reports folder (default reports/out)")
    audit.add_argument("--attestations", type=Path, help="attestations file (default: the checklist's)")
    audit.add_argument("--waivers", type=Path, help="waivers file (default: the checklist's)")
    audit.add_argument("--phases", help="comma-separated phases to run: functional,load,fault (default all)")
    audit.add_argument("--only", help="comma-separated item ids to run; the rest are skipped")
    audit.add_argument("--concurrency", type=int, help="functional checks in flight at once (default 8)")
    audit.add_argument("--quiet", action="store_true", help="do not print a line per item")
    audit.add_argument("--provider", choices=PROVIDERS,
                       help="start every dependency in the target file with this provider (default: the file's)")
    validate = sub.add_parser("validate", help="validate checklists with their target and every file they "
                              "reference; exit 0 when valid, 2 otherwise")
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument("--target", type=Path, help="target file (default: each checklist's `target:`)")
    checks = sub.add_parser("checks", help="list the check types; with TYPE, every field of it and an example")
    checks.add_argument("type", nargs="?", help="one check type: its fields (nested ones included) and an example")
    checks.add_argument("--markdown", action="store_true", help="the reference page of every type (docs/checks.md)")
    checks.add_argument("--schema", choices=("checklist", "target"), help="the JSON Schema of checklist or target "
                        "files (schemas/)")
    add_init_parser(sub)
    imp = sub.add_parser("import", help="turn a Markdown readiness checklist into a checklist, pre-filled from "
                         "what its claims state")
    imp.add_argument("markdown", type=Path)
    imp.add_argument("-o", "--output", type=Path, help="write the YAML here (default: print it)")
    imp.add_argument("--target", help="the skeleton's `target:` (a path relative to the output's folder)")
    imp.add_argument("--no-prefill", action="store_true", help="bind nothing: every item `type: todo`")
    matrix = sub.add_parser("sensitivity", help="audit once clean and once per defect of the reference service")
    matrix.add_argument("checklist", type=Path)
    matrix.add_argument("--expectations", type=Path, help="defect -> failing items (default: CHECKLIST with "
                        "the suffix .sensitivity.yaml)")
    matrix.add_argument("--phases", help="only defects revealed by these phases, e.g. functional")
    matrix.add_argument("--defects", help="comma-separated defect names (default: all)")
    matrix.add_argument("--out", type=Path, default=Path("reports/out"))
    add_signoff_commands(sub)
    proxy = sub.add_parser("toxiproxy", help="run the embedded Toxiproxy-compatible server")
    proxy.add_argument("--host", default="127.0.0.1")
    proxy.add_argument("--port", type=int, default=8474)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in SIGNOFF_COMMANDS:
        return run_signoff_command(args)
    registry = default_registry()
    if args.command == "audit":
        return _audit(args, registry)
    if args.command == "validate":
        return _validate(args.files, registry, target=args.target)
    if args.command == "checks":
        return _checks(args, registry)
    if args.command == "init":
        return run_init(args, registry)
    if args.command == "import":
        return _import(args)
    if args.command == "sensitivity":
        return _sensitivity(args, registry)
    if args.command == "toxiproxy":
        from readiness_harness.chaos.server.__main__ import main as serve

        return serve(["--host", args.host, "--port", str(args.port)])
    return EXIT_USAGE


def _audit(args: argparse.Namespace, registry: Registry) -> int:
    try:
        phases = frozenset(Phase(p.strip()) for p in args.phases.split(",")) if args.phases else None
    except ValueError:
        print(f"harness: --phases takes {', '.join(p.value for p in Phase)}", file=sys.stderr)
        return EXIT_USAGE
    if args.provider:
        os.environ[PROVIDER_VARIABLE] = args.provider  # read by provisioning, like every other run setting
    options = AuditOptions(
        checklist=args.checklist, out_dir=args.out, target=args.target, base_url=args.base_url,
        attestations=args.attestations, waivers=args.waivers, phases=phases,
        only=frozenset(i.strip() for i in args.only.split(",")) if args.only else None, concurrency=args.concurrency,
        listeners=standard_listeners(console=not args.quiet, environ=os.environ),
    )
    try:
        outcome = asyncio.run(run_audit(options, registry))
    except ChecklistError as exc:
        print(f"harness: {len(exc.problems)} problem(s):\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    except TargetError as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    record = outcome.record
    cause = target_error(record)
    if cause is not None:
        print(f"\nharness: the target could not run: {_indented(cause)}\n(logs: {outcome.run_dir / 'logs'})",
              file=sys.stderr, flush=True)
    print(f"\n{explain_verdict(record)}")
    print(f"score {record.score:g}/100: " + ", ".join(f"{n} {s}" for s, n in record.counts.items() if n))
    print(f"report: {outcome.html}")
    return outcome.exit_code


def _indented(text: str) -> str:
    """A multi-line message (a process's last log lines) indented under its first line."""
    first, *rest = text.splitlines() or [""]
    return "\n".join([first, *(f"    | {line}" for line in rest)])


def _sensitivity(args: argparse.Namespace, registry: Registry) -> int:
    from readiness_harness.sensitivity import render_table, run_matrix

    expectations = args.expectations or args.checklist.with_suffix(".sensitivity.yaml")
    phases = {Phase(p.strip()) for p in args.phases.split(",")} if args.phases else None
    defects = {d.strip() for d in args.defects.split(",")} if args.defects else None
    try:
        result = asyncio.run(run_matrix(args.checklist, expectations, registry, out_dir=args.out, phases=phases,
                                        only_defects=defects))
    except ChecklistError as exc:
        print(f"harness: {len(exc.problems)} problem(s):\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    print("\n" + render_table(result))
    print(f"written: {args.out / 'sensitivity.json'}")
    return 0 if result["caught"] == result["total"] and not result["clean_failures"] else 1


def _validate(files: list[Path], registry: Registry, *, target: Path | None = None) -> int:
    failed = False
    for file in files:
        try:
            loaded = load_checklist(file, registry)
            target_file = target or named_target(loaded)
            raise_for_references(loaded, registry, target_file=target_file)
        except ChecklistError as exc:
            failed = True
            print(f"{file}: {len(exc.problems)} problem(s)", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            continue
        with_target = f", with {shown(target_file)}" if target_file else ""
        print(f"{file}: valid ({len(loaded.checklist.items())} items{with_target})")
    return EXIT_USAGE if failed else 0


def _import(args: argparse.Namespace) -> int:
    from readiness_harness.importer import import_markdown, parse_file

    if not args.markdown.is_file():
        print(f"harness: {args.markdown}: no such file", file=sys.stderr)
        return EXIT_USAGE
    text = import_markdown(args.markdown, output=args.output, target=args.target, prefill=not args.no_prefill,
                           processes=_target_processes(args.output, args.target))
    if args.output is None:
        sys.stdout.write(text)
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    doc = parse_file(args.markdown)
    todo = text.count("\n        check: {type: todo")
    print(f"{args.output}: {len(doc.items())} items in {len(doc.sections)} sections; "
          f"{len(doc.items()) - todo} bound (pre-filled from what their claims state), {todo} left as "
          "`type: todo` with a suggestion. `harness validate` lists them until each is bound.")
    return 0


def _target_processes(output: Path | None, target: str | None) -> tuple[str, ...]:
    """The process names of the skeleton's target file (relative to the output's folder), if it can be read."""
    if target is None:
        return ("api",)
    try:
        spec, _ = load_target((output or Path("checklist.yaml")).resolve().parent / target)
    except ChecklistError:
        return ("api",)
    return tuple(p.name for p in spec.processes) or ("api",)


def _checks(args: argparse.Namespace, registry: Registry) -> int:
    from readiness_harness.reference import render_markdown, render_text
    from readiness_harness.schemas import checklist_schema, render, target_schema

    if args.schema:
        sys.stdout.write(render(checklist_schema(registry) if args.schema == "checklist" else target_schema()))
        return 0
    if args.markdown:
        sys.stdout.write(render_markdown(registry))
        return 0
    if args.type is None:
        return _list_checks(registry)
    check_type = registry.get(args.type)
    if check_type is None:
        hint = suggest(args.type, registry.names()) or f"Known types: {', '.join(registry.names())}."
        print(f"harness: no check type '{args.type}'. {hint}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(render_text(check_type))
    return 0


def _list_checks(registry: Registry) -> int:
    for check_type in registry:
        print(f"{check_type.name}  [{check_type.phase.value}]  {check_type.description}")
        for name, annotation, required in check_type.parameters():
            print(f"    {name}: {annotation}{'' if not required else '  (required)'}")
    print("\n`harness checks TYPE` shows every field of a type, nested ones included, and an example.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
