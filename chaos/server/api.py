"""The Toxiproxy v2 control API: routes, handlers and the JSON they answer.

``docs/toxiproxy-compat.md`` (in this repository) is the reference for what this
reproduces of Toxiproxy v2.12 and where it deliberately differs. The version answered is
``VERSION`` ("<toxiproxy version>-embedded"): clients that need to tell the embedded
server from the real one compare with ``str.startswith``.

Every request is answered: a body nested deeper than ``MAX_DEPTH``, ``NaN`` or
``Infinity`` (not JSON) is a 400 ``bad request body``, and an unexpected error inside a
handler is a 500 with the exception's type, never a dropped connection.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from readiness_harness.chaos.server.errors import ApiError, bad_body
from readiness_harness.chaos.server.http import Request, Response
from readiness_harness.chaos.server.registry import ProxyRegistry

VERSION = "2.12.0-embedded"

Params = tuple[str, ...]
Endpoint = Callable[["ControlApi", Request, Params], Awaitable[Response]]


def json_response(status: int, payload: Any) -> Response:
    return Response(status, json.dumps(payload).encode() + b"\n")


def no_content() -> Response:
    return Response(204)


#: Deepest nesting of arrays and objects a body may have (Toxiproxy's Go decoder allows
#: 10,000; Python's recursive parser would fail long before, so the limit is lower).
MAX_DEPTH = 256


def parse_json(request: Request) -> Any:
    if not request.body.strip():
        raise bad_body("EOF")
    _check_depth(request.body)
    try:
        return json.loads(request.body, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:
        raise bad_body(str(exc)) from exc


def _not_json(constant: str) -> Any:
    raise ValueError(f"invalid character {constant[0]!r} looking for beginning of value")


def _check_depth(body: bytes) -> None:
    """Refuse a body nested deeper than MAX_DEPTH (brackets inside strings are not counted)."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return
    depth = 0
    for token in _STRUCTURE.findall(body):
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise bad_body(f"exceeded max depth of {MAX_DEPTH}")
        elif token in (b"]", b"}"):
            depth -= 1


_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class ControlApi:
    """Dispatches requests to handlers; every ``ApiError`` becomes its JSON error body."""

    def __init__(self, registry: ProxyRegistry) -> None:
        self.registry = registry

    async def __call__(self, request: Request) -> Response:
        if request.headers.get("user-agent", "").startswith("Mozilla/"):
            return Response(403, b"User agent not allowed\n", "text/plain; charset=utf-8")
        try:
            return await self._dispatch(request)
        except ApiError as exc:
            return json_response(exc.status, exc.body())
        except Exception as exc:  # noqa: BLE001 - always answer; the traceback goes to stderr
            traceback.print_exc(file=sys.stderr)
            return json_response(500, {"error": f"internal error: {type(exc).__name__}", "status": 500})

    async def _dispatch(self, request: Request) -> Response:
        allowed_somewhere = False
        for pattern, endpoints in ROUTES:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            endpoint = endpoints.get(request.method)
            if endpoint is not None:
                return await endpoint(self, request, match.groups())
            allowed_somewhere = True
        if allowed_somewhere:
            return Response(405, b"", "text/plain; charset=utf-8")
        return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")

    # -- proxies -----------------------------------------------------------------------

    async def list_proxies(self, request: Request, params: Params) -> Response:
        return json_response(200, {proxy.name: proxy.to_json() for proxy in self.registry.sorted()})

    async def create_proxy(self, request: Request, params: Params) -> Response:
        proxy = await self.registry.create(parse_json(request))
        return json_response(201, proxy.to_json())

    async def populate(self, request: Request, params: Params) -> Response:
        try:
            proxies, error = await self.registry.populate(parse_json(request))
        except ApiError as exc:  # the body or one of its proxies is invalid: nothing was created
            proxies, error = [], exc
        # Like Toxiproxy, "proxies" is null when no proxy was created (an empty list too).
        payload: dict[str, Any] = {"proxies": [proxy.to_json() for proxy in proxies] or None}
        if error is None:
            return json_response(201, payload)
        return json_response(error.status, {**error.body(), **payload})

    async def get_proxy(self, request: Request, params: Params) -> Response:
        return json_response(200, self.registry.get(params[0]).to_json())

    async def update_proxy(self, request: Request, params: Params) -> Response:
        proxy = await self.registry.update(params[0], parse_json(request))
        return json_response(200, proxy.to_json())

    async def delete_proxy(self, request: Request, params: Params) -> Response:
        await self.registry.delete(params[0])
        return no_content()

    async def reset(self, request: Request, params: Params) -> Response:
        await self.registry.reset()
        return no_content()

    async def version(self, request: Request, params: Params) -> Response:
        return json_response(200, {"version": VERSION})

    # -- toxics ------------------------------------------------------------------------

    async def list_toxics(self, request: Request, params: Params) -> Response:
        proxy = self.registry.get(params[0])
        return json_response(200, [toxic.to_json() for toxic in proxy.ordered_toxics()])

    async def create_toxic(self, request: Request, params: Params) -> Response:
        self.registry.get(params[0])
        toxic = self.registry.add_toxic(params[0], parse_json(request))
        return json_response(200, toxic.to_json())

    async def get_toxic(self, request: Request, params: Params) -> Response:
        toxic = self.registry.get(params[0]).get_toxic(params[1])
        return json_response(200, toxic.to_json())

    async def update_toxic(self, request: Request, params: Params) -> Response:
        self.registry.get(params[0]).get_toxic(params[1])
        toxic = self.registry.update_toxic(params[0], params[1], parse_json(request))
        return json_response(200, toxic.to_json())

    async def delete_toxic(self, request: Request, params: Params) -> Response:
        self.registry.get(params[0]).remove_toxic(params[1])
        return no_content()


_NAME = r"([^/]+)"
ROUTES: list[tuple[re.Pattern[str], dict[str, Endpoint]]] = [
    (re.compile("/proxies"), {"GET": ControlApi.list_proxies, "POST": ControlApi.create_proxy}),
    (re.compile("/populate"), {"POST": ControlApi.populate}),
    (re.compile("/reset"), {"POST": ControlApi.reset}),
    (re.compile("/version"), {"GET": ControlApi.version}),
    (
        re.compile(f"/proxies/{_NAME}"),
        {
            "GET": ControlApi.get_proxy,
            "POST": ControlApi.update_proxy,
            "PATCH": ControlApi.update_proxy,
            "DELETE": ControlApi.delete_proxy,
        },
    ),
    (
        re.compile(f"/proxies/{_NAME}/toxics"),
        {"GET": ControlApi.list_toxics, "POST": ControlApi.create_toxic},
    ),
    (
        re.compile(f"/proxies/{_NAME}/toxics/{_NAME}"),
        {
            "GET": ControlApi.get_toxic,
            "POST": ControlApi.update_toxic,
            "PATCH": ControlApi.update_toxic,
            "DELETE": ControlApi.delete_toxic,
        },
    ),
]
