"""The harness's Locust plugin: pacing for an asked request rate, expected statuses, the request record.

Locust loads it before the user's locustfile (``locust -f harness_plugin.py,locustfile.py``). It
imports only Locust (and gevent, which Locust brings) and the standard library, so a remote worker
runs it without the harness installed (and it is one file, longer than the project's other modules,
so that copying it is all a worker machine needs)::

    locust -f harness_plugin.py,locustfile.py --worker --master-host <harness host> --master-port 5557

Options (the master forwards them to every worker with each spawn message):

``--harness-rate-per-user R``
    the asked request rate per running user (req/s). Each load-generating process then runs an
    open-model schedule at ``R x its running users``: a user that finishes a task takes the next
    free slot of the process's schedule; the user class's own ``wait_time`` is not used. Slots
    are spaced by the measured requests per task, so tasks making several requests are paced on
    requests. A schedule more than ``LAG_S`` behind (every user busy) skips slots, counted as
    ``missed``. 0 (default): each user class keeps its own ``wait_time``.
``--harness-expected 418,429``
    statuses that are expected answers: counted apart, never as failures. A 429 or 503 counts as
    expected only with a ``Retry-After`` header.

Environment of the processes the harness starts:

``HARNESS_RECORD_DIR``
    each load-generating process writes its record there (``record-<role>-<host>-<pid>.jsonl``).
    A worker without it (a remote worker) sends its buckets with its stats reports, and the
    master writes them to ``record-remote-<worker id>.jsonl``.
``HARNESS_CONTROL_FILE``
    a JSON file ``{"rate_per_user": R}`` that the master (or the only process) polls; a change
    applies at once, and the master relays it to its workers.

The record: JSON lines, one per 100 ms bucket of request *completion* time (wall clock), each
with the process's running users, asked rate, missed slots and CPU use, and per request name
and method: count, failures, expected statuses, status codes, errors and a latency histogram
(milliseconds rounded as Locust rounds them, so percentiles agree with Locust's definition).
Requests begun in an earlier bucket than the one they completed in are kept apart, with ``s``, the
bucket they began in: a window can then tell a request that overlapped it from one wholly inside it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from typing import Any

import gevent
from locust import events
from locust.runners import LocalRunner, MasterRunner, WorkerRunner

BUCKET_S = 0.1
BUCKETS_PER_S = 10
FLUSH_S = 0.25
CONTROL_POLL_S = 0.2
LAG_S = 0.2
MAX_ERRORS = 10
NEEDS_RETRY_AFTER = frozenset({429, 503})
RECORD_KEY = "harness_record"
RATE_MESSAGE = "harness_rate"
VERSION = 1


def _rounded(ms: float) -> int:
    """Locust's own rounding of a response time for its histograms."""
    value = int(round(ms))
    if value < 100:
        return value
    if value < 1000:
        return int(round(value, -1))
    if value < 10000:
        return int(round(value, -2))
    return int(round(value, -3))


def _retry_after(response: Any) -> bool:
    headers = getattr(response, "headers", None)
    if not headers:
        return False
    try:
        return bool(headers.get("Retry-After") or headers.get("retry-after"))
    except Exception:  # noqa: BLE001 - a custom client's odd headers object: no header
        return False


class Pacer:
    """One process's open-model schedule, shared by its users (gevent: one thread, no locks)."""

    def __init__(self) -> None:
        self.per_user = 0.0
        self.changes: list[tuple[int, float]] = []  # (bucket index, rate per user) as asked over time
        self.next_t: float | None = None
        self.requests = 0
        self.iterations = 0
        self.missed = 0
        self.users = lambda: 1

    def set_rate(self, per_user: float) -> None:
        self.per_user = per_user
        self.changes.append((int(time.time() * BUCKETS_PER_S), per_user))

    def rate_at(self, index: int) -> float:
        """The rate per user asked during bucket ``index`` (the latest change made by its end)."""
        rate = 0.0
        for at, value in self.changes:
            if at > index:
                break
            rate = value
        return rate

    def per_iteration(self) -> float:
        if self.requests < 10 or self.iterations < 10:
            return 1.0
        return min(1000.0, max(0.1, self.requests / self.iterations))

    def wait(self) -> float:
        self.iterations += 1
        rate = self.per_user * max(1, self.users())
        now = time.monotonic()
        if self.next_t is None or self.next_t > now + 60:
            self.next_t = now
        interval = self.per_iteration() / rate
        if self.next_t < now - LAG_S:
            skipped = int((now - LAG_S - self.next_t) / interval)
            self.missed += skipped
            self.next_t += skipped * interval
        slot = self.next_t
        self.next_t = slot + interval
        return max(0.0, slot - now)


class Recorder:
    """Requests by 100 ms bucket of completion time, flushed once a bucket is complete."""

    def __init__(self, expected: frozenset[int], pacer: Pacer) -> None:
        self.expected = expected
        self.pacer = pacer
        self.cells: dict[int, dict[tuple[str, str, int | None], list[Any]]] = {}
        self.next_b: int | None = None
        self.missed_at = 0
        self.iterations_at = 0
        self.users = lambda: 0
        self.cpu = lambda: 0.0

    def on_request(self, request_type: str, name: str, response_time: float | None, response_length: int = 0,
                   response: Any = None, exception: Any = None, **_: Any) -> None:
        now = time.time()
        index = int(now * BUCKETS_PER_S)
        if self.next_b is None:
            self.next_b = index
        by_name = self.cells.get(index)
        if by_name is None:
            by_name = self.cells[index] = {}
        began = int((now - response_time / 1000.0) * BUCKETS_PER_S) if response_time else index
        key = (name, request_type, began if began < index else None)  # a request begun in an earlier bucket
        cell = by_name.get(key)
        if cell is None:
            cell = by_name[key] = [0, 0, 0.0, 0.0, {}, {}, {}, {}]  # n, fail, sum, max, exp, codes, errors, hist
        self.pacer.requests += 1
        cell[0] += 1
        status = getattr(response, "status_code", None) or 0
        codes = cell[5]
        codes[status] = codes.get(status, 0) + 1
        if response_time is not None:
            cell[2] += response_time
            if response_time > cell[3]:
                cell[3] = response_time
            hist = cell[7]
            slot = int(round(response_time)) if response_time < 99.5 else _rounded(response_time)
            hist[slot] = hist.get(slot, 0) + 1
        if exception is None and status not in self.expected:
            return  # the common case: a success
        error = self.classify(status, response, exception)
        if error is None:
            cell[4][status] = cell[4].get(status, 0) + 1
            return
        cell[1] += 1
        errors = cell[6]
        if error not in errors and len(errors) >= MAX_ERRORS:
            error = "(other errors)"
        errors[error] = errors.get(error, 0) + 1

    def classify(self, status: int, response: Any, exception: Any) -> str | None:
        """None for a success or an expected status; else the error text."""
        if status in self.expected:
            if status in NEEDS_RETRY_AFTER and not _retry_after(response):
                return f"HTTP {status} without Retry-After"
            return None
        if exception is None:
            return None
        text = str(exception) or type(exception).__name__
        if status and str(status) not in text:
            text = f"HTTP {status}: {text}"
        return re.sub(r"\s+", " ", text)[:200]

    def complete(self, final: bool = False) -> list[dict[str, Any]]:
        """Lines for every bucket that ended (every bucket when ``final``), oldest first."""
        if self.next_b is None:
            return []
        now = int(time.time() * BUCKETS_PER_S)
        last = now if final else now - 1
        lines = []
        for index in sorted(b for b in self.cells if b < self.next_b):  # late events in flushed buckets
            lines.append({"b": index, "names": self._names(self.cells.pop(index))})
        for index in range(self.next_b, last + 1):
            lines.append({"b": index, **self._meta(index), "names": self._names(self.cells.pop(index, {}))})
        self.next_b = max(self.next_b, last + 1)
        return lines

    def _meta(self, index: int) -> dict[str, Any]:
        pacer = self.pacer
        users = self.users()
        missed, self.missed_at = pacer.missed - self.missed_at, pacer.missed
        iterations, self.iterations_at = pacer.iterations - self.iterations_at, pacer.iterations
        per_user = pacer.rate_at(index)
        rate = round(per_user * users, 6) if per_user > 0 else None
        return {"users": users, "rate": rate, "missed": missed, "iterations": iterations, "cpu": self.cpu()}

    @staticmethod
    def _names(cells: dict[tuple[str, str, int | None], list[Any]]) -> list[dict[str, Any]]:
        return [{"name": name, "method": method, "n": c[0], "fail": c[1], "sum": round(c[2], 3),
                 "max": round(c[3], 3), "exp": c[4], "codes": c[5], "errors": c[6], "hist": c[7],
                 **({"s": began} if began is not None else {})}
                for (name, method, began), c in cells.items()]


class Plugin:
    """Wiring of one Locust process: which role it has decides what it records and where."""

    def __init__(self) -> None:
        self.pacer = Pacer()
        self.recorder: Recorder | None = None
        self.handle: Any = None
        self.pending: list[dict[str, Any]] = []
        self.remote_files: dict[str, Any] = {}
        self.control_mtime = 0.0

    def init(self, environment: Any, **_: Any) -> None:
        runner = environment.runner
        if runner is None:
            return
        options = environment.parsed_options
        self.pacer.set_rate(float(getattr(options, "harness_rate_per_user", 0) or 0))
        record_dir = os.environ.get("HARNESS_RECORD_DIR", "")
        if isinstance(runner, MasterRunner):
            self.record_dir = record_dir
            events.worker_report.add_listener(self.worker_report)
            gevent.spawn(self.control_loop, environment)
            return
        self.recorder = Recorder(_expected(getattr(options, "harness_expected", "")), self.pacer)
        self.pacer.users = self.recorder.users = lambda: runner.user_count
        self.recorder.cpu = lambda: round(float(getattr(runner, "current_cpu_usage", 0.0) or 0.0), 1)
        events.request.add_listener(self.recorder.on_request)
        role = "worker" if isinstance(runner, WorkerRunner) else "local"
        header = {"kind": "header", "version": VERSION, "bucket_s": BUCKET_S, "role": role,
                  "host": socket.gethostname(), "pid": os.getpid()}
        if record_dir and os.path.isdir(record_dir):
            path = os.path.join(record_dir, f"record-{role}-{socket.gethostname()}-{os.getpid()}.jsonl")
            self.handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the process's life
            self._write([header])
        else:
            self.pending.append(header)
        if isinstance(runner, WorkerRunner):
            runner.register_message(RATE_MESSAGE, self.rate_message)
            events.report_to_master.add_listener(self.report_to_master)
        elif isinstance(runner, LocalRunner):
            gevent.spawn(self.control_loop, environment)
        for user_class in environment.user_classes:
            self.pace(user_class)
        gevent.spawn(self.flush_loop)

    def pace(self, user_class: type) -> None:
        """Route the class's ``wait_time`` through the pacer (its own applies when no rate is asked)."""
        own = user_class.wait_time  # type: ignore[attr-defined]
        if getattr(own, "harness_paced", False):
            return
        pacer = self.pacer

        def wait_time(user: Any) -> float:
            return pacer.wait() if pacer.per_user > 0 else own(user)

        wait_time.harness_paced = True  # type: ignore[attr-defined]
        user_class.wait_time = wait_time  # type: ignore[attr-defined]

    def flush(self, final: bool = False) -> None:
        if self.recorder is None:
            return
        lines = self.recorder.complete(final)
        if self.handle is not None:
            self._write(lines)
        else:
            self.pending += lines

    def _write(self, lines: list[dict[str, Any]]) -> None:
        if lines and self.handle is not None and not self.handle.closed:
            self.handle.write("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
            self.handle.flush()

    def flush_loop(self) -> None:
        while True:
            gevent.sleep(FLUSH_S)
            self.flush()

    def start(self, environment: Any, **_: Any) -> None:
        """A worker learns the master's options with the spawn message, just before this event."""
        options = environment.parsed_options
        self.pacer.set_rate(float(getattr(options, "harness_rate_per_user", 0) or 0))
        if self.recorder is not None:
            self.recorder.expected = _expected(getattr(options, "harness_expected", ""))

    def stop(self, **_: Any) -> None:
        self.flush(final=True)

    def quitting(self, **_: Any) -> None:
        self.flush(final=True)
        if self.handle is not None:
            self.handle.close()
        for handle in self.remote_files.values():
            handle.close()

    def report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        if self.pending:
            data[RECORD_KEY], self.pending = self.pending, []

    def worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        lines = data.get(RECORD_KEY)
        if not lines or not self.record_dir or not os.path.isdir(self.record_dir):
            return
        handle = self.remote_files.get(client_id)
        if handle is None:
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", client_id)[:120]
            path = os.path.join(self.record_dir, f"record-remote-{safe}.jsonl")
            handle = self.remote_files[client_id] = open(path, "a", encoding="utf-8")  # noqa: SIM115
        handle.write("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
        handle.flush()

    def rate_message(self, environment: Any, msg: Any, **_: Any) -> None:
        self.pacer.set_rate(float(msg.data.get("rate_per_user") or 0))

    def control_loop(self, environment: Any) -> None:
        path = os.environ.get("HARNESS_CONTROL_FILE", "")
        while path:
            gevent.sleep(CONTROL_POLL_S)
            try:
                mtime = os.stat(path).st_mtime
                if mtime == self.control_mtime:
                    continue
                with open(path, encoding="utf-8") as handle:
                    rate = float(json.load(handle)["rate_per_user"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            self.control_mtime = mtime
            self.pacer.set_rate(rate)
            if environment.parsed_options is not None:
                environment.parsed_options.harness_rate_per_user = rate  # workers joining later get it too
            if isinstance(environment.runner, MasterRunner):
                environment.runner.send_message(RATE_MESSAGE, {"rate_per_user": rate})


def _expected(raw: str) -> frozenset[int]:
    return frozenset(int(part) for part in str(raw or "").split(",") if part.strip().isdigit())


PLUGIN = Plugin()


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--harness-rate-per-user", type=float, default=0.0,
                        help="asked request rate per running user (req/s); 0: the users' own wait_time")
    parser.add_argument("--harness-expected", type=str, default="",
                        help="comma-separated expected statuses (429/503 only with Retry-After)")


events.init.add_listener(PLUGIN.init)
events.test_start.add_listener(PLUGIN.start)
events.test_stop.add_listener(PLUGIN.stop)
events.quitting.add_listener(PLUGIN.quitting)
