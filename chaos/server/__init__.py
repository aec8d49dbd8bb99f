"""Embedded Toxiproxy-compatible server (asyncio, standard library only).

Used when neither ``TOXIPROXY_URL`` nor a ``toxiproxy-server`` binary is available;
``docs/toxiproxy-compat.md`` is the reference for the behaviour it reproduces, and
``chaos.provider`` chooses between the servers.

Where it knowingly differs from Toxiproxy v2.12.0 (each difference is listed in that doc):

- ``GET /version`` answers ``{"version": "2.12.0-embedded"}``: compare with
  ``startswith("2.12.0")`` to accept both, or look for ``-embedded`` to tell them apart.
- It refuses with 400 what would crash it or the real server: a slicer with
  average_size + size_variation below 1, a listen host the resolver cannot be asked about
  (a NUL byte), a body nested deeper than 256 levels.
- A proxy created without ``listen`` listens on ``127.0.0.1:0`` (loopback, free port).
- Not provided: ``/metrics``, ``/events`` and the CLI client.

Package layout: ``api`` (routes and handlers), ``http`` (HTTP/1.1 on asyncio streams),
``registry`` (the proxies), ``proxy`` (listener and connections), ``connection`` (one
client/upstream socket pair), ``link`` (one direction through the toxic chain),
``effects`` (what each toxic does), ``toxics`` (toxic model and validation).
"""

from readiness_harness.chaos.server.api import VERSION
from readiness_harness.chaos.server.service import ToxiproxyServer, serve

__all__ = ["VERSION", "ToxiproxyServer", "serve"]
