"""Stand-in for the chain-RPC providers the API depends on (a test helper, loopback only).

Run ``python -m readiness_harness.system_under_test.upstream --host 127.0.0.1 --port P --name primary``.

- ``POST /rpc/{chain}``: JSON-RPC 2.0, single or batch. Methods: ``eth_chainId``,
  ``eth_blockNumber`` (advances with wall-clock time at the chain's block time),
  ``eth_getBalance [address, tag]`` and ``wallet_getTokenBalances [address]``. Balances are
  derived deterministically from chain and address, so every instance agrees.
- ``GET /health``: liveness of the stand-in itself (never affected by faults).
- ``POST /control``: queue a fault for the next N RPC calls, e.g.
  ``{"fault": "status", "status": 500, "count": 3}`` or ``{"fault": "delay", "delay_ms": 800,
  "count": 1}``; ``{"fault": "reset"}`` clears faults and counters. ``count`` of -1 means
  "until reset". Answers 403 to any peer that is not loopback.
- ``GET /control``: counters and the most recent request ids and addresses received, so a
  test can verify retries, fallbacks and request-id propagation.

Fixture: for the address ``MALFORMED_FIXTURE_ADDRESS`` the stand-in reports a token balance
that is not a hex quantity, as misbehaving providers occasionally do. The API has no specific
handling for it, so it is the documented way to reach the API's generic 500 path.
"""

MALFORMED_FIXTURE_ADDRESS = "0x0000000000000000000000000000000000000500"
