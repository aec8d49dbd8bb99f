"""``make bench``: every figure measured side by side in one run, written to
``bench/results/<timestamp>.json`` and printed as a Markdown table. Goals are compared, never asserted."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import audit, inputs, load, memory, proxy, render
from bench.table import markdown_table

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "load": load.run, "proxy": proxy.run, "render": render.run, "audit": audit.run, "inputs": inputs.run,
    "memory": memory.run,
}


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str]) -> int:
    chosen = argv or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine()}
    for name in chosen:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        try:
            results[name] = SECTIONS[name]()
        except Exception as exc:  # noqa: BLE001 - one failing section must not lose the others' figures
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{results['when'].replace(':', '').replace('+0000', 'Z')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(markdown_table(results))
    print(f"\nwritten: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
